/**
 * The condition language of analysis metrics (`successCondition: result[0] < 0.05`): a small, safe expression
 * language over one variable, `result`, in the spirit of the expr-lang conditions Argo Rollouts evaluates.
 *
 * Compiled by a hand-written recursive-descent parser and evaluated by walking the tree: never `eval` or `Function`,
 * no Node built-ins, deterministic (it runs in workflow code). Member access and indexing only reach own properties
 * of plain objects and elements of arrays, so `result.constructor` or `result["__proto__"]` never reach a prototype.
 * Hostile inputs are bounded: at most {@link MAX_SOURCE_LENGTH} characters and {@link MAX_NESTING} levels of
 * nesting (parentheses, brackets, calls, unary operators).
 *
 * Types are strict, as in Go: `<`, `<=`, `>`, `>=` compare two numbers or two strings; `+` adds numbers or joins
 * strings; `- * / %` take numbers; `!`, `&&`, `||` take booleans (`&&` and `||` short-circuit); `==` and `!=`
 * compare numbers, strings, booleans and null (values of different types are unequal; NaN equals nothing). A type
 * error is an {@link ExprError} at evaluation.
 */

/** Longest condition accepted. */
export const MAX_SOURCE_LENGTH = 1000;
/** Deepest nesting of parentheses, brackets, calls and unary operators accepted. */
export const MAX_NESTING = 50;

/** The functions a condition may call, with how many arguments each takes ([min, max]; max null: any). */
const FUNCTIONS = {
  /** Length of an array or string, number of keys of an object. */
  len: [1, 1],
  /** True for the number NaN. */
  isNaN: [1, 1],
  /** True for null (and an absent field). */
  isNil: [1, 1],
  /** Absolute value of a number. */
  abs: [1, 1],
  /** Smallest of its numbers, or of the numbers of one array argument. */
  min: [1, null],
  /** Largest of its numbers, or of the numbers of one array argument. */
  max: [1, null],
  /** A number, or a string parsed as one ("0.5", "NaN", "+Inf"). */
  float: [1, 1],
} as const satisfies Record<string, readonly [number, number | null]>;

/** Name of a function a condition may call. */
export type FunctionName = keyof typeof FUNCTIONS;

const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];
const isFunctionName = (s: string): s is FunctionName => Object.prototype.hasOwnProperty.call(FUNCTIONS, s);

/** Binary operators, by precedence from loosest to tightest. */
export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

/** A node of a compiled condition. */
export type ExprNode =
  | { kind: 'literal'; value: number | string | boolean }
  | { kind: 'result' }
  | { kind: 'member'; object: ExprNode; name: string }
  | { kind: 'index'; object: ExprNode; index: ExprNode }
  | { kind: 'unary'; op: '!' | '-'; operand: ExprNode }
  | { kind: 'binary'; op: BinaryOp; left: ExprNode; right: ExprNode }
  | { kind: 'call'; fn: FunctionName; args: ExprNode[] };

/** A compiled condition: its source and its tree. */
export interface Expr {
  source: string;
  root: ExprNode;
}

/** A condition that cannot be evaluated on this value (a type error, an index out of range). */
export class ExprError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExprError';
  }
}

type Token =
  | { kind: 'number'; value: number; pos: number; text: string }
  | { kind: 'string'; value: string; pos: number; text: string }
  | { kind: 'ident'; value: string; pos: number; text: string }
  | { kind: 'punct'; value: string; pos: number; text: string }
  | { kind: 'end'; pos: number; text: string };

class CompileError extends Error {}

const PUNCT = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '!', '+', '-', '*', '/', '%', '(', ')', '[', ']', '.', ','];
const NUMBER_RE = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*/;
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const num = NUMBER_RE.exec(rest);
    if (num && !(c === '.' && !/^\.[0-9]/.test(rest))) {
      const text = num[0];
      if (IDENT_RE.test(src.slice(i + text.length))) throw new CompileError(`malformed number at ${i}`);
      tokens.push({ kind: 'number', value: Number(text), pos: i, text });
      i += text.length;
      continue;
    }
    const ident = IDENT_RE.exec(rest);
    if (ident) {
      tokens.push({ kind: 'ident', value: ident[0], pos: i, text: ident[0] });
      i += ident[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new CompileError(`unterminated string starting at ${i}`);
        const d = src[j] as string;
        if (d === c) break;
        if (d === '\\') {
          const e = src[j + 1];
          const esc = e === undefined ? undefined : ESCAPES[e];
          if (esc === undefined) throw new CompileError(`unknown escape "\\${e ?? ''}" at ${j}`);
          value += esc;
          j += 2;
        } else {
          value += d;
          j++;
        }
      }
      tokens.push({ kind: 'string', value, pos: i, text: src.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    const p = PUNCT.find((op) => src.startsWith(op, i));
    if (!p) throw new CompileError(`unexpected ${JSON.stringify(c)} at ${i}`);
    tokens.push({ kind: 'punct', value: p, pos: i, text: p });
    i += p.length;
  }
  tokens.push({ kind: 'end', pos: src.length, text: '' });
  return tokens;
}

const LEVELS: readonly (readonly BinaryOp[])[] = [['||'], ['&&'], ['==', '!='], ['<', '<=', '>', '>='], ['+', '-'], ['*', '/', '%']];

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }

  private unexpected(t: Token): CompileError {
    return new CompileError(t.kind === 'end' ? `unexpected end of expression at ${t.pos}` : `unexpected ${JSON.stringify(t.text)} at ${t.pos}`);
  }

  private isPunct(value: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.value === value;
  }

  private expect(value: string): void {
    if (!this.isPunct(value)) throw this.unexpected(this.peek());
    this.i++;
  }

  private nest<T>(pos: number, f: () => T): T {
    if (++this.depth > MAX_NESTING) throw new CompileError(`nesting deeper than ${MAX_NESTING} levels at ${pos}`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  parseAll(): ExprNode {
    const node = this.binary(0);
    const t = this.peek();
    if (t.kind !== 'end') throw this.unexpected(t);
    return node;
  }

  private binary(level: number): ExprNode {
    if (level >= LEVELS.length) return this.unary();
    const ops = LEVELS[level] as readonly BinaryOp[];
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'punct' || !(ops as readonly string[]).includes(t.value)) return left;
      this.i++;
      const right = this.binary(level + 1);
      left = { kind: 'binary', op: t.value as BinaryOp, left, right };
    }
  }

  private unary(): ExprNode {
    const t = this.peek();
    if (t.kind === 'punct' && (t.value === '!' || t.value === '-')) {
      this.i++;
      return this.nest(t.pos, () => ({ kind: 'unary', op: t.value as '!' | '-', operand: this.unary() }));
    }
    return this.postfix(this.primary());
  }

  private postfix(node: ExprNode): ExprNode {
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'punct') return node;
      if (t.value === '.') {
        this.i++;
        const name = this.peek();
        if (name.kind !== 'ident') throw this.unexpected(name);
        this.i++;
        node = { kind: 'member', object: node, name: name.value };
      } else if (t.value === '[') {
        this.i++;
        const index = this.nest(t.pos, () => this.binary(0));
        this.expect(']');
        node = { kind: 'index', object: node, index };
      } else return node;
    }
  }

  private primary(): ExprNode {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
      case 'string':
        this.i++;
        return { kind: 'literal', value: t.value };
      case 'ident':
        this.i++;
        return this.identifier(t);
      case 'punct':
        if (t.value === '(') {
          this.i++;
          const inner = this.nest(t.pos, () => this.binary(0));
          this.expect(')');
          return inner;
        }
        throw this.unexpected(t);
      case 'end':
        throw this.unexpected(t);
    }
  }

  private identifier(t: Token & { kind: 'ident' }): ExprNode {
    const name = t.value;
    const called = this.isPunct('(');
    if (isFunctionName(name)) {
      if (!called) throw new CompileError(`function ${name} must be called, as ${name}(...), at ${t.pos}`);
      const open = this.peek();
      this.i++;
      const args = this.nest(open.pos, () => {
        const out: ExprNode[] = [];
        if (this.isPunct(')')) return out;
        for (;;) {
          out.push(this.binary(0));
          if (!this.isPunct(',')) return out;
          this.i++;
        }
      });
      this.expect(')');
      const [lo, hi] = FUNCTIONS[name];
      if (args.length < lo || (hi !== null && args.length > hi)) {
        const want = hi === null ? `at least ${lo}` : `${lo}`;
        throw new CompileError(`${name} takes ${want} argument${lo === 1 && hi === 1 ? '' : 's'}, got ${args.length} at ${t.pos}`);
      }
      return { kind: 'call', fn: name, args };
    }
    if (called) throw new CompileError(`unknown function "${name}" at ${t.pos} (known: ${FUNCTION_NAMES.join(', ')})`);
    switch (name) {
      case 'result':
        return { kind: 'result' };
      case 'true':
        return { kind: 'literal', value: true };
      case 'false':
        return { kind: 'literal', value: false };
      case 'NaN':
        return { kind: 'literal', value: NaN };
      case 'Infinity':
        return { kind: 'literal', value: Infinity };
      default:
        throw new CompileError(`unknown identifier "${name}" at ${t.pos} (known: result, true, false, NaN, Infinity)`);
    }
  }
}

/**
 * Compiles a condition. The error names what is wrong and where (a 0-based character offset), e.g.
 * `unexpected "]" at 9` or `unknown identifier "foo" at 0 (known: ...)`.
 */
export function compileExpr(source: string): { ok: true; expr: Expr } | { ok: false; error: string } {
  if (typeof source !== 'string') return { ok: false, error: 'must be a string' };
  if (source.length > MAX_SOURCE_LENGTH) return { ok: false, error: `longer than ${MAX_SOURCE_LENGTH} characters (${source.length})` };
  try {
    const tokens = tokenize(source);
    if (tokens.length === 1) return { ok: false, error: 'empty expression' };
    return { ok: true, expr: { source, root: new Parser(tokens).parseAll() } };
  } catch (e) {
    if (e instanceof CompileError) return { ok: false, error: e.message };
    throw e;
  }
}

/** The type of a value as error messages name it. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/** An own field of a plain object (undefined when absent); never a prototype's. */
function field(object: unknown, name: string, what: string): unknown {
  if (!isPlainObject(object)) throw new ExprError(`cannot read field ${JSON.stringify(name)} of ${what}, a ${typeName(object)}`);
  return Object.prototype.hasOwnProperty.call(object, name) ? object[name] : undefined;
}

/** Renders a value for a message, as JSON but with NaN and the infinities as such; long values are cut. */
export function showValue(v: unknown): string {
  const s = render(v, 0);
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}

function render(v: unknown, depth: number): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (depth > 5) return '…';
  if (Array.isArray(v))
    return `[${v
      .slice(0, 20)
      .map((x) => render(x, depth + 1))
      .join(',')}${v.length > 20 ? ',…' : ''}]`;
  if (isPlainObject(v)) {
    const entries = Object.entries(v);
    const shown = entries.slice(0, 20).map(([k, x]) => `${JSON.stringify(k)}:${render(x, depth + 1)}`);
    return `{${shown.join(',')}${entries.length > 20 ? ',…' : ''}}`;
  }
  return typeName(v);
}

const FLOAT_RE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** A string's number as Go's strconv.ParseFloat reads it ("0.5", "1e-3", "NaN", "+Inf", "-Inf"), or null. */
export function parseFloatStrict(s: string): number | null {
  const t = s.trim();
  if (FLOAT_RE.test(t)) return Number(t);
  const lower = t.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  return null;
}

function numbers(fn: string, args: unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (list.length === 0) throw new ExprError(`${fn} of an empty array`);
  return list.map((x) => {
    if (typeof x !== 'number') throw new ExprError(`${fn} takes numbers, got ${typeName(x)} ${showValue(x)}`);
    return x;
  });
}

function call(fn: FunctionName, args: unknown[]): unknown {
  const [x] = args;
  switch (fn) {
    case 'len':
      if (typeof x === 'string' || Array.isArray(x)) return x.length;
      if (isPlainObject(x)) return Object.keys(x).length;
      throw new ExprError(`len takes an array, a string or an object, got ${typeName(x)} ${showValue(x)}`);
    case 'isNaN':
      if (typeof x !== 'number') throw new ExprError(`isNaN takes a number, got ${typeName(x)} ${showValue(x)}`);
      return Number.isNaN(x);
    case 'isNil':
      return x === null || x === undefined;
    case 'abs':
      if (typeof x !== 'number') throw new ExprError(`abs takes a number, got ${typeName(x)} ${showValue(x)}`);
      return Math.abs(x);
    case 'min':
      return numbers('min', args).reduce((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)));
    case 'max':
      return numbers('max', args).reduce((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)));
    case 'float': {
      if (typeof x === 'number') return x;
      if (typeof x === 'string') {
        const n = parseFloatStrict(x);
        if (n === null) throw new ExprError(`float cannot parse ${JSON.stringify(x)} as a number`);
        return n;
      }
      throw new ExprError(`float takes a number or a string, got ${typeName(x)} ${showValue(x)}`);
    }
  }
}

const isComparable = (v: unknown): boolean => v === null || v === undefined || ['number', 'string', 'boolean'].includes(typeof v);

function boolean(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new ExprError(`${what} takes booleans, got ${typeName(v)} ${showValue(v)}`);
  return v;
}

function binary(op: BinaryOp, left: ExprNode, right: ExprNode, env: { result: unknown }): unknown {
  if (op === '&&') return boolean(evalNode(left, env), '&&') && boolean(evalNode(right, env), '&&');
  if (op === '||') return boolean(evalNode(left, env), '||') || boolean(evalNode(right, env), '||');
  const a = evalNode(left, env);
  const b = evalNode(right, env);
  switch (op) {
    case '==':
    case '!=': {
      if (!isComparable(a) || !isComparable(b))
        throw new ExprError(`cannot compare ${typeName(a)} ${showValue(a)} with ${typeName(b)} ${showValue(b)} using ${op}`);
      const same = (a ?? null) === (b ?? null);
      return op === '==' ? same : !same;
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
        throw new ExprError(`cannot compare ${typeName(a)} ${showValue(a)} with ${typeName(b)} ${showValue(b)} using ${op}`);
      }
      if (op === '<') return a < b;
      if (op === '<=') return a <= b;
      if (op === '>') return a > b;
      return a >= b;
    }
    case '+':
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (typeof a === 'number' && typeof b === 'number') return a + b;
      throw new ExprError(`cannot add ${typeName(a)} ${showValue(a)} and ${typeName(b)} ${showValue(b)}`);
    default:
      if (typeof a !== 'number' || typeof b !== 'number') {
        throw new ExprError(`${op} takes numbers, got ${typeName(a)} ${showValue(a)} and ${typeName(b)} ${showValue(b)}`);
      }
      if (op === '-') return a - b;
      if (op === '*') return a * b;
      if (op === '/') return a / b;
      return a % b;
  }
}

function describe(node: ExprNode): string {
  switch (node.kind) {
    case 'result':
      return 'result';
    case 'member':
      return `${describe(node.object)}.${node.name}`;
    case 'index':
      return `${describe(node.object)}[${node.index.kind === 'literal' ? showValue(node.index.value) : '…'}]`;
    default:
      return 'the value';
  }
}

function evalNode(node: ExprNode, env: { result: unknown }): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'result':
      return env.result;
    case 'member':
      return field(evalNode(node.object, env), node.name, describe(node.object));
    case 'index': {
      const object = evalNode(node.object, env);
      const index = evalNode(node.index, env);
      if (Array.isArray(object)) {
        if (typeof index !== 'number' || !Number.isInteger(index)) {
          throw new ExprError(`cannot index ${describe(node.object)}, an array, with ${typeName(index)} ${showValue(index)}`);
        }
        if (index < 0 || index >= object.length) {
          throw new ExprError(`index ${index} out of range: ${describe(node.object)} has ${object.length} element${object.length === 1 ? '' : 's'}`);
        }
        return object[index] as unknown;
      }
      if (isPlainObject(object)) {
        if (typeof index !== 'string') throw new ExprError(`cannot index ${describe(node.object)}, an object, with ${typeName(index)} ${showValue(index)}`);
        return field(object, index, describe(node.object));
      }
      throw new ExprError(`cannot index ${describe(node.object)}, a ${typeName(object)}`);
    }
    case 'unary': {
      const v = evalNode(node.operand, env);
      if (node.op === '!') return !boolean(v, '!');
      if (typeof v !== 'number') throw new ExprError(`- takes a number, got ${typeName(v)} ${showValue(v)}`);
      return -v;
    }
    case 'binary':
      return binary(node.op, node.left, node.right, env);
    case 'call':
      return call(
        node.fn,
        node.args.map((a) => evalNode(a, env)),
      );
  }
}

/** Evaluates a compiled condition on `result`. Throws {@link ExprError} on a type error or an index out of range. */
export function evalExpr(expr: Expr, env: { result: unknown }): unknown {
  return evalNode(expr.root, env);
}
