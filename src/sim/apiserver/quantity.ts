/**
 * resource.Quantity canonical form (k8s.io/apimachinery/pkg/api/resource), as
 * the real server re-encodes every quantity it decodes: `0.5` → `500m`,
 * `1.5Gi` → `1536Mi`, `1000k` → `1M`, `0.5Ki` → `512`.
 *
 * The value is held exactly as a BigInt count of nano-units (precision below
 * that rounds up, as Quantity does). The suffix family of the input is kept:
 * binary (Ki, Mi, …) unless the value is below 1024 or fractional, decimal SI,
 * or decimal exponent (`e3`).
 */

const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const DECIMAL_SUFFIX: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const NANO = 10n ** 9n;

function pow10(e: number): bigint {
  return 10n ** BigInt(e);
}

/**
 * Canonical string of a quantity, or undefined when `v` is not a quantity (left for validation to report).
 * `roundUpToNanoPower` rounds the value up to a multiple of 10^n nano-units first (6: milli-units).
 */
export function canonicalQuantity(v: unknown, roundUpToNanoPower = 0): string | undefined {
  const parsed = parse(v);
  if (!parsed) return undefined;
  const { format, neg } = parsed;
  let nanos = parsed.nanos;
  if (roundUpToNanoPower > 0) {
    const unit = pow10(roundUpToNanoPower);
    if (nanos % unit !== 0n) nanos = (nanos / unit + (nanos > 0n ? 1n : 0n)) * unit;
  }
  if (nanos === 0n) return '0';

  if (format === 'binary' && nanos % NANO === 0n && nanos / NANO >= 1024n) {
    const bytes = nanos / NANO;
    let k = 0;
    while (k < BINARY_SUFFIX.length - 1 && bytes % 1024n ** BigInt(k + 1) === 0n) k++;
    return `${neg ? '-' : ''}${bytes / 1024n ** BigInt(k)}${BINARY_SUFFIX[k]}`;
  }
  // decimal: the largest exponent that is a multiple of 3 and leaves an integer mantissa
  let e = 18;
  while (e > -9 && nanos % pow10(e + 9) !== 0n) e -= 3;
  const mantissa = nanos / pow10(e + 9);
  const suffixOut = format === 'exponent' ? (e === 0 ? '' : `e${e}`) : Object.keys(DECIMAL_SUFFIX).find((s) => DECIMAL_SUFFIX[s] === e)!;
  return `${neg ? '-' : ''}${mantissa}${suffixOut}`;
}

/** The value of a quantity in nano-units, signed (`100m` → 100000000n), or undefined when `v` is not a quantity. */
export function quantityNanos(v: unknown): bigint | undefined {
  const parsed = parse(v);
  return parsed && (parsed.neg ? -parsed.nanos : parsed.nanos);
}

/** What the real decoder answers for a string that is not a quantity (resource.ErrFormatWrong). */
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** Whether a JSON value decodes as a resource.Quantity (a quantity string, a number, or null for zero). */
export function decodesAsQuantity(v: unknown): boolean {
  return v === null || parse(v) !== undefined;
}

function parse(v: unknown): { nanos: bigint; neg: boolean; format: 'binary' | 'decimal' | 'exponent' } | undefined {
  const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
  if (typeof text !== 'string') return undefined;
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [, sign = '', whole = '', frac = '', suffix = ''] = m;
  if (!whole && !frac) return undefined;
  const digits = BigInt(`${whole}${frac}` || '0');
  const scale = frac.length;

  let format: 'binary' | 'decimal' | 'exponent';
  let nanos: bigint;
  // precision below a nano-unit is rounded up, as Quantity does
  const divide = (num: bigint, den: bigint): bigint => num / den + (num % den !== 0n ? 1n : 0n);
  const binary = BINARY_SUFFIX.indexOf(suffix);
  if (suffix && binary > 0) {
    format = 'binary';
    nanos = divide(digits * 1024n ** BigInt(binary) * NANO, pow10(scale));
  } else if (/^[eE]/.test(suffix)) {
    format = 'exponent';
    const e = Number(suffix.slice(1)) + 9 - scale;
    nanos = e >= 0 ? digits * pow10(e) : divide(digits, pow10(-e));
  } else {
    format = 'decimal';
    const e = DECIMAL_SUFFIX[suffix]! + 9 - scale;
    nanos = e >= 0 ? digits * pow10(e) : divide(digits, pow10(-e));
  }
  return { nanos, neg: sign === '-' && nanos !== 0n, format };
}

/**
 * Rewrites every quantity of a resource list (`{cpu: "0.5"}`) in place to its canonical form, first rounded up
 * to milli-units as SetDefaults_ResourceList does (`0.0001` → `1m`).
 */
export function canonicalizeResourceList(list: Record<string, unknown> | undefined): void {
  if (!list) return;
  for (const [k, v] of Object.entries(list)) {
    const c = canonicalQuantity(v, 6);
    if (c !== undefined) list[k] = c;
  }
}
