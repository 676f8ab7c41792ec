/**
 * Label selectors (k8s.io/apimachinery/pkg/labels) and field selectors
 * (k8s.io/apimachinery/pkg/fields) in their string forms, as sent in
 * `labelSelector` / `fieldSelector` query parameters.
 */
import { badRequest } from './errors.js';
import type { JsonObject } from './json.js';
import { labelValueErrors, qualifiedNameErrors } from './validation.js';

type Operator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

/** A parsed label selector; an empty selector matches everything. */
export class LabelSelector {
  private static readonly EVERYTHING = new LabelSelector([]);

  private constructor(private readonly reqs: readonly Requirement[]) {}

  /** Parses the string form (`a=b,c!=d,e in (f,g),!h,i`). Throws a 400 ApiError when malformed. */
  static parse(s: string | null | undefined): LabelSelector {
    if (!s || !s.trim()) return LabelSelector.EVERYTHING;
    return new LabelSelector(new LabelParser(s).parse());
  }

  /** True when the labels satisfy every requirement. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    for (const r of this.reqs) {
      const has = labels !== undefined && Object.hasOwn(labels, r.key);
      const v = has ? labels[r.key]! : undefined;
      switch (r.op) {
        case 'exists':
          if (!has) return false;
          break;
        case '!':
          if (has) return false;
          break;
        case '=':
        case 'in':
          if (!has || !r.values.includes(v!)) return false;
          break;
        case '!=':
        case 'notin':
          // absent keys satisfy inequality, as in the real selector
          if (has && r.values.includes(v!)) return false;
          break;
        case 'gt':
        case 'lt': {
          const n = Number.parseInt(v ?? '', 10);
          const bound = Number.parseInt(r.values[0]!, 10);
          if (!has || Number.isNaN(n) || (r.op === 'gt' ? !(n > bound) : !(n < bound))) return false;
          break;
        }
      }
    }
    return true;
  }

  /** True for a selector without requirements. */
  get empty(): boolean {
    return this.reqs.length === 0;
  }
}

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string } | { kind: 'end' };

class LabelParser {
  private readonly tokens: Token[] = [];
  private pos = 0;

  constructor(src: string) {
    const re = /\s*(?:(==|!=|=|!|\(|\)|,|>|<)|([^\s=!(),<>]+))/y;
    let at = 0;
    for (;;) {
      re.lastIndex = at;
      const m = re.exec(src);
      if (m === null) break;
      at = re.lastIndex;
      if (m[1] !== undefined) this.tokens.push({ kind: 'op', text: m[1] });
      else this.tokens.push({ kind: 'id', text: m[2]! });
    }
    if (src.slice(at).trim() !== '') this.fail(`unexpected character at ${at}`);
    this.tokens.push({ kind: 'end' });
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      reqs.push(this.requirement());
      const t = this.next();
      if (t.kind === 'end') return reqs;
      if (!(t.kind === 'op' && t.text === ',')) this.fail(`found '${this.describe(t)}', expected: ',' or 'end of string'`);
    }
  }

  private requirement(): Requirement {
    let t = this.next();
    if (t.kind === 'op' && t.text === '!') {
      t = this.next();
      if (t.kind !== 'id') this.fail(`found '${this.describe(t)}', expected: identifier after '!'`);
      return this.checked({ key: t.text, op: '!', values: [] });
    }
    if (t.kind !== 'id') this.fail(`found '${this.describe(t)}', expected: !, identifier, or 'end of string'`);
    const key = t.text;
    const op = this.peek();
    if (op.kind === 'end' || (op.kind === 'op' && op.text === ',')) return this.checked({ key, op: 'exists', values: [] });
    this.next();
    if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
      const values = this.valueSet();
      if (values.length === 0) this.fail(`for 'in', 'notin' operators, values set can't be empty`);
      return this.checked({ key, op: op.text, values });
    }
    if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
      const v = this.peek();
      // `a=` selects objects whose label a is empty
      const value = v.kind === 'id' ? (this.next(), v.text) : '';
      return this.checked({ key, op: op.text === '!=' ? '!=' : '=', values: [value] });
    }
    if (op.kind === 'op' && (op.text === '>' || op.text === '<')) {
      const v = this.next();
      if (v.kind !== 'id' || !/^-?\d+$/.test(v.text)) this.fail(`for 'gt', 'lt' operators, exactly one integer value is required`);
      return { key, op: op.text === '>' ? 'gt' : 'lt', values: [(v as { text: string }).text] };
    }
    return this.fail(`found '${this.describe(op)}', expected: in, notin, =, ==, !=, gt, lt`);
  }

  private valueSet(): string[] {
    const open = this.next();
    if (!(open.kind === 'op' && open.text === '(')) this.fail(`found '${this.describe(open)}', expected: '('`);
    const values: string[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind === 'op' && t.text === ')') return values;
      if (t.kind === 'op' && t.text === ',') {
        // an empty member, as in `(a,,b)` or `(a,)`, is the empty string
        if (this.peek().kind === 'op') values.push('');
        continue;
      }
      if (t.kind !== 'id') this.fail(`found '${this.describe(t)}', expected: ',', ')' or identifier`);
      values.push((t as { text: string }).text);
    }
  }

  private checked(r: Requirement): Requirement {
    for (const m of qualifiedNameErrors(r.key)) this.fail(`key: Invalid value: ${JSON.stringify(r.key)}: ${m}`);
    for (const [i, v] of r.values.entries()) {
      for (const m of labelValueErrors(v)) this.fail(`values[${i}][${r.key}]: Invalid value: ${JSON.stringify(v)}: ${m}`);
    }
    return r;
  }

  private next(): Token {
    return this.tokens[Math.min(this.pos++, this.tokens.length - 1)]!;
  }

  private peek(): Token {
    return this.tokens[Math.min(this.pos, this.tokens.length - 1)]!;
  }

  private describe(t: Token): string {
    return t.kind === 'end' ? 'end of string' : t.text;
  }

  private fail(why: string): never {
    throw badRequest(`unable to parse requirement: ${why}`);
  }
}

/** Extracts a selectable field's value from an object (missing fields read as ''). */
export type FieldGetter = (o: JsonObject) => string;

interface FieldTerm {
  field: string;
  negate: boolean;
  value: string;
}

/** A parsed field selector restricted to the fields a resource declares selectable. */
export class FieldSelector {
  private constructor(
    private readonly terms: readonly FieldTerm[],
    private readonly getters: Readonly<Record<string, FieldGetter>>,
  ) {}

  /** Parses `a=b,c!=d` (with `\,` `\=` `\\` escapes). Unknown fields are a 400, like the real server. */
  static parse(s: string | null | undefined, getters: Readonly<Record<string, FieldGetter>>): FieldSelector {
    const terms: FieldTerm[] = [];
    if (s && s.trim()) {
      for (const part of splitUnescaped(s, ',')) {
        const t = parseTerm(part);
        if (!Object.hasOwn(getters, t.field)) throw badRequest(`field label not supported: ${t.field}`);
        terms.push(t);
      }
    }
    return new FieldSelector(terms, getters);
  }

  /** True when every term holds for the object. */
  matches(o: JsonObject): boolean {
    for (const t of this.terms) {
      const v = this.getters[t.field]!(o);
      if ((v === t.value) === t.negate) return false;
    }
    return true;
  }

  /** The value required by an equality term on `fieldName`, if any (used to narrow by name/namespace). */
  exact(fieldName: string): string | undefined {
    return this.terms.find((t) => t.field === fieldName && !t.negate)?.value;
  }
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[++i];
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function parseTerm(part: string): FieldTerm {
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '!' && part[i + 1] === '=') return { field: part.slice(0, i).trim(), negate: true, value: unescapeField(part.slice(i + 2)) };
    if (c === '=') {
      const skip = part[i + 1] === '=' ? 2 : 1;
      return { field: part.slice(0, i).trim(), negate: false, value: unescapeField(part.slice(i + skip)) };
    }
  }
  throw badRequest(`invalid selector: '${part}'; can't understand '${part}'`);
}

function unescapeField(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}
