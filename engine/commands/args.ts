/**
 * Argument parsing with Redis's rules. Integers follow string2ll (no spaces, no '+', no
 * leading zeros, int64 range); floats follow strtold as Redis checks it (no spaces, no NaN).
 */

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

const INT_RE = /^(0|-?[1-9][0-9]*)$/;

/**
 * Parse a signed 64-bit integer. Returns a number when it is a safe integer, a bigint when
 * it needs more precision, or null if the text is not a valid int64.
 */
export function parseInt64(s: string): number | bigint | null {
  if (s.length === 0 || s.length > 20 || !INT_RE.test(s)) return null;
  if (s.length <= 15) return Number(s);
  const b = BigInt(s);
  if (b > INT64_MAX || b < INT64_MIN) return null;
  const n = Number(b);
  return Number.isSafeInteger(n) ? n : b;
}

/** Parse an int64 that must fit a JS safe integer (counts, indexes, times); null otherwise. */
export function parseSafeInt(s: string): number | null {
  const v = parseInt64(s);
  if (v === null) return null;
  if (typeof v === 'bigint') {
    // Clamp out-of-safe-range int64s to the nearest safe value; callers treat them as huge.
    return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  }
  return v;
}

const FLOAT_RE = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity)$/i;

/** Parse a float as Redis does for scores and increments; null when invalid or NaN. */
export function parseFloat64(s: string): number | null {
  if (s.length === 0 || !FLOAT_RE.test(s)) {
    // strtod also accepts hex floats; Redis passes them through. Rare enough to refuse.
    return null;
  }
  const lower = s.toLowerCase();
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

/** C's printf("%.17g"): how Redis 7.0 prints doubles such as sorted-set scores. */
export function formatDouble17g(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // %g: take the exponent X of the %e form at precision P-1; use %f with P-1-X decimals
  // when -4 <= X < P, else %e; then drop trailing zeros. toFixed/toExponential round exactly.
  const e = d.toExponential(16);
  const x = Number(e.slice(e.indexOf('e') + 1));
  if (x >= -4 && x < 17) {
    const s = d.toFixed(16 - x);
    return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  }
  let mant = e.slice(0, e.indexOf('e'));
  if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
  const ax = Math.abs(x);
  return mant + 'e' + (x < 0 ? '-' : '+') + (ax < 10 ? '0' + ax : String(ax));
}

/**
 * How Redis prints INCRBYFLOAT/HINCRBYFLOAT results: fixed notation ("%.17Lf" on a long
 * double) with trailing zeros removed. JS has no long double; the shortest round-trip
 * representation of the double is what a client would have expected anyway.
 */
export function formatIncrFloat(d: number): string {
  if (Object.is(d, -0)) return '0';
  let s = String(d);
  if (!/e/i.test(s)) return s;
  // Expand exponent notation to plain digits.
  const neg = d < 0;
  const [mant, expStr] = Math.abs(d).toExponential().split('e');
  const exp = Number(expStr);
  const digits = mant.replace('.', '');
  if (exp >= 0) {
    const intLen = exp + 1;
    s = digits.length <= intLen ? digits + '0'.repeat(intLen - digits.length) : digits.slice(0, intLen) + '.' + digits.slice(intLen);
  } else {
    s = '0.' + '0'.repeat(-exp - 1) + digits;
  }
  return (neg ? '-' : '') + s;
}

/** Case-insensitive equality with an ASCII keyword (argument already lowercase-able). */
export function is(arg: string, keyword: string): boolean {
  return arg.length === keyword.length && arg.toLowerCase() === keyword;
}
