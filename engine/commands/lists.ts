import { ErrorReply, NULL_ARRAY, OK, type Reply } from '../resp/reply.js';
import { Deque } from '../store/deque.js';
import type { ListValue } from '../store/value.js';
import { INT64_MIN, is, parseInt64, parseSafeInt } from './args.js';
import { command } from './define.js';
import {
  INDEX_OUT_OF_RANGE,
  NO_SUCH_KEY,
  NOT_INTEGER,
  NOT_POSITIVE,
  SYNTAX,
  TIMEOUT_NEGATIVE,
  TIMEOUT_NOT_FLOAT,
  WRONGTYPE,
  wrongArity,
} from './errors.js';
import { lookupRead } from './lookup.js';
import { Block, type CommandContext, type CommandSpec } from './types.js';

const RANK_ZERO = new ErrorReply(
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const COUNT_NEGATIVE = new ErrorReply("ERR COUNT can't be negative");
const MAXLEN_NEGATIVE = new ErrorReply("ERR MAXLEN can't be negative");
const NUMKEYS_NOT_POSITIVE = new ErrorReply('ERR numkeys should be greater than 0');
const MPOP_COUNT_NOT_POSITIVE = new ErrorReply('ERR count should be greater than 0');

const meta = (summary: string, since: string, complexity: string, syntax: string, keys?: (argv: string[]) => number[]) => ({
  group: 'list' as const,
  summary,
  since,
  complexity,
  syntax,
  keys,
});

const PUSH_COMPLEXITY = 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.';
const MPOP_COMPLEXITY = 'O(N+M) where N is the number of provided keys and M is the number of elements returned.';

// ---------------------------------------------------------------------------------------
// Helpers

/**
 * True when the server re-runs a blocked client's command after a write to one of its keys
 * (the client is still marked blocked while its handler runs). Redis then only serves the
 * client from keys that hold a list: a key that became another type keeps it blocked rather
 * than answering WRONGTYPE.
 */
function rerun(ctx: CommandContext): boolean {
  return ctx.client.blocked !== null;
}

/** After removing elements: delete an emptied list, else tell WATCH it changed. */
function afterRemove(ctx: CommandContext, key: string, list: ListValue): void {
  if (list.length === 0) ctx.db.delete(key);
  else ctx.db.signalModified(key);
}

/** LEFT/RIGHT as Redis parses them: true for LEFT, false for RIGHT, null otherwise. */
function side(arg: string): boolean | null {
  if (is(arg, 'left')) return true;
  if (is(arg, 'right')) return false;
  return null;
}

/** Elements start..end (Redis's clamping of negative and oversized indexes). */
function rangeOf(list: ListValue, start: number, end: number): Reply[] {
  const len = list.length;
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return [];
  if (end >= len) end = len - 1;
  return list.slice(start, end);
}

/** Pop up to `count` elements from one end, in pop order; deletes an emptied list. */
function popMany(ctx: CommandContext, key: string, list: ListValue, count: number, left: boolean): string[] {
  const len = list.length;
  const n = count > len ? len : count;
  let out: string[];
  if (left) {
    out = list.slice(0, n - 1);
    list.deleteFront(n);
  } else {
    out = list.sliceReversed(len - n, len - 1);
    list.deleteBack(n);
  }
  afterRemove(ctx, key, list);
  ctx.dirty(n);
  return out;
}

const INT64_MAX_MS = 2 ** 63;

/** Decimal order of magnitude of a decimal float literal (only for the rare 0/inf cases). */
function decimalMagnitude(s: string): number {
  const m = /^[+-]?([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?$/.exec(s);
  if (!m) return 0;
  const exp = m[3] ? Number(m[3]) : 0;
  const int = m[1].replace(/^0+/, '');
  if (int.length) return int.length - 1 + exp;
  const z = m[2].search(/[1-9]/);
  return z < 0 ? -Infinity : exp - z - 1;
}

/** n/d rounded half-even to a 64-bit mantissa, as x87 long double: [mantissa, k], value = m / 2^k. */
function roundTo64(n: bigint, d: bigint): [bigint, number] {
  let k = 64 - (n.toString(2).length - d.toString(2).length);
  const scaled = (kk: number): [bigint, bigint] => (kk >= 0 ? [n << BigInt(kk), d] : [n, d << BigInt(-kk)]);
  for (;;) {
    const [a, b] = scaled(k);
    const q = a / b;
    if (q >= 1n << 64n) k--;
    else if (q < 1n << 63n) k++;
    else {
      const twice = (a - q * b) * 2n;
      return [twice > b || (twice === b && (q & 1n) === 1n) ? q + 1n : q, k];
    }
  }
}

/** ceil(strtold(s) * 1000.0) computed in x87 long double precision, for a decimal literal. */
function longDoubleCeilMs(s: string): number {
  const m = /^([+-]?)([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?$/.exec(s);
  if (!m) return NaN;
  let n = BigInt(m[2] + m[3] || '0');
  if (n === 0n) return 0;
  const exp10 = (m[4] ? Number(m[4]) : 0) - m[3].length;
  let d = 1n;
  if (exp10 >= 0) n *= 10n ** BigInt(exp10);
  else d = 10n ** BigInt(-exp10);
  const [m1, k1] = roundTo64(n, d);
  const [m2, k2] = k1 >= 0 ? roundTo64(m1 * 1000n, 1n << BigInt(k1)) : roundTo64((m1 * 1000n) << BigInt(-k1), 1n);
  // |product| = m2 / 2^k2; ceil rounds towards +inf, so the sign decides which way.
  const neg = m[1] === '-';
  if (k2 <= 0) return Number(neg ? -(m2 << BigInt(-k2)) : m2 << BigInt(-k2));
  const unit = 1n << BigInt(k2);
  return Number(neg ? -(m2 / unit) : (m2 + unit - 1n) / unit);
}

const DEC_FLOAT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;

/**
 * A blocking timeout in seconds as Redis 7.0 reads it: strtold on a long double, then
 * ceil(seconds * 1000) converted to long long. So 0.0001 is 1 ms, -0.0001 is 0 (forever),
 * and values past int64 (inf, 1e17) wrap negative on x86: "timeout is negative".
 * Returns milliseconds (0 = forever) or the error.
 */
export function parseTimeout(s: string): number | ErrorReply {
  // string2ld's buffer (MAX_LONG_DOUBLE_CHARS).
  if (s.length >= 5120) return TIMEOUT_NOT_FLOAT;
  let v: number;
  if (DEC_FLOAT.test(s)) {
    v = Number(s);
    if (v === 0 || !Number.isFinite(v)) {
      // Beyond a double but maybe not a long double (range about 1e-4951 .. 1e4932).
      const mag = decimalMagnitude(s);
      if (mag !== -Infinity) {
        if (mag > 4932 || mag < -4951) return TIMEOUT_NOT_FLOAT;
        if (v === 0) v = s.charCodeAt(0) === 45 /* - */ ? -Number.MIN_VALUE : Number.MIN_VALUE;
      }
    }
  } else if (INFINITY.test(s)) {
    return TIMEOUT_NEGATIVE;
  } else {
    const m = HEX_FLOAT.exec(s);
    if (!m || (m[2].length === 0 && (m[3] ?? '').length === 0)) return TIMEOUT_NOT_FLOAT;
    const frac = m[3] ?? '';
    v = parseInt(m[2] + frac || '0', 16) / 16 ** frac.length;
    if (m[4]) v *= 2 ** Number(m[4]);
    if (m[1] === '-') v = -v;
  }
  const product = v * 1000;
  let ms = Math.ceil(product);
  // Near an integer, double and long double rounding can disagree (-0.001 blocks forever in
  // Redis, -0.0010000000000000001 is negative): redo the arithmetic in long double there.
  if (ms !== 0 && !Number.isInteger(v) && Math.abs(product - Math.round(product)) < 1e-6 && DEC_FLOAT.test(s)) ms = longDoubleCeilMs(s);
  if (Object.is(ms, -0)) ms = 0;
  if (!(ms <= INT64_MAX_MS) || ms < 0) return TIMEOUT_NEGATIVE;
  return ms;
}

function deadline(ctx: CommandContext, ms: number): number {
  return ms === 0 ? 0 : ctx.now + ms;
}

// ---------------------------------------------------------------------------------------
// Push

function push(ctx: CommandContext, argv: string[], left: boolean, onlyIfExists: boolean): Reply {
  const key = argv[1];
  const v = ctx.db.get(key, ctx.now);
  let list: ListValue;
  if (v === undefined) {
    if (onlyIfExists) return 0;
    list = new Deque<string>();
  } else if (v instanceof Deque) {
    list = v;
  } else {
    return WRONGTYPE;
  }
  const n = argv.length;
  if (left) for (let i = 2; i < n; i++) list.pushFront(argv[i]);
  else for (let i = 2; i < n; i++) list.pushBack(argv[i]);
  if (v === undefined) ctx.db.add(key, list);
  else ctx.db.signalModified(key);
  ctx.dirty(n - 2);
  return list.length;
}

const lpush = command(
  'lpush',
  -3,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Prepend one or multiple elements to a list', '1.0.0', PUSH_COMPLEXITY, 'key element [element ...]'),
  (ctx, argv) => push(ctx, argv, true, false),
);
const rpush = command(
  'rpush',
  -3,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Append one or multiple elements to a list', '1.0.0', PUSH_COMPLEXITY, 'key element [element ...]'),
  (ctx, argv) => push(ctx, argv, false, false),
);
const lpushx = command(
  'lpushx',
  -3,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Prepend an element to a list, only if the list exists', '2.2.0', PUSH_COMPLEXITY, 'key element [element ...]'),
  (ctx, argv) => push(ctx, argv, true, true),
);
const rpushx = command(
  'rpushx',
  -3,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Append an element to a list, only if the list exists', '2.2.0', PUSH_COMPLEXITY, 'key element [element ...]'),
  (ctx, argv) => push(ctx, argv, false, true),
);

// ---------------------------------------------------------------------------------------
// Pop

function pop(ctx: CommandContext, argv: string[], left: boolean): Reply {
  // Arity is -2, but Redis answers the arity error itself for more than one count.
  if (argv.length > 3) return wrongArity(left ? 'lpop' : 'rpop');
  let count = -1;
  if (argv.length === 3) {
    const c = parseInt64(argv[2]);
    if (c === null || c < 0) return NOT_POSITIVE;
    count = typeof c === 'bigint' ? Number.MAX_SAFE_INTEGER : c;
  }
  const key = argv[1];
  const v = ctx.db.get(key, ctx.now);
  if (v === undefined) return count < 0 ? null : NULL_ARRAY;
  if (!(v instanceof Deque)) return WRONGTYPE;
  if (count < 0) {
    const x = left ? v.popFront() : v.popBack();
    if (x === undefined) throw new Error('invariant: empty list in the keyspace');
    afterRemove(ctx, key, v);
    ctx.dirty();
    return x;
  }
  if (count === 0) return [];
  return popMany(ctx, key, v, count, left);
}

const lpop = command(
  'lpop',
  -2,
  ['write', 'fast'],
  [1, 1, 1],
  meta('Remove and get the first elements in a list', '1.0.0', 'O(N) where N is the number of elements returned', 'key [count]'),
  (ctx, argv) => pop(ctx, argv, true),
);
const rpop = command(
  'rpop',
  -2,
  ['write', 'fast'],
  [1, 1, 1],
  meta('Remove and get the last elements in a list', '1.0.0', 'O(N) where N is the number of elements returned', 'key [count]'),
  (ctx, argv) => pop(ctx, argv, false),
);

// ---------------------------------------------------------------------------------------
// Reads

const llen = command('llen', 2, ['readonly', 'fast'], [1, 1, 1], meta('Get the length of a list', '1.0.0', 'O(1)', 'key'), (ctx, argv) => {
  const v = lookupRead(ctx, argv[1]);
  if (v === undefined) return 0;
  if (!(v instanceof Deque)) return WRONGTYPE;
  return v.length;
});

const lrange = command(
  'lrange',
  4,
  ['readonly'],
  [1, 1, 1],
  meta(
    'Get a range of elements from a list',
    '1.0.0',
    'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.',
    'key start stop',
  ),
  (ctx, argv) => {
    const start = parseSafeInt(argv[2]);
    const end = parseSafeInt(argv[3]);
    if (start === null || end === null) return NOT_INTEGER;
    const v = lookupRead(ctx, argv[1]);
    if (v === undefined) return [];
    if (!(v instanceof Deque)) return WRONGTYPE;
    return rangeOf(v, start, end);
  },
);

const lindex = command(
  'lindex',
  3,
  ['readonly'],
  [1, 1, 1],
  meta(
    'Get an element from a list by its index',
    '1.0.0',
    'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).',
    'key index',
  ),
  (ctx, argv) => {
    // Redis looks the key up before parsing the index.
    const v = lookupRead(ctx, argv[1]);
    if (v === undefined) return null;
    if (!(v instanceof Deque)) return WRONGTYPE;
    let i = parseSafeInt(argv[2]);
    if (i === null) return NOT_INTEGER;
    if (i < 0) i += v.length;
    return i >= 0 && i < v.length ? v.at(i) : null;
  },
);

const lpos = command(
  'lpos',
  -3,
  ['readonly'],
  [1, 1, 1],
  meta(
    'Return the index of matching elements on a list',
    '6.0.6',
    'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.',
    'key element [RANK rank] [COUNT num-matches] [MAXLEN len]',
  ),
  (ctx, argv) => {
    const ele = argv[2];
    let rank = 1;
    let count = -1; // -1: no COUNT option
    let maxlen = 0;
    // RANK LONG_MIN: Redis's `rank = -rank` overflows and stays negative, so every match
    // from the tail qualifies and the COUNT limit never triggers.
    let rankMin = false;
    for (let j = 3; j < argv.length; j++) {
      const opt = argv[j];
      const more = j < argv.length - 1;
      if (more && is(opt, 'rank')) {
        const r = parseInt64(argv[++j]);
        if (r === null) return NOT_INTEGER;
        if (r === 0) return RANK_ZERO;
        rankMin = r === INT64_MIN;
        rank = typeof r === 'bigint' ? (r > 0n ? Number.MAX_SAFE_INTEGER : rankMin ? -1 : -Number.MAX_SAFE_INTEGER) : r;
      } else if (more && is(opt, 'count')) {
        const c = parseInt64(argv[++j]);
        if (c === null || c < 0) return COUNT_NEGATIVE;
        count = typeof c === 'bigint' ? Number.MAX_SAFE_INTEGER : c;
      } else if (more && is(opt, 'maxlen')) {
        const m = parseInt64(argv[++j]);
        if (m === null || m < 0) return MAXLEN_NEGATIVE;
        maxlen = typeof m === 'bigint' ? Number.MAX_SAFE_INTEGER : m;
      } else {
        return SYNTAX;
      }
    }
    const fromTail = rank < 0;
    if (fromTail) rank = -rank;
    const v = lookupRead(ctx, argv[1]);
    if (v === undefined) return count !== -1 ? [] : null;
    if (!(v instanceof Deque)) return WRONGTYPE;
    const len = v.length;
    const limit = maxlen === 0 || maxlen > len ? len : maxlen;
    const out: number[] | null = count !== -1 ? [] : null;
    let matches = 0;
    for (let index = 0; index < limit; index++) {
      const pos = fromTail ? len - 1 - index : index;
      if (v.at(pos) !== ele) continue;
      matches++;
      if (matches < rank) continue;
      if (out === null) return pos;
      out.push(pos);
      if (count !== 0 && !rankMin && matches - rank + 1 >= count) break;
    }
    return out ?? null;
  },
);

// ---------------------------------------------------------------------------------------
// In-place edits

const lset = command(
  'lset',
  4,
  ['write', 'denyoom'],
  [1, 1, 1],
  meta(
    'Set the value of an element in a list by its index',
    '1.0.0',
    'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).',
    'key index element',
  ),
  (ctx, argv) => {
    const key = argv[1];
    const v = ctx.db.get(key, ctx.now);
    if (v === undefined) return NO_SUCH_KEY;
    if (!(v instanceof Deque)) return WRONGTYPE;
    let i = parseSafeInt(argv[2]);
    if (i === null) return NOT_INTEGER;
    if (i < 0) i += v.length;
    if (i < 0 || i >= v.length) return INDEX_OUT_OF_RANGE;
    v.set(i, argv[3]);
    ctx.db.signalModified(key);
    ctx.dirty();
    return OK;
  },
);

const linsert = command(
  'linsert',
  5,
  ['write', 'denyoom'],
  [1, 1, 1],
  meta(
    'Insert an element before or after another element in a list',
    '2.2.0',
    'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).',
    'key BEFORE|AFTER pivot element',
  ),
  (ctx, argv) => {
    let after: boolean;
    if (is(argv[2], 'after')) after = true;
    else if (is(argv[2], 'before')) after = false;
    else return SYNTAX;
    const key = argv[1];
    const v = ctx.db.get(key, ctx.now);
    if (v === undefined) return 0;
    if (!(v instanceof Deque)) return WRONGTYPE;
    const at = v.indexOf(argv[3]);
    if (at < 0) return -1;
    v.insert(after ? at + 1 : at, argv[4]);
    ctx.db.signalModified(key);
    ctx.dirty();
    return v.length;
  },
);

const lrem = command(
  'lrem',
  4,
  ['write'],
  [1, 1, 1],
  meta('Remove elements from a list', '1.0.0', 'O(N+M) where N is the length of the list and M is the number of elements removed.', 'key count element'),
  (ctx, argv) => {
    const count = parseSafeInt(argv[2]);
    if (count === null) return NOT_INTEGER;
    const key = argv[1];
    const v = ctx.db.get(key, ctx.now);
    if (v === undefined) return 0;
    if (!(v instanceof Deque)) return WRONGTYPE;
    const removed = v.removeValue(argv[3], count < 0 ? -count : count, count < 0);
    if (removed) {
      afterRemove(ctx, key, v);
      ctx.dirty(removed);
    }
    return removed;
  },
);

const ltrim = command(
  'ltrim',
  4,
  ['write'],
  [1, 1, 1],
  meta('Trim a list to the specified range', '1.0.0', 'O(N) where N is the number of elements to be removed by the operation.', 'key start stop'),
  (ctx, argv) => {
    let start = parseSafeInt(argv[2]);
    let end = parseSafeInt(argv[3]);
    if (start === null || end === null) return NOT_INTEGER;
    const key = argv[1];
    const v = ctx.db.get(key, ctx.now);
    if (v === undefined) return OK;
    if (!(v instanceof Deque)) return WRONGTYPE;
    const len = v.length;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    let ltrim: number;
    let rtrim: number;
    if (start > end || start >= len) {
      ltrim = len;
      rtrim = 0;
    } else {
      if (end >= len) end = len - 1;
      ltrim = start;
      rtrim = len - end - 1;
    }
    v.deleteFront(ltrim);
    v.deleteBack(rtrim);
    // Redis signals WATCH even when nothing was trimmed, but propagates only real removals.
    afterRemove(ctx, key, v);
    if (ltrim + rtrim > 0) ctx.dirty(ltrim + rtrim);
    return OK;
  },
);

// ---------------------------------------------------------------------------------------
// Moves

/**
 * LMOVE's core, for a source that holds a non-empty list: checks the destination type,
 * pops, pushes (rotating when source and destination are the same key).
 */
function moveFrom(ctx: CommandContext, src: string, list: ListValue, dst: string, fromLeft: boolean, toLeft: boolean): Reply {
  const d = src === dst ? list : ctx.db.get(dst, ctx.now);
  if (d !== undefined && !(d instanceof Deque)) return WRONGTYPE;
  const x = fromLeft ? list.popFront() : list.popBack();
  if (x === undefined) throw new Error('invariant: empty list in the keyspace');
  if (d === undefined) {
    const created = new Deque<string>();
    created.pushBack(x);
    ctx.db.add(dst, created);
  } else {
    if (toLeft) d.pushFront(x);
    else d.pushBack(x);
    ctx.db.signalModified(dst);
  }
  afterRemove(ctx, src, list);
  ctx.dirty();
  return x;
}

function move(ctx: CommandContext, src: string, dst: string, fromLeft: boolean, toLeft: boolean): Reply {
  const v = ctx.db.get(src, ctx.now);
  if (v === undefined) return null;
  if (!(v instanceof Deque)) return WRONGTYPE;
  return moveFrom(ctx, src, v, dst, fromLeft, toLeft);
}

const lmove = command(
  'lmove',
  5,
  ['write', 'denyoom'],
  [1, 2, 1],
  meta('Pop an element from a list, push it to another list and return it', '6.2.0', 'O(1)', 'source destination LEFT|RIGHT LEFT|RIGHT'),
  (ctx, argv) => {
    const from = side(argv[3]);
    if (from === null) return SYNTAX;
    const to = side(argv[4]);
    if (to === null) return SYNTAX;
    return move(ctx, argv[1], argv[2], from, to);
  },
);

const rpoplpush = command(
  'rpoplpush',
  3,
  ['write', 'denyoom'],
  [1, 2, 1],
  meta('Remove the last element in a list, prepend it to another list and return it', '1.2.0', 'O(1)', 'source destination'),
  (ctx, argv) => move(ctx, argv[1], argv[2], false, true),
);

// ---------------------------------------------------------------------------------------
// Multi-key pops

interface MpopArgs {
  first: number;
  numkeys: number;
  left: boolean;
  count: number;
}

/** LMPOP/BLMPOP arguments from the numkeys position on, in Redis's checking order. */
function parseMpop(argv: string[], numkeysIdx: number): MpopArgs | ErrorReply {
  const nk = parseInt64(argv[numkeysIdx]);
  if (nk === null || nk <= 0) return NUMKEYS_NOT_POSITIVE;
  const whereIdx = numkeysIdx + Number(nk) + 1;
  if (whereIdx >= argv.length) return SYNTAX;
  const left = side(argv[whereIdx]);
  if (left === null) return SYNTAX;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && j < argv.length - 1 && is(argv[j], 'count')) {
      const c = parseInt64(argv[++j]);
      if (c === null || c <= 0) return MPOP_COUNT_NOT_POSITIVE;
      count = typeof c === 'bigint' ? Number.MAX_SAFE_INTEGER : c;
    } else {
      return SYNTAX;
    }
  }
  return { first: numkeysIdx + 1, numkeys: Number(nk), left, count: count === -1 ? 1 : count };
}

/**
 * Pop from the first non-empty list among the keys: [key, elements], propagated as
 * `LPOP|RPOP key n` (n = what was popped), as Redis 7 does. undefined if none had elements.
 */
function mpop(ctx: CommandContext, argv: string[], a: MpopArgs, skipWrongType: boolean): Reply | undefined {
  for (let i = a.first; i < a.first + a.numkeys; i++) {
    const key = argv[i];
    const v = ctx.db.get(key, ctx.now);
    if (v === undefined) continue;
    if (!(v instanceof Deque)) {
      if (skipWrongType) continue;
      return WRONGTYPE;
    }
    const n = a.count > v.length ? v.length : a.count;
    const items = popMany(ctx, key, v, n, a.left);
    ctx.propagate([a.left ? 'LPOP' : 'RPOP', key, String(n)]);
    return [key, items];
  }
  return undefined;
}

function mpopKeys(numkeysIdx: number): (argv: string[]) => number[] {
  return (argv) => {
    const n = parseSafeInt(argv[numkeysIdx] ?? '');
    const out: number[] = [];
    if (n === null || n <= 0) return out;
    for (let i = numkeysIdx + 1; i <= numkeysIdx + n && i < argv.length; i++) out.push(i);
    return out;
  };
}

const lmpop = command(
  'lmpop',
  -4,
  ['write', 'movablekeys'],
  [0, 0, 0],
  meta('Pop elements from a list', '7.0.0', MPOP_COMPLEXITY, 'numkeys key [key ...] LEFT|RIGHT [COUNT count]', mpopKeys(1)),
  (ctx, argv) => {
    const a = parseMpop(argv, 1);
    if (a instanceof ErrorReply) return a;
    return mpop(ctx, argv, a, false) ?? NULL_ARRAY;
  },
);

// ---------------------------------------------------------------------------------------
// Blocking

function blockingPop(ctx: CommandContext, argv: string[], left: boolean): Reply | Block {
  const last = argv.length - 1;
  const ms = parseTimeout(argv[last]);
  if (ms instanceof ErrorReply) return ms;
  const again = rerun(ctx);
  for (let i = 1; i < last; i++) {
    const key = argv[i];
    const v = ctx.db.get(key, ctx.now);
    if (v === undefined) continue;
    if (!(v instanceof Deque)) {
      if (again) continue;
      return WRONGTYPE;
    }
    const x = left ? v.popFront() : v.popBack();
    if (x === undefined) throw new Error('invariant: empty list in the keyspace');
    afterRemove(ctx, key, v);
    ctx.dirty();
    ctx.propagate([left ? 'LPOP' : 'RPOP', key]);
    return [key, x];
  }
  if (ctx.noBlock) return NULL_ARRAY;
  return new Block(argv.slice(1, last), deadline(ctx, ms), NULL_ARRAY);
}

const blpop = command(
  'blpop',
  -3,
  ['write', 'noscript', 'blocking'],
  [1, -2, 1],
  meta('Remove and get the first element in a list, or block until one is available', '2.0.0', 'O(N) where N is the number of provided keys.', 'key [key ...] timeout'),
  (ctx, argv) => blockingPop(ctx, argv, true),
);
const brpop = command(
  'brpop',
  -3,
  ['write', 'noscript', 'blocking'],
  [1, -2, 1],
  meta('Remove and get the last element in a list, or block until one is available', '2.0.0', 'O(N) where N is the number of provided keys.', 'key [key ...] timeout'),
  (ctx, argv) => blockingPop(ctx, argv, false),
);

/**
 * BLMOVE/BRPOPLPUSH. Served at once it propagates as the client wrote its sides; served
 * after blocking Redis writes them lower case (`LMOVE src dst left right`).
 */
function blockingMove(ctx: CommandContext, argv: string[], fromLeft: boolean, toLeft: boolean, ms: number, brpoplpush: boolean): Reply | Block {
  const src = argv[1];
  const dst = argv[2];
  const again = rerun(ctx);
  const v = ctx.db.get(src, ctx.now);
  if (v !== undefined && !(v instanceof Deque) && !again) return WRONGTYPE;
  if (v === undefined || !(v instanceof Deque)) {
    // Redis answers a plain nil here, unlike the null array of a real timeout.
    if (ctx.noBlock) return null;
    return new Block([src], deadline(ctx, ms), NULL_ARRAY);
  }
  const r = moveFrom(ctx, src, v, dst, fromLeft, toLeft);
  if (r instanceof ErrorReply) return r;
  if (brpoplpush) ctx.propagate(['RPOPLPUSH', src, dst]);
  else if (again) ctx.propagate(['LMOVE', src, dst, fromLeft ? 'left' : 'right', toLeft ? 'left' : 'right']);
  else ctx.propagate(['LMOVE', src, dst, argv[3], argv[4]]);
  return r;
}

const blmove = command(
  'blmove',
  6,
  ['write', 'denyoom', 'noscript', 'blocking'],
  [1, 2, 1],
  meta(
    'Pop an element from a list, push it to another list and return it; or block until one is available',
    '6.2.0',
    'O(1)',
    'source destination LEFT|RIGHT LEFT|RIGHT timeout',
  ),
  (ctx, argv) => {
    const from = side(argv[3]);
    if (from === null) return SYNTAX;
    const to = side(argv[4]);
    if (to === null) return SYNTAX;
    const ms = parseTimeout(argv[5]);
    if (ms instanceof ErrorReply) return ms;
    return blockingMove(ctx, argv, from, to, ms, false);
  },
);

const brpoplpush = command(
  'brpoplpush',
  4,
  ['write', 'denyoom', 'noscript', 'blocking'],
  [1, 2, 1],
  meta('Pop an element from a list, push it to another list and return it; or block until one is available', '2.2.0', 'O(1)', 'source destination timeout'),
  (ctx, argv) => {
    const ms = parseTimeout(argv[3]);
    if (ms instanceof ErrorReply) return ms;
    return blockingMove(ctx, argv, false, true, ms, true);
  },
);

const blmpop = command(
  'blmpop',
  -5,
  ['write', 'blocking', 'movablekeys'],
  [0, 0, 0],
  meta(
    'Pop elements from a list, or block until one is available',
    '7.0.0',
    MPOP_COMPLEXITY,
    'timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]',
    mpopKeys(2),
  ),
  (ctx, argv) => {
    const a = parseMpop(argv, 2);
    if (a instanceof ErrorReply) return a;
    const ms = parseTimeout(argv[1]);
    if (ms instanceof ErrorReply) return ms;
    const r = mpop(ctx, argv, a, rerun(ctx));
    if (r !== undefined) return r;
    if (ctx.noBlock) return NULL_ARRAY;
    return new Block(argv.slice(a.first, a.first + a.numkeys), deadline(ctx, ms), NULL_ARRAY);
  },
);

export const listCommands: CommandSpec[] = [
  lpush,
  rpush,
  lpushx,
  rpushx,
  lpop,
  rpop,
  llen,
  lrange,
  lindex,
  lpos,
  lset,
  linsert,
  lrem,
  ltrim,
  lmove,
  rpoplpush,
  lmpop,
  blpop,
  brpop,
  blmove,
  brpoplpush,
  blmpop,
];
