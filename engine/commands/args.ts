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

// Outputs of scanDouble, kept in module scope so the hot path allocates nothing.
let scanEnd = 0;
let scanRange = false;

function isSpaceCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

function matchWordCI(s: string, i: number, n: number, word: string): boolean {
  if (i + word.length > n) return false;
  for (let k = 0; k < word.length; k++) if ((s.charCodeAt(i + k) | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * glibc strtod on s[i0, n): returns the value, sets scanEnd to the end of the conversion
 * (i0 when none) and scanRange when ERANGE would be set (overflow, or underflow to 0).
 */
function scanDouble(s: string, i0: number, n: number): number {
  scanRange = false;
  let i = i0;
  while (i < n && isSpaceCode(s.charCodeAt(i))) i++;
  const start = i;
  let c = i < n ? s.charCodeAt(i) : 0;
  const neg = c === 45;
  if (c === 43 || c === 45) c = ++i < n ? s.charCodeAt(i) : 0;
  const lc = c | 0x20;
  if (lc === 0x69 /* i */) {
    if (!matchWordCI(s, i, n, 'inf')) return (scanEnd = i0), 0;
    scanEnd = matchWordCI(s, i, n, 'infinity') ? i + 8 : i + 3;
    return neg ? -Infinity : Infinity;
  }
  if (lc === 0x6e /* n */) {
    if (!matchWordCI(s, i, n, 'nan')) return (scanEnd = i0), 0;
    i += 3;
    if (i < n && s.charCodeAt(i) === 40 /* ( */) {
      let j = i + 1;
      for (; j < n; j++) {
        const d = s.charCodeAt(j);
        if (!(hexDigit(d) >= 0 || (d | 0x20) >= 97 && (d | 0x20) <= 122 || d === 95)) break;
      }
      if (j < n && s.charCodeAt(j) === 41) i = j + 1;
    }
    scanEnd = i;
    return NaN;
  }
  if (c === 48 && i + 1 < n && (s.charCodeAt(i + 1) | 0x20) === 0x78) {
    const v = scanHex(s, i + 2, n, neg);
    if (scanEnd !== -1) return v;
    // "0x" without hex digits: only the "0" converts.
    scanEnd = i + 1;
    return neg ? -0 : 0;
  }
  let digits = false;
  let nonzero = false;
  for (; i < n; i++) {
    const d = s.charCodeAt(i);
    if (d < 48 || d > 57) break;
    digits = true;
    if (d !== 48) nonzero = true;
  }
  if (i < n && s.charCodeAt(i) === 46) {
    for (i++; i < n; i++) {
      const d = s.charCodeAt(i);
      if (d < 48 || d > 57) break;
      digits = true;
      if (d !== 48) nonzero = true;
    }
  }
  if (!digits) return (scanEnd = i0), 0;
  if (i < n && (s.charCodeAt(i) | 0x20) === 0x65 /* e */) {
    let j = i + 1;
    const sc = j < n ? s.charCodeAt(j) : 0;
    if (sc === 43 || sc === 45) j++;
    const d0 = j < n ? s.charCodeAt(j) : 0;
    if (d0 >= 48 && d0 <= 57) {
      while (j < n && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      i = j;
    }
  }
  scanEnd = i;
  // Number() rounds decimal text correctly, as glibc does.
  const v = Number(s.slice(start, i));
  if ((v === 0 && nonzero) || v === Infinity || v === -Infinity) scanRange = true;
  return v;
}

/** Hex float digits after "0x"; scanEnd -1 when there is no hex digit. */
function scanHex(s: string, i: number, n: number, neg: boolean): number {
  let mant = 0n;
  let frac = 0;
  let digits = false;
  for (; i < n; i++) {
    const h = hexDigit(s.charCodeAt(i));
    if (h < 0) break;
    mant = mant * 16n + BigInt(h);
    digits = true;
  }
  if (i < n && s.charCodeAt(i) === 46) {
    for (i++; i < n; i++) {
      const h = hexDigit(s.charCodeAt(i));
      if (h < 0) break;
      mant = mant * 16n + BigInt(h);
      frac++;
      digits = true;
    }
  }
  if (!digits) return (scanEnd = -1), 0;
  let exp = 0;
  if (i < n && (s.charCodeAt(i) | 0x20) === 0x70 /* p */) {
    let j = i + 1;
    const sc = j < n ? s.charCodeAt(j) : 0;
    if (sc === 43 || sc === 45) j++;
    const d0 = j < n ? s.charCodeAt(j) : 0;
    if (d0 >= 48 && d0 <= 57) {
      let e = 0;
      while (j < n && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) {
        if (e < 1e6) e = e * 10 + (s.charCodeAt(j) - 48);
        j++;
      }
      exp = sc === 45 ? -e : e;
      i = j;
    }
  }
  scanEnd = i;
  let v = Number(mant);
  if (v !== 0) {
    let e = exp - 4 * frac;
    while (e > 1000 && v !== Infinity) (v *= 2 ** 1000), (e -= 1000);
    while (e < -1000 && v !== 0) (v *= 2 ** -1000), (e += 1000);
    v *= 2 ** e;
    if (v === 0 || v === Infinity) scanRange = true;
  }
  return neg ? -v : v;
}

/**
 * Parse a float as Redis's string2d does for scores, increments and weights: strtod must
 * consume the whole string (decimal, hex or inf), with no leading space, no NaN, and no
 * overflow or underflow to zero. Null when invalid.
 */
export function parseFloat64(s: string): number | null {
  const n = s.length;
  if (n === 0) return null;
  // Fast path: plain integers, the common score.
  if (n <= 15) {
    let i = s.charCodeAt(0) === 45 ? 1 : 0;
    let v = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === n && n > (s.charCodeAt(0) === 45 ? 1 : 0)) return s.charCodeAt(0) === 45 ? -v : v;
  }
  if (isSpaceCode(s.charCodeAt(0))) return null;
  const v = scanDouble(s, 0, n);
  if (scanEnd !== n || Number.isNaN(v)) return null;
  if (scanRange && (v === 0 || v === Infinity || v === -Infinity)) return null;
  return v;
}

/**
 * strtod as zslParseRange uses it: the C string ends at the first NUL, leading spaces are
 * skipped, an empty string is 0, only NaN and trailing garbage are refused.
 */
export function parseFloatLenient(s: string, from = 0): number | null {
  let n = s.indexOf('\0', from);
  if (n < 0) n = s.length;
  const v = scanDouble(s, from, n);
  if (scanEnd !== n || Number.isNaN(v)) return null;
  return v;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Compare a positive finite double with digits * 10^exp10, exactly. */
function cmpExact(a: number, digits: bigint, exp10: number): number {
  F64[0] = a;
  const hi = U32[LITTLE ? 1 : 0];
  const lo = U32[LITTLE ? 0 : 1];
  const be = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2 = -1074;
  if (be !== 0) {
    m |= 1n << 52n;
    e2 = be - 1075;
  }
  let l = m;
  let r = digits;
  if (e2 >= 0) l <<= BigInt(e2);
  else r <<= BigInt(-e2);
  if (exp10 >= 0) r *= 10n ** BigInt(exp10);
  else l *= 10n ** BigInt(-exp10);
  return l < r ? -1 : l > r ? 1 : 0;
}

/** C's printf("%.17g") (glibc: exact value, ties to even): how Redis 7.0 prints scores. */
export function formatDouble17g(d: number): string {
  if (Number.isSafeInteger(d)) return d === 0 && 1 / d < 0 ? '-0' : String(d);
  if (d !== d) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  const neg = d < 0;
  const a = neg ? -d : d;
  // 26 significant digits, then round to 17 by hand: toExponential rounds ties away from
  // zero, printf rounds the exact binary value half to even.
  const t = a.toExponential(25);
  let x = Number(t.slice(28));
  const digits: number[] = new Array(17);
  digits[0] = t.charCodeAt(0) - 48;
  for (let k = 1; k < 17; k++) digits[k] = t.charCodeAt(k + 1) - 48;
  const d18 = t.charCodeAt(18) - 48;
  let up = d18 > 5;
  if (d18 === 5) {
    if (t.slice(19, 27) !== '00000000') up = true;
    else {
      const c = cmpExact(a, BigInt(t[0] + t.slice(2, 19)), x - 17);
      up = c > 0 || (c === 0 && (digits[16] & 1) === 1);
    }
  }
  if (up) {
    let k = 16;
    while (k >= 0 && digits[k] === 9) digits[k--] = 0;
    if (k >= 0) digits[k]++;
    else {
      digits.unshift(1);
      digits.pop();
      x++;
    }
  }
  let end = 17;
  while (end > 1 && digits[end - 1] === 0) end--;
  let ds = '';
  for (let k = 0; k < end; k++) ds += String.fromCharCode(48 + digits[k]);
  let out: string;
  if (x < -4 || x >= 17) {
    const ax = x < 0 ? -x : x;
    out = ds[0] + (end > 1 ? '.' + ds.slice(1) : '') + 'e' + (x < 0 ? '-' : '+') + (ax < 10 ? '0' + ax : String(ax));
  } else if (x >= 0) {
    out = end <= x + 1 ? ds + '0'.repeat(x + 1 - end) : ds.slice(0, x + 1) + '.' + ds.slice(x + 1);
  } else {
    out = '0.' + '0'.repeat(-x - 1) + ds;
  }
  return neg ? '-' + out : out;
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

/**
 * string2ll without a regex, for hot paths (INCR on a stored counter): same result as
 * parseInt64.
 */
export function parseInt64Fast(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 15) return len === 0 ? null : parseInt64(s);
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45) {
    if (len === 1) return null;
    neg = true;
    i = 1;
  }
  const first = s.charCodeAt(i);
  // "0" alone is the only number that may start with a zero; "-0" is invalid.
  if (first === 48) return len === 1 ? 0 : null;
  let v = 0;
  for (; i < len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

// ---------------------------------------------------------------------------------------
// x87 80-bit long double emulation, for INCRBYFLOAT and HINCRBYFLOAT. Redis parses with
// strtold, adds in long double and prints with "%.17Lf", so 0.1 + 0.2 prints "0.3" there
// and "0.30000000000000004" with doubles. Values are exact binary numbers held in bigints
// and rounded to a 64-bit significand (ties to even) exactly as the FPU does.

/** A finite long double (-1)^neg * mant * 2^exp with mant < 2^64, or an infinity. */
export interface LongDouble {
  neg: boolean;
  mant: bigint;
  exp: number;
  inf: boolean;
}

const LD_MIN_EXP = -16445; // exponent of the smallest subnormal
const LD_MAX_BITS = 16384; // finite values are below 2^16384
const LD_ZERO: LongDouble = { neg: false, mant: 0n, exp: 0, inf: false };

function bitLength(x: bigint): number {
  if (x === 0n) return 0;
  const hex = x.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0], 16));
}

/** Round the positive rational num/den to a long double. */
function roundLongDouble(neg: boolean, num: bigint, den: bigint): LongDouble {
  if (num === 0n) return { neg, mant: 0n, exp: 0, inf: false };
  let e = bitLength(num) - bitLength(den);
  if (e >= 0 ? num < den << BigInt(e) : num << BigInt(-e) < den) e--;
  if (e >= LD_MAX_BITS) return { neg, mant: 0n, exp: 0, inf: true };
  let q = Math.max(e - 63, LD_MIN_EXP);
  let n = num;
  let d = den;
  if (q < 0) n <<= BigInt(-q);
  else d <<= BigInt(q);
  let m = n / d;
  const r2 = (n % d) * 2n;
  if (r2 > d || (r2 === d && (m & 1n) === 1n)) m++;
  if (m === 1n << 64n) {
    m = 1n << 63n;
    q++;
  }
  if (m !== 0n && bitLength(m) + q > LD_MAX_BITS) return { neg, mant: 0n, exp: 0, inf: true };
  return { neg, mant: m, exp: q, inf: false };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parse as Redis's string2ld: strtold must consume the whole string (decimal, hex, inf;
 * an embedded NUL makes it invalid), refusing leading spaces, NaN, overflow and underflow
 * to zero. Null when invalid.
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= 5120) return null;
  let i = 0;
  let neg = false;
  const c0 = s.charCodeAt(0);
  if (c0 === 43 || c0 === 45) {
    neg = c0 === 45;
    i = 1;
  }
  const rest = s.slice(i).toLowerCase();
  if (rest === 'inf' || rest === 'infinity') return { neg, mant: 0n, exp: 0, inf: true };
  if (rest.length >= 3 && rest[0] === '0' && rest[1] === 'x') return parseHexLongDouble(neg, rest.slice(2));
  let digits = '';
  let fracDigits = 0;
  let seenDigit = false;
  let seenDot = false;
  let j = 0;
  for (; j < rest.length; j++) {
    const c = rest.charCodeAt(j);
    if (isDigit(c)) {
      seenDigit = true;
      if (digits.length !== 0 || c !== 48) digits += rest[j];
      if (seenDot) fracDigits++;
    } else if (c === 46 && !seenDot) seenDot = true;
    else break;
  }
  if (!seenDigit) return null;
  let exp10 = 0;
  if (j < rest.length) {
    if (rest[j] !== 'e') return null;
    j++;
    let eneg = false;
    if (rest[j] === '+' || rest[j] === '-') {
      eneg = rest[j] === '-';
      j++;
    }
    if (j >= rest.length) return null;
    for (; j < rest.length; j++) {
      const c = rest.charCodeAt(j);
      if (!isDigit(c)) return null;
      if (exp10 < 1e7) exp10 = exp10 * 10 + (c - 48);
    }
    if (eneg) exp10 = -exp10;
  }
  if (digits.length === 0) return { neg, mant: 0n, exp: 0, inf: false };
  const e10 = exp10 - fracDigits;
  const magnitude = e10 + digits.length; // value < 10^magnitude
  if (magnitude > 4934) return null; // overflow: ERANGE with HUGE_VALL
  if (magnitude < -4952) return null; // underflow to zero: ERANGE with 0
  const d = BigInt(digits);
  const v = e10 >= 0 ? roundLongDouble(neg, d * 10n ** BigInt(e10), 1n) : roundLongDouble(neg, d, 10n ** BigInt(-e10));
  if (v.inf || v.mant === 0n) return null;
  return v;
}

function parseHexLongDouble(neg: boolean, s: string): LongDouble | null {
  let mant = 0n;
  let fracDigits = 0;
  let seenDigit = false;
  let seenDot = false;
  let j = 0;
  for (; j < s.length; j++) {
    const h = hexVal(s.charCodeAt(j));
    if (h >= 0) {
      seenDigit = true;
      mant = mant * 16n + BigInt(h);
      if (seenDot) fracDigits++;
    } else if (s[j] === '.' && !seenDot) seenDot = true;
    else break;
  }
  if (!seenDigit) return null;
  let exp2 = 0;
  if (j < s.length) {
    if (s[j] !== 'p') return null;
    j++;
    let eneg = false;
    if (s[j] === '+' || s[j] === '-') {
      eneg = s[j] === '-';
      j++;
    }
    if (j >= s.length) return null;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (!isDigit(c)) return null;
      if (exp2 < 1e7) exp2 = exp2 * 10 + (c - 48);
    }
    if (eneg) exp2 = -exp2;
  }
  if (mant === 0n) return { neg, mant: 0n, exp: 0, inf: false };
  const e2 = exp2 - 4 * fracDigits;
  const magnitude = e2 + bitLength(mant);
  if (magnitude > LD_MAX_BITS + 1 || magnitude < LD_MIN_EXP - 2) return null;
  const v = e2 >= 0 ? roundLongDouble(neg, mant << BigInt(e2), 1n) : roundLongDouble(neg, mant, 1n << BigInt(-e2));
  if (v.inf || v.mant === 0n) return null;
  return v;
}

/** a + b in long double; null when the result is NaN (inf - inf). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return null;
    return a.inf ? a : b;
  }
  if (a.mant === 0n) return b.mant === 0n ? { ...b, neg: a.neg && b.neg } : b;
  if (b.mant === 0n) return a;
  const e = Math.min(a.exp, b.exp);
  const x = a.mant << BigInt(a.exp - e);
  const y = b.mant << BigInt(b.exp - e);
  const sum = (a.neg ? -x : x) + (b.neg ? -y : y);
  if (sum === 0n) return LD_ZERO;
  const neg = sum < 0n;
  const mag = neg ? -sum : sum;
  return e >= 0 ? roundLongDouble(neg, mag << BigInt(e), 1n) : roundLongDouble(neg, mag, 1n << BigInt(-e));
}

const TEN17 = 10n ** 17n;

/**
 * Redis's ld2string(LD_STR_HUMAN): printf("%.17Lf") with trailing zeros (and a bare '.')
 * removed, and "-0" printed as "0".
 */
export function formatLongDouble(v: LongDouble): string {
  if (v.inf) return v.neg ? '-inf' : 'inf';
  let out: string;
  if (v.exp >= 0) {
    out = (v.mant << BigInt(v.exp)).toString();
  } else {
    const shift = BigInt(-v.exp);
    const n = v.mant * TEN17;
    let r = n >> shift;
    const rem2 = (n - (r << shift)) * 2n;
    const half = 1n << shift;
    if (rem2 > half || (rem2 === half && (r & 1n) === 1n)) r++;
    const ip = (r / TEN17).toString();
    let frac = (r % TEN17).toString().padStart(17, '0');
    let end = frac.length;
    while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
    frac = frac.slice(0, end);
    out = frac.length ? ip + '.' + frac : ip;
  }
  if (v.neg) out = out === '0' ? '0' : '-' + out;
  return out;
}
