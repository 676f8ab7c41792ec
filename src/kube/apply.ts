/**
 * `apply` for CloneSet manifests: validate, then create or update, as `kubectl apply` would for this one kind.
 * A manifest with any error is rejected before anything is written.
 */
import { parseAllDocuments } from 'yaml';
import { CLONESET, type KubeClients } from './clients.js';
import { isNotFound } from './errors.js';
import { canonicalJson, formatErrors, validateCloneSet, type CloneSet } from '../rollout/index.js';

/** Thrown for a manifest that can't be applied; the message names the file, document and fields. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Parses every YAML document of a manifest file and validates each as a CloneSet. */
export function parseCloneSets(text: string, source = 'manifest'): CloneSet[] {
  const docs = parseAllDocuments(text);
  const out: CloneSet[] = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) throw new ManifestError(`${source}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) return;
    const v = validateCloneSet(value);
    if (!v.ok) throw new ManifestError(`${source}: document ${i + 1}: ${formatErrors(v.errors)}`);
    out.push(value as CloneSet);
  });
  if (out.length === 0) throw new ManifestError(`${source}: no CloneSet found`);
  return out;
}

export interface ApplyResult {
  namespace: string;
  name: string;
  action: 'created' | 'configured' | 'unchanged';
  generation: number;
}

/** Creates the CloneSet, or replaces its spec (and labels/annotations) keeping status; selector is immutable. */
export async function applyCloneSet(k: KubeClients, cs: CloneSet): Promise<ApplyResult> {
  const namespace = cs.metadata.namespace ?? 'default';
  const name = String(cs.metadata.name);
  for (let attempt = 0; ; attempt++) {
    let existing: CloneSet | undefined;
    try {
      existing = (await k.custom.getNamespacedCustomObject({ ...CLONESET, namespace, name })) as CloneSet;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!existing) {
      const body = { apiVersion: cs.apiVersion, kind: cs.kind, metadata: { ...cs.metadata, namespace }, spec: cs.spec };
      const created = (await k.custom.createNamespacedCustomObject({ ...CLONESET, namespace, body })) as CloneSet;
      return { namespace, name, action: 'created', generation: created.metadata.generation ?? 1 };
    }
    if (canonicalJson(existing.spec.selector) !== canonicalJson(cs.spec.selector)) {
      throw new ManifestError(`CloneSet ${namespace}/${name}: spec.selector is immutable (field is immutable)`);
    }
    const labels = { ...existing.metadata.labels, ...cs.metadata.labels };
    const annotations = { ...existing.metadata.annotations, ...cs.metadata.annotations };
    if (
      canonicalJson(existing.spec) === canonicalJson(cs.spec) &&
      canonicalJson(labels) === canonicalJson(existing.metadata.labels ?? {}) &&
      canonicalJson(annotations) === canonicalJson(existing.metadata.annotations ?? {})
    ) {
      return { namespace, name, action: 'unchanged', generation: existing.metadata.generation ?? 1 };
    }
    const body = { ...existing, metadata: { ...existing.metadata, labels, annotations }, spec: cs.spec };
    try {
      const updated = (await k.custom.replaceNamespacedCustomObject({ ...CLONESET, namespace, name, body })) as CloneSet;
      return { namespace, name, action: 'configured', generation: updated.metadata.generation ?? 1 };
    } catch (err) {
      if ((err as { code?: number }).code === 409 && attempt < 5) continue;
      throw err;
    }
  }
}
