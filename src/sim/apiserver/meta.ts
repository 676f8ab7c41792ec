/**
 * ObjectMeta access and the system fields the apiserver owns
 * (uid, timestamps, generated names).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { type JsonObject, type JsonValue, isObject } from './json.js';

/** The ObjectMeta fields the server reads or writes. Other members pass through untouched. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: JsonValue | undefined;
}

/**
 * The metadata of an object. Decoding guarantees `metadata` is an object, so the
 * cast only narrows JSON to the known field types (values are validated later).
 */
export function meta(o: JsonObject): ObjectMeta {
  if (!isObject(o.metadata)) o.metadata = {};
  return o.metadata as ObjectMeta;
}

/** RFC 3339 at second precision, the wire form of metav1.Time. */
export function rfc3339(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A fresh object UID. */
export function newUid(): string {
  return randomUUID();
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATED_NAME_LENGTH = 63 - 5;

/**
 * names.SimpleNameGenerator: prefix (cut so the result fits 63 chars) plus five
 * random characters from the same vowel-free alphabet the real server uses, which
 * avoids accidentally spelling words.
 */
export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return prefix.slice(0, MAX_GENERATED_NAME_LENGTH) + suffix;
}

const FRACTIONAL_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.\d+(Z|[+-]\d{2}:\d{2})$/;

/**
 * Truncates metav1.Time strings under `o` (only members named in `keys`) to
 * second precision, as decoding into metav1.Time and re-encoding does on a real
 * server. Clients such as @kubernetes/client-node turn timestamps into Dates and
 * send them back with milliseconds; without this a read-modify-write would look
 * like a change.
 */
export function truncateTimes(o: JsonValue | undefined, keys: ReadonlySet<string>): void {
  if (Array.isArray(o)) {
    for (const x of o) truncateTimes(x, keys);
    return;
  }
  if (!isObject(o)) return;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string' && keys.has(k)) {
      const m = FRACTIONAL_TIME.exec(v);
      if (m) o[k] = new Date(`${m[1]}${m[2]}`).toISOString().replace('.000Z', 'Z');
    } else if (typeof v === 'object' && v !== null) {
      truncateTimes(v, keys);
    }
  }
}

/** metav1.Time members of ObjectMeta. */
export const META_TIME_KEYS: ReadonlySet<string> = new Set(['creationTimestamp', 'deletionTimestamp', 'time']);
