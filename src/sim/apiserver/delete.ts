/**
 * DELETE and DELETE on collections, following the generic store's Delete,
 * rest.BeforeDelete and the pod strategy's CheckGracefulDelete:
 *
 * - preconditions (uid / resourceVersion) mismatch → 409;
 * - kinds with graceful deletion (pods) get deletionTimestamp = now + grace and
 *   stay while grace > 0; a later delete may only shorten the grace period,
 *   and grace 0 removes the object (the kubelet's final delete) — after first
 *   writing the terminating state, so watchers see MODIFIED then DELETED;
 * - objects with finalizers only get deletionTimestamp (grace 0) and are
 *   removed by the update that empties their finalizers.
 *
 * propagationPolicy is validated but has no effect: there is no garbage
 * collector, so it never adds the orphan/foregroundDeletion finalizers.
 */
import { conflict, badRequest, invalid, methodNotSupported } from './errors.js';
import { type JsonObject, type JsonValue, canonical, isObject } from './json.js';
import { meta, rfc3339 } from './meta.js';
import { type Reply, type RestStorage, type Scope, listJson } from './rest.js';
import { FieldSelector, LabelSelector } from './selectors.js';
import type { Entry } from './store.js';
import { field } from './validation.js';

/** The DeleteOptions members this server honours. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  dryRun: boolean;
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

/**
 * DeleteOptions from the request: the body when there is one, else the query
 * parameters (as the real handler decodes them).
 */
export function parseDeleteOptions(body: JsonValue | undefined, query: URLSearchParams): DeleteOptions {
  let grace: unknown;
  let policy: unknown;
  let dryRun: unknown;
  let preconditions: DeleteOptions['preconditions'];
  if (body !== undefined && body !== null) {
    if (!isObject(body)) throw badRequest('the body of a delete request must be a DeleteOptions object');
    grace = body.gracePeriodSeconds ?? undefined;
    policy = body.propagationPolicy ?? undefined;
    dryRun = Array.isArray(body.dryRun) ? body.dryRun : undefined;
    if (isObject(body.preconditions)) {
      const p = body.preconditions;
      preconditions = {
        ...(typeof p.uid === 'string' ? { uid: p.uid } : {}),
        ...(typeof p.resourceVersion === 'string' ? { resourceVersion: p.resourceVersion } : {}),
      };
    }
  } else {
    const g = query.get('gracePeriodSeconds');
    grace = g === null ? undefined : Number(g);
    policy = query.get('propagationPolicy') ?? undefined;
    dryRun = query.getAll('dryRun');
  }
  const errs = [];
  if (grace !== undefined && (typeof grace !== 'number' || !Number.isInteger(grace)))
    errs.push(field.typeInvalid('gracePeriodSeconds', grace, 'must be an integer'));
  if (policy !== undefined && (typeof policy !== 'string' || !PROPAGATION_POLICIES.includes(policy)))
    errs.push(field.notSupported('propagationPolicy', policy, PROPAGATION_POLICIES));
  if (errs.length) throw invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', errs);
  return {
    ...(grace !== undefined ? { gracePeriodSeconds: grace as number } : {}),
    ...(preconditions ? { preconditions } : {}),
    ...(policy !== undefined ? { propagationPolicy: policy as string } : {}),
    dryRun: Array.isArray(dryRun) && dryRun.includes('All'),
  };
}

/** DELETE {resource}/{name}. */
export function deleteObject(rest: RestStorage, scope: Scope, opts: DeleteOptions): Reply {
  const current = rest.current(scope);
  return deleteEntry(rest, { ...scope, dryRun: scope.dryRun || opts.dryRun }, current, opts);
}

/** DELETE {resource} with selectors: deletes each match. */
export function deleteCollection(rest: RestStorage, scope: Scope, opts: DeleteOptions): Reply {
  const { def, query } = scope;
  if (scope.namespace === undefined) throw methodNotSupported(def.gr, 'deletecollection');
  const labels = LabelSelector.parse(query.get('labelSelector'));
  const fields = FieldSelector.parse(query.get('fieldSelector'), def.fields);
  const items: string[] = [];
  for (const e of rest.store.list(def.storeKey, scope.namespace)) {
    if (!labels.matches(meta(e.obj).labels) || !fields.matches(e.obj)) continue;
    deleteEntry(rest, { ...scope, name: meta(e.obj).name!, dryRun: scope.dryRun || opts.dryRun }, e, opts);
    // like the real DeleteCollection, the answer lists the items as they were selected
    items.push(e.json);
  }
  return { code: 200, body: listJson(def, { resourceVersion: String(rest.store.resourceVersion) }, items) };
}

function deleteEntry(rest: RestStorage, scope: Scope, current: Entry, opts: DeleteOptions): Reply {
  const { def } = scope;
  const om = meta(current.obj);
  checkPreconditions(scope, current, opts);

  // a negative grace period means 1s on the delete path
  const requested = opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0 ? 1 : opts.gracePeriodSeconds;
  let next: JsonObject | undefined;
  let graceful = false;
  let grace = 0;
  if (def.strategy.gracePeriod) {
    const pending = om.deletionGracePeriodSeconds;
    if (om.deletionTimestamp && pending !== undefined && pending !== 0) {
      // graceful deletion already under way: only a shorter grace period changes anything
      if (requested === undefined || requested >= pending) return { code: 200, body: current.json };
      next = JSON.parse(current.json) as JsonObject;
      const start = Date.parse(om.deletionTimestamp) - pending * 1000;
      Object.assign(meta(next), { deletionTimestamp: rfc3339(start + requested * 1000), deletionGracePeriodSeconds: requested });
      graceful = true;
      grace = requested;
    } else if (!om.deletionTimestamp) {
      grace = def.strategy.gracePeriod(current.obj, requested);
      next = JSON.parse(current.json) as JsonObject;
      const m = meta(next);
      Object.assign(m, { deletionTimestamp: rfc3339(Date.now() + grace * 1000), deletionGracePeriodSeconds: grace });
      // controllers must notice the object is going away: graceful deletion bumps generation
      if ((m.generation ?? 0) > 0) m.generation = m.generation! + 1;
      graceful = true;
    }
  }

  const hasFinalizers = (om.finalizers ?? []).length > 0;
  if (graceful) {
    if (hasFinalizers || grace > 0) return rest.commitUpdate(scope, current, next!);
    // The real store writes the deletionTimestamp first and deletes after (two etcd writes), so watchers see
    // MODIFIED (terminating, grace 0) before DELETED, even for a Pod that goes at once.
    if (scope.dryRun) return rest.removeNow(scope, current, canonical(next!, def.verbatim));
    const marked = rest.store.update(def.storeKey, canonical(next!, def.verbatim), current);
    return rest.removeNow(scope, marked);
  }
  if (hasFinalizers) {
    // markAsDeleting: the finalizers' owners take it from here
    next ??= JSON.parse(current.json) as JsonObject;
    const m = meta(next);
    if (!m.deletionTimestamp) {
      if ((m.generation ?? 0) > 0) m.generation = m.generation! + 1;
      m.deletionTimestamp = rfc3339();
    }
    m.deletionGracePeriodSeconds = 0;
    return rest.commitUpdate(scope, current, next);
  }
  return rest.removeNow(scope, current);
}

function checkPreconditions(scope: Scope, current: Entry, opts: DeleteOptions): void {
  const p = opts.preconditions;
  if (!p) return;
  const m = meta(current.obj);
  // the real BeforeDelete names the kind, not the resource, in these conflicts
  const gr = { group: scope.def.group, resource: scope.def.kind };
  if (p.uid !== undefined && p.uid !== m.uid) {
    throw conflict(
      gr,
      scope.name!,
      `the UID in the precondition (${p.uid}) does not match the UID in record (${m.uid}). The object might have been deleted and then recreated`,
    );
  }
  if (p.resourceVersion !== undefined && p.resourceVersion !== m.resourceVersion) {
    throw conflict(
      gr,
      scope.name!,
      `the ResourceVersion in the precondition (${p.resourceVersion}) does not match the ResourceVersion in record (${m.resourceVersion}). The object might have been modified`,
    );
  }
}
