/**
 * Preparing a hand-back to OpenKruise: writes the Pod defaults Kruise's webhook would have written into a
 * CloneSet's stored template (src/rollout/revision.ts kruiseStoredTemplate). Kruise's controller hashes the template
 * as stored; once it holds the defaults, Kruise computes the very bytes of our ControllerRevision, re-uses it and
 * moves no Pod (docs/kruise-compatibility.md). The content is unchanged for cloneset-rollout: the template is the
 * same revision once defaults are applied, so a rollout it starts (the generation changes) moves nothing.
 */
import type { KubeClients } from './clients.js';
import { CLONESET } from './clients.js';
import { isConflict } from './errors.js';
import { getCloneSet } from './cloneset-read.js';
import { canonicalJson, kruiseStoredTemplate, type CloneSet } from '../rollout/index.js';

export interface KruiseDefaultsResult {
  /** The template was written (false: it already held Kruise's defaults, or `dryRun`). */
  written: boolean;
  /** The template differs from Kruise's form (it is, or with `dryRun` would be, written). */
  needed: boolean;
  /** metadata.generation after the write (or as read). */
  generation: number;
}

/** Writes Kruise's defaults into the template of CloneSet `namespace/name` (a replace; a conflict re-reads). */
export async function writeKruiseDefaults(k: KubeClients, namespace: string, name: string, opts: { dryRun?: boolean } = {}): Promise<KruiseDefaultsResult> {
  for (;;) {
    const cs = await getCloneSet(k, namespace, name);
    if (!cs) throw new Error(`CloneSet ${namespace}/${name} not found`);
    const template = kruiseStoredTemplate(cs.spec.template);
    // Nulls aside (the apiserver may prune creationTimestamp: null; Go decodes absent and null alike).
    const needed = canonicalJson(template) !== canonicalJson(cs.spec.template);
    if (!needed || opts.dryRun) return { written: false, needed, generation: cs.metadata.generation ?? 0 };
    const body: CloneSet = { ...cs, spec: { ...cs.spec, template } };
    try {
      const updated = (await k.custom.replaceNamespacedCustomObject({ ...CLONESET, namespace, name, body })) as CloneSet;
      return { written: true, needed, generation: updated.metadata.generation ?? 0 };
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}
