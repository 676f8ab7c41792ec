/**
 * The subset of kubectl-style JSONPath that Argo Rollouts' web metric provider uses to pick a value out of a JSON
 * response: `{$.data.ok}`, `$.a.b[0].c`, `{$.items[*].value}`, with or without the braces and the leading `$`.
 *
 * Segments: `.name` (letters, digits, `_` and `-`), `['name']` / `["name"]`, `[n]` (negative counts from the end),
 * `[*]` and `.*` (every element of an array, every value of an object). A path with a wildcard yields an array of
 * every match; one without yields the single value, or undefined when absent. Only own properties of plain objects
 * are read (`{$.constructor}` is absent). Pure: no Node built-ins (it runs in workflow code too).
 */

/** Longest path accepted. */
export const MAX_JSONPATH_LENGTH = 500;

/** One step of a path. */
export type JsonPathSegment = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

/** A compiled path: its source, its steps, and whether it yields a list (it has a wildcard). */
export interface JsonPath {
  source: string;
  segments: JsonPathSegment[];
  multiple: boolean;
}

const NAME_RE = /^[A-Za-z0-9_-]+/;
const INDEX_RE = /^-?[0-9]+/;

/**
 * Compiles a path. The error names the position (a 0-based offset into the text given), e.g.
 * `unexpected "}" at 6`.
 */
export function compileJsonPath(s: string): { ok: true; path: JsonPath } | { ok: false; error: string } {
  if (typeof s !== 'string') return { ok: false, error: 'must be a string' };
  if (s.length > MAX_JSONPATH_LENGTH) return { ok: false, error: `longer than ${MAX_JSONPATH_LENGTH} characters (${s.length})` };
  let text = s.trim();
  let offset = s.length - s.trimStart().length;
  if (text.startsWith('{')) {
    if (!text.endsWith('}')) return { ok: false, error: `missing closing "}" at ${offset + text.length}` };
    text = text.slice(1, -1);
    offset++;
  }
  if (text.trim() === '') return { ok: false, error: 'empty path' };
  const segments: JsonPathSegment[] = [];
  let i = 0;
  const at = (k: number) => offset + k;
  const unexpected = (k: number) => (k >= text.length ? `unexpected end of path at ${at(k)}` : `unexpected ${JSON.stringify(text[k])} at ${at(k)}`);
  if (text[0] === '$') i = 1;
  else if (text[0] !== '.' && text[0] !== '[') {
    // kubectl accepts a bare first field ("data.ok"), read as ".data.ok".
    text = `.${text}`;
    offset--;
  }
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      i++;
      if (text[i] === '*') {
        segments.push({ kind: 'wildcard' });
        i++;
        continue;
      }
      const name = NAME_RE.exec(text.slice(i));
      if (!name) return { ok: false, error: unexpected(i) };
      segments.push({ kind: 'field', name: name[0] });
      i += name[0].length;
    } else if (c === '[') {
      i++;
      const rest = text.slice(i);
      const quote = rest[0];
      if (rest.startsWith('*]')) {
        segments.push({ kind: 'wildcard' });
        i += 2;
      } else if (quote === "'" || quote === '"') {
        const end = rest.indexOf(quote, 1);
        if (end < 0) return { ok: false, error: `unterminated string at ${at(i)}` };
        if (rest[end + 1] !== ']') return { ok: false, error: unexpected(i + end + 1) };
        segments.push({ kind: 'field', name: rest.slice(1, end) });
        i += end + 2;
      } else {
        const index = INDEX_RE.exec(rest);
        if (!index) return { ok: false, error: unexpected(i) };
        if (rest[index[0].length] !== ']') return { ok: false, error: unexpected(i + index[0].length) };
        segments.push({ kind: 'index', index: Number(index[0]) });
        i += index[0].length + 1;
      }
    } else return { ok: false, error: unexpected(i) };
  }
  return { ok: true, path: { source: s, segments, multiple: segments.some((g) => g.kind === 'wildcard') } };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

function step(values: unknown[], g: JsonPathSegment): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (g.kind === 'wildcard') {
      if (Array.isArray(v)) out.push(...(v as unknown[]));
      else if (isPlainObject(v)) out.push(...Object.values(v));
    } else if (g.kind === 'index') {
      if (!Array.isArray(v)) continue;
      const k = g.index < 0 ? v.length + g.index : g.index;
      if (k >= 0 && k < v.length) out.push(v[k]);
    } else if (isPlainObject(v) && Object.prototype.hasOwnProperty.call(v, g.name)) out.push(v[g.name]);
  }
  return out;
}

/**
 * The value a path picks out of a document: the single value (undefined when absent) or, for a path with a
 * wildcard, the array of every match (empty when none).
 */
export function evalJsonPath(path: JsonPath, doc: unknown): unknown {
  let values: unknown[] = [doc];
  for (const g of path.segments) values = step(values, g);
  return path.multiple ? values : values[0];
}
