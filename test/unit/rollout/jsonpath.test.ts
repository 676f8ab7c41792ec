import { describe, expect, it } from 'vitest';
import { compileJsonPath, evalJsonPath, MAX_JSONPATH_LENGTH } from '../../../src/rollout/jsonpath.js';

const DOC = {
  data: { ok: true, rate: 0.01, 'error-rate': 0.2, nothing: null },
  a: { b: [{ c: 1 }, { c: 2 }] },
  items: [{ value: 1 }, { value: 2 }, { other: 3 }, { value: 4 }],
  matrix: [
    [1, 2],
    [3, 4],
  ],
};

const at = (path: string, doc: unknown = DOC): unknown => {
  const c = compileJsonPath(path);
  if (!c.ok) throw new Error(`${path} does not compile: ${c.error}`);
  return evalJsonPath(c.path, doc);
};

describe('evalJsonPath: the kubectl-style subset of the web provider', () => {
  it.each<[string, string, unknown]>([
    ['{$.data.ok} with braces picks a boolean', '{$.data.ok}', true],
    ['$.data.rate without braces picks a number', '$.data.rate', 0.01],
    ['{.data.rate} without $ (kubectl style)', '{.data.rate}', 0.01],
    ['data.rate with neither $ nor a leading dot', 'data.rate', 0.01],
    ['$.a.b[0].c indexes an array', '$.a.b[0].c', 1],
    ['a negative index counts from the end', '$.a.b[-1].c', 2],
    ['a dashed field name', '$.data.error-rate', 0.2],
    ["a bracketed quoted field: $['data']['ok']", "$['data']['ok']", true],
    ['a double-quoted bracketed field', '$["data"].rate', 0.01],
    ['$ alone is the whole document', '{$}', DOC],
    ['a null value is null, not absent', '$.data.nothing', null],
    ['{$.items[*].value} collects every match into an array (items without it skipped)', '{$.items[*].value}', [1, 2, 4]],
    ['.* collects every value of an object', '$.data.*', [true, 0.01, 0.2, null]],
    ['two wildcards flatten', '$.matrix[*][*]', [1, 2, 3, 4]],
    ['a wildcard matching nothing is an empty array', '$.missing[*]', []],
    ['an absent field is undefined', '$.data.missing', undefined],
    ['an index out of range is undefined', '$.a.b[5].c', undefined],
    ['indexing an object is undefined', '$.data[0]', undefined],
    ['a field of an array is undefined', '$.items.value', undefined],
    ['surrounding whitespace is ignored', '  {$.data.ok}  ', true],
  ])('%s', (_, path, want) => {
    expect(at(path)).toEqual(want);
  });

  it.each<[string, string]>([
    ['constructor of a plain object is absent', '$.constructor'],
    ['__proto__ of a plain object is absent', "$['__proto__']"],
    ['toString is absent', '$.data.toString'],
    ['an array has no length field', '$.items.length'],
  ])('hostile path: %s', (_, path) => {
    expect(at(path)).toBeUndefined();
  });

  it('an own __proto__ field parsed from JSON is read', () => {
    expect(at('$.__proto__.x', JSON.parse('{"__proto__": {"x": 5}}'))).toBe(5);
  });
});

describe('compileJsonPath: refusals name the position', () => {
  it.each<[string, string, string]>([
    ['a missing closing brace', '{$.data.ok', 'missing closing "}" at 10'],
    ['an empty path', '{}', 'empty path'],
    ['an unclosed bracket', '{$.a[}', 'unexpected end of path at 5'],
    ['a bracket with neither index, quote nor *', '$.a[x]', 'unexpected "x" at 4'],
    ['an index not closed by ]', '$.a[1', 'unexpected end of path at 5'],
    ['an unterminated quoted field', "$['a]", 'unterminated string at 2'],
    ['a quoted field not closed by ]', "$['a'x", 'unexpected "x" at 5'],
    ['a dot with no name', '$.', 'unexpected end of path at 2'],
    ['a filter expression is not in the subset', '$.items[?(@.value>1)]', 'unexpected "?" at 8'],
    ['a character outside names', '$.a b', 'unexpected " " at 3'],
    ['a second $', '$.a$', 'unexpected "$" at 3'],
    [`a path longer than ${MAX_JSONPATH_LENGTH} characters`, `$${'.a'.repeat(MAX_JSONPATH_LENGTH)}`, `longer than ${MAX_JSONPATH_LENGTH} characters (1001)`],
  ])('%s', (_, path, error) => {
    expect(compileJsonPath(path)).toEqual({ ok: false, error });
  });

  it('a compiled path says whether it yields a list', () => {
    const one = compileJsonPath('{$.data.ok}');
    const many = compileJsonPath('{$.items[*].value}');
    expect(one.ok && one.path.multiple).toBe(false);
    expect(many.ok && many.path.multiple).toBe(true);
    expect(one.ok && one.path.segments).toEqual([
      { kind: 'field', name: 'data' },
      { kind: 'field', name: 'ok' },
    ]);
  });
});
