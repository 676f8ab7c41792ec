/**
 * Typed search attributes the rollout workflow upserts, so rollouts can be found in the Temporal UI and with
 * `temporal workflow list --query "CloneSetName='nginxweb1'"`. The dev server registers them at start
 * (see src/temporal/dev-server.ts); a production namespace needs `temporal operator search-attribute create`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CloneSetNamespaceKey = defineSearchAttributeKey('CloneSetNamespace', SearchAttributeType.KEYWORD);
export const CloneSetNameKey = defineSearchAttributeKey('CloneSetName', SearchAttributeType.KEYWORD);
export const RolloutPhaseKey = defineSearchAttributeKey('RolloutPhase', SearchAttributeType.KEYWORD);
export const TargetRevisionKey = defineSearchAttributeKey('TargetRevision', SearchAttributeType.KEYWORD);

/** Every attribute with the type name the Temporal CLI's `--search-attribute Name=Type` expects. */
export const SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' }> = [
  { name: CloneSetNamespaceKey.name, type: 'Keyword' },
  { name: CloneSetNameKey.name, type: 'Keyword' },
  { name: RolloutPhaseKey.name, type: 'Keyword' },
  { name: TargetRevisionKey.name, type: 'Keyword' },
];
