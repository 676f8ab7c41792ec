/**
 * Deterministic hashing in pure JS (no node:crypto: this runs in Temporal's workflow sandbox).
 */

/** Kubernetes' "safe" alphabet: no vowels (no accidental words), no 0/1/3 (look like o/l/e). */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** UTF-8 bytes of a string, without TextEncoder (not guaranteed in every sandbox). */
export function utf8Bytes(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return out;
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of `s`. Returns an unsigned 32-bit integer. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8Bytes(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * FNV-1 (not 1a: multiply, then xor), 32 bits, over the UTF-8 bytes of `s`: Go's `fnv.New32()`, which Kubernetes'
 * HashControllerRevision uses. Returns an unsigned 32-bit integer.
 */
export function fnv1_32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8Bytes(s)) {
    h = Math.imul(h, 0x01000193);
    h ^= b;
  }
  return h >>> 0;
}

/** Maps each character to the safe alphabet (like Kubernetes' SafeEncodeString). */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * JSON with object keys sorted at every level, so that key order never changes a hash.
 * `undefined` and `null` members are dropped: Kubernetes treats a null field as absent, and the API server
 * returns e.g. `metadata.creationTimestamp: null` in templates that were applied without it.
 * Arrays keep their order (order matters in a PodSpec).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined && obj[k] !== null)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
