import { describe, expect, it } from 'vitest';
import { compileExpr, evalExpr, ExprError, MAX_NESTING, MAX_SOURCE_LENGTH, showValue, type Expr } from '../../../src/rollout/expr.js';

const compiled = (source: string): Expr => {
  const c = compileExpr(source);
  if (!c.ok) throw new Error(`${source} does not compile: ${c.error}`);
  return c.expr;
};
const run = (source: string, result: unknown): unknown => evalExpr(compiled(source), { result });

describe('evalExpr: conditions over result', () => {
  it.each<[string, string, unknown, unknown]>([
    ['result[0] < 0.05 with [0.01] is true', 'result[0] < 0.05', [0.01], true],
    ['result[0] < 0.05 with [0.5] is false', 'result[0] < 0.05', [0.5], false],
    ['result[0] >= 0.95 with [0.95] is true', 'result[0] >= 0.95', [0.95], true],
    ['result <= 3 with 3 is true', 'result <= 3', 3, true],
    ['result > 3 with 3 is false', 'result > 3', 3, false],
    ['an exponent literal: result < 1e-3 with 0.0005 is true', 'result < 1e-3', 0.0005, true],
    ['a leading-dot literal: result == .5 with 0.5 is true', 'result == .5', 0.5, true],
    ['a capital exponent: 1.5E2 is 150', '1.5E2', null, 150],
    ['len(result) == 0 with [] is true', 'len(result) == 0', [], true],
    ['len of a string counts its characters', 'len(result)', 'abcd', 4],
    ['len of an object counts its keys', 'len(result)', { a: 1, b: 2 }, 2],
    ['member access: result.data.ok with {data:{ok:true}} is true', 'result.data.ok', { data: { ok: true } }, true],
    ['indexing with a string key: result["k"]', 'result["k"]', { k: 'v' }, 'v'],
    ["single-quoted strings: result == 'up'", "result == 'up'", 'up', true],
    ['string escapes: "a\\"b" is a"b', '"a\\"b"', null, 'a"b'],
    ['nested indexing: result[1][0]', 'result[1][0]', [[1], [2, 3]], 2],
    ['an index computed from an expression: result[len(result) - 1]', 'result[len(result) - 1]', [1, 2, 7], 7],
    ['an absent field is undefined, so isNil(result.missing) is true', 'isNil(result.missing)', {}, true],
    ['isNil(result) with null is true', 'isNil(result)', null, true],
    ['isNil(result) with 0 is false', 'isNil(result)', 0, false],
    ['isNaN(result[0]) with [NaN] is true', 'isNaN(result[0])', [NaN], true],
    ['isNaN(result[0]) with [1] is false', 'isNaN(result[0])', [1], false],
    ['NaN compares false: result[0] < 0.05 with [NaN]', 'result[0] < 0.05', [NaN], false],
    ['NaN equals nothing, not even NaN', 'result == NaN', NaN, false],
    ['Infinity is a number: result < Infinity with 1e308', 'result < Infinity', 1e308, true],
    ['abs(-2) is 2', 'abs(-2)', null, 2],
    ['min of arguments', 'min(3, 1, 2)', null, 1],
    ['max of one array argument', 'max(result)', [3, 9, 2], 9],
    ['min with a NaN is NaN', 'isNaN(min(result))', [1, NaN], true],
    ['float("0.5") is 0.5', 'float(result)', '0.5', 0.5],
    ['float("NaN") is NaN', 'isNaN(float(result))', 'NaN', true],
    ['float("+Inf") is Infinity', 'float(result) == Infinity', '+Inf', true],
    ['float of a number is the number', 'float(result)', 2, 2],
    ['* binds tighter than +: 1 + 2 * 3 is 7', '1 + 2 * 3', null, 7],
    ['parentheses group: (1 + 2) * 3 is 9', '(1 + 2) * 3', null, 9],
    ['- is left-associative: 10 - 2 - 3 is 5', '10 - 2 - 3', null, 5],
    ['% is the remainder: 7 % 3 is 1', '7 % 3', null, 1],
    ['/ divides: 1 / 4 is 0.25', '1 / 4', null, 0.25],
    ['unary minus: -result with 2 is -2', '-result', 2, -2],
    ['unary not: !result with false is true', '!result', false, true],
    ['strings join with +', '"a" + result', 'b', 'ab'],
    ['strings compare lexically: "a" < "b"', '"a" < "b"', null, true],
    ['== across types is false, not an error: result == "1" with 1', 'result == "1"', 1, false],
    ['!= across types is true', 'result != "1"', 1, true],
    ['== on booleans', 'result == true', true, true],
    ['&& binds tighter than ||: true || false && false is true', 'true || false && false', null, true],
    ['|| short-circuits: isNaN(result[0]) || result[0] >= 0.95 with [NaN] is true', 'isNaN(result[0]) || result[0] >= 0.95', [NaN], true],
    ['&& short-circuits: len(result) > 0 && result[0] > 1 with [] is false', 'len(result) > 0 && result[0] > 1', [], false],
    ['whitespace and newlines are ignored', ' result\n[ 0 ]\t== 1 ', [1], true],
  ])('%s', (_, source, result, want) => {
    expect(run(source, result)).toEqual(want);
  });
});

describe('evalExpr: type errors are ExprErrors with a clear message', () => {
  it.each<[string, string, unknown, string]>([
    ['result[0] on an empty result is out of range', 'result[0]', [], 'index 0 out of range: result has 0 elements'],
    ['result[2] on two elements is out of range', 'result[2]', [1, 2], 'index 2 out of range: result has 2 elements'],
    ['a negative index is out of range', 'result[-1]', [1], 'index -1 out of range: result has 1 element'],
    ['a fractional index is refused', 'result[0.5]', [1], 'cannot index result, an array, with number 0.5'],
    ['an array indexed with a string is refused', 'result["a"]', [1], 'cannot index result, an array, with string "a"'],
    ['an object indexed with a number is refused', 'result[0]', { a: 1 }, 'cannot index result, an object, with number 0'],
    ['a number cannot be indexed', 'result[0]', 5, 'cannot index result, a number'],
    ['null has no fields', 'result.a', null, 'cannot read field "a" of result, a null'],
    ['an array has no fields', 'result.length', [1], 'cannot read field "length" of result, a array'],
    ['comparing a string with a number', 'result < 1', '0.5', 'cannot compare string "0.5" with number 1 using <'],
    ['comparing an array with ==', 'result == 1', [1], 'cannot compare array [1] with number 1 using =='],
    ['adding a string and a number', 'result + 1', 'a', 'cannot add string "a" and number 1'],
    ['multiplying a boolean', 'result * 2', true, '* takes numbers, got boolean true and number 2'],
    ['&& on a number', 'result && true', 1, '&& takes booleans, got number 1'],
    ['|| on a string (right side)', 'false || result', 'x', '|| takes booleans, got string "x"'],
    ['! on a number', '!result', 0, '! takes booleans, got number 0'],
    ['unary minus on a string', '-result', 'a', '- takes a number, got string "a"'],
    ['isNaN of a string', 'isNaN(result)', 'NaN', 'isNaN takes a number, got string "NaN"'],
    ['len of a number', 'len(result)', 3, 'len takes an array, a string or an object, got number 3'],
    ['abs of null', 'abs(result)', null, 'abs takes a number, got null null'],
    ['min of an empty array', 'min(result)', [], 'min of an empty array'],
    ['max of strings', 'max(result)', ['a'], 'max takes numbers, got string "a"'],
    ['float of a non-number string', 'float(result)', 'abc', 'float cannot parse "abc" as a number'],
    ['float of an object', 'float(result)', {}, 'float takes a number or a string, got object {}'],
  ])('%s', (_, source, result, message) => {
    const e = (() => {
      try {
        run(source, result);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(ExprError);
    expect((e as ExprError).message).toBe(message);
  });
});

describe('evalExpr: hostile inputs never reach a prototype', () => {
  it.each<[string, string, unknown, unknown]>([
    ['result.constructor of an object is absent', 'isNil(result.constructor)', {}, true],
    ['result.__proto__ of an object is absent', 'isNil(result.__proto__)', {}, true],
    ['result["__proto__"] of an object is absent', 'isNil(result["__proto__"])', {}, true],
    ['result.toString of an object is absent', 'isNil(result.toString)', { a: 1 }, true],
    ['result["constructor"]["name"] does not reach Object', 'isNil(result["constructor"])', {}, true],
    ['an own field named constructor is read', 'result.constructor', JSON.parse('{"constructor": 7}'), 7],
    ['an own __proto__ field from JSON is read', 'result.__proto__', JSON.parse('{"__proto__": 8}'), 8],
  ])('%s', (_, source, result, want) => {
    expect(run(source, result)).toEqual(want);
  });

  it('a class instance is not a plain object: its fields are refused', () => {
    class Secret {
      token = 'x';
    }
    expect(() => run('result.token', new Secret())).toThrow('cannot read field "token" of result, a object');
  });

  it('a function value (never produced by JSON) cannot be called or read', () => {
    expect(() => run('result.name', () => 1)).toThrow(ExprError);
  });
});

describe('compileExpr: refusals name what and where', () => {
  it.each<[string, string, string]>([
    ['a stray ] is refused at its position', 'result[0]]', 'unexpected "]" at 9'],
    ['unknown identifier foo is refused at compile time naming foo', 'foo > 1', 'unknown identifier "foo" at 0 (known: result, true, false, NaN, Infinity)'],
    ['constructor is an unknown identifier', 'constructor', 'unknown identifier "constructor" at 0 (known: result, true, false, NaN, Infinity)'],
    ['__proto__ is an unknown identifier', '__proto__', 'unknown identifier "__proto__" at 0 (known: result, true, false, NaN, Infinity)'],
    ['an unknown function is refused naming the known ones', 'eval("1")', 'unknown function "eval" at 0 (known: len, isNaN, isNil, abs, min, max, float)'],
    ['result cannot be called', 'result(1)', 'unknown function "result" at 0 (known: len, isNaN, isNil, abs, min, max, float)'],
    ['a function must be called', 'len', 'function len must be called, as len(...), at 0'],
    ['len with two arguments is refused', 'len(result, 1)', 'len takes 1 argument, got 2 at 0'],
    ['min with no argument is refused', 'min()', 'min takes at least 1 arguments, got 0 at 0'],
    ['an empty expression is refused', '   ', 'empty expression'],
    ['a dangling operator is refused at the end', 'result <', 'unexpected end of expression at 8'],
    ['an unclosed parenthesis is refused', '(result', 'unexpected end of expression at 7'],
    ['an unclosed string is refused', 'result == "a', 'unterminated string starting at 10'],
    ['an unknown escape is refused', '"\\x"', 'unknown escape "\\x" at 1'],
    ['a character outside the language is refused', 'result = 1', 'unexpected "=" at 7'],
    ['a backtick is refused', '`x`', 'unexpected "`" at 0'],
    ['a number glued to a name is refused', '1abc', 'malformed number at 0'],
    ['a field name must follow a dot', 'result.', 'unexpected end of expression at 7'],
    ['a number after a dot is not a field', 'result.0', 'unexpected ".0" at 6'],
    ['two values in a row are refused', 'result 1', 'unexpected "1" at 7'],
    [
      `a source longer than ${MAX_SOURCE_LENGTH} characters is refused`,
      `1${' '.repeat(MAX_SOURCE_LENGTH)}`,
      `longer than ${MAX_SOURCE_LENGTH} characters (1001)`,
    ],
    [`nesting deeper than ${MAX_NESTING} parentheses is refused`, `${'('.repeat(51)}1${')'.repeat(51)}`, `nesting deeper than ${MAX_NESTING} levels at 50`],
    [`more than ${MAX_NESTING} unary operators are refused`, `${'!'.repeat(51)}true`, `nesting deeper than ${MAX_NESTING} levels at 50`],
    [`brackets nested deeper than ${MAX_NESTING} are refused`, `${'result['.repeat(51)}0${']'.repeat(51)}`, `nesting deeper than ${MAX_NESTING} levels at 356`],
  ])('%s', (_, source, error) => {
    expect(compileExpr(source)).toEqual({ ok: false, error });
  });

  it(`${MAX_NESTING} levels of parentheses still compile and evaluate`, () => {
    expect(run(`${'('.repeat(MAX_NESTING)}result${')'.repeat(MAX_NESTING)}`, 4)).toBe(4);
  });

  it('a long flat chain (no nesting) within the length limit compiles and evaluates', () => {
    const source = Array.from({ length: 300 }, () => '1').join('+');
    expect(run(source, null)).toBe(300);
  });
});

describe('showValue: values in messages', () => {
  it.each<[string, unknown, string]>([
    ['an array with NaN shows NaN bare', [NaN, 0.5], '[NaN,0.5]'],
    ['infinities show as such', [Infinity, -Infinity], '[Infinity,-Infinity]'],
    ['strings are quoted', 'up', '"up"'],
    ['objects as JSON', { a: [1], b: null }, '{"a":[1],"b":null}'],
    ['undefined is named', undefined, 'undefined'],
    ['a long array is cut', Array.from({ length: 30 }, (_, i) => i), `[${Array.from({ length: 20 }, (_, i) => i).join(',')},…]`],
  ])('%s', (_, v, want) => {
    expect(showValue(v)).toBe(want);
  });
});
