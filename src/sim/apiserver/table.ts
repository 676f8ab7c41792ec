/**
 * Server-side printing: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`
 * (what `kubectl get` asks for) answers a meta.k8s.io/v1 Table instead of the
 * object or list. Custom resources get their CRD's additionalPrinterColumns
 * (the apiextensions table convertor: simple JSONPaths, the first match only,
 * missing values as null cells, dates as ages); every other kind gets the
 * default convertor's `Name` and `Created At`. The per-kind printers of
 * built-in kinds (a Pod's READY/STATUS/RESTARTS) are not modelled.
 */
import { type JsonObject, type JsonValue, isObject, stringAt } from './json.js';
import type { ResourceDef } from './registry.js';

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

/** True when the Accept header asks for a meta.k8s.io/v1 Table. */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const params = new Map(
      part
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    return params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io' && params.get('v') === 'v1';
  });
}

/** duration.HumanDuration, as kubectl's AGE column prints it. */
export function humanDuration(ms: number): string {
  // Go converts with int(), which truncates toward zero
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${days / 365}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

/** The values a simple JSONPath (`.a.b`, `.a[*].b`, `.a[0].b`) selects. */
function select(obj: JsonValue, path: string): JsonValue[] {
  const steps = path
    .replace(/^\{?\.?/, '')
    .replace(/\}$/, '')
    .split('.')
    .filter(Boolean);
  let cur: JsonValue[] = [obj];
  for (const step of steps) {
    const m = /^([^[]*)(?:\[(\*|\d+)\])?$/.exec(step);
    if (!m) return [];
    const [, key = '', index] = m;
    const next: JsonValue[] = [];
    for (const v of cur) {
      const x = key ? (isObject(v) ? v[key] : undefined) : v;
      if (x === undefined) continue;
      if (index === undefined) next.push(x);
      else if (Array.isArray(x)) next.push(...(index === '*' ? x : x[Number(index)] !== undefined ? [x[Number(index)]!] : []));
    }
    cur = next;
  }
  return cur;
}

function cell(type: string, v: JsonValue | undefined, now: number): JsonValue {
  if (v === undefined || v === null) return null;
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : JSON.stringify(v);
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date': {
      if (typeof v !== 'string') return null;
      const t = Date.parse(v);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now - t);
    }
    default:
      return null;
  }
}

function rowObject(obj: JsonObject, include: string): JsonValue | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

/**
 * The Table for objects of one resource. `includeObject` is the query parameter (None, Metadata — the
 * default — or Object); `listMeta` is the list's metadata (resourceVersion, continue).
 */
export function toTable(def: ResourceDef, objects: readonly JsonObject[], listMeta: JsonObject, includeObject: string | null, now = Date.now()): JsonObject {
  const include = includeObject ?? 'Metadata';
  const columns = def.crd
    ? def.crd.printerColumns.map((c) => ({
        name: stringAt(c, 'name'),
        type: stringAt(c, 'type'),
        format: stringAt(c, 'format'),
        description: stringAt(c, 'description'),
        priority: Number(c.priority ?? 0),
        jsonPath: stringAt(c, 'jsonPath'),
      }))
    : [
        {
          name: 'Created At',
          type: 'date',
          format: '',
          description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
          priority: 0,
          jsonPath: '.metadata.creationTimestamp',
        },
      ];
  const columnDefinitions = [
    { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 },
    ...columns.map(({ jsonPath: _jsonPath, ...c }) => c),
  ];
  const rows = objects.map((obj) => {
    const name = isObject(obj.metadata) ? (obj.metadata.name ?? '') : '';
    const cells: JsonValue[] = [name];
    for (const c of columns) {
      const first = select(obj, c.jsonPath)[0];
      // the default convertor prints Created At as the timestamp itself, CRD date columns as an age
      cells.push(!def.crd && c.type === 'date' ? (first ?? null) : cell(c.type, first, now));
    }
    const object = rowObject(obj, include);
    return { cells, ...(object !== undefined ? { object } : {}) };
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions, rows };
}
