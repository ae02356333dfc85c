import { ErrorReply, MapReply, OK, type Reply } from '../resp/reply.js';
import { command } from './define.js';
import { invalidExpire, NOT_FLOAT, NOT_INTEGER, OVERFLOW, SYNTAX, WRONGTYPE, wrongArity } from './errors.js';
import { lookupRead, lookupWrite, readString } from './lookup.js';
import {
  addLongDouble,
  formatLongDouble,
  INT64_MAX,
  INT64_MIN,
  is,
  parseInt64,
  parseInt64Fast,
  parseLongDouble,
  parseSafeInt,
} from './args.js';
import type { CommandContext, CommandSpec } from './types.js';

const bitmapMeta = (summary: string, since: string, complexity = 'O(1)', syntax?: string) => ({
  ...meta(summary, since, complexity, syntax),
  group: 'bitmap' as const,
});

const meta = (summary: string, since: string, complexity = 'O(1)', syntax?: string) => ({
  group: 'string' as const,
  summary,
  since,
  complexity,
  syntax,
});

const NAN_OR_INF = new ErrorReply('ERR increment would produce NaN or Infinity');
const DECR_OVERFLOW = new ErrorReply('ERR decrement would overflow');
const TOO_BIG = new ErrorReply('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
const OFFSET_RANGE = new ErrorReply('ERR offset is out of range');
const BIT_OFFSET = new ErrorReply('ERR bit offset is not an integer or out of range');
const BIT_VALUE = new ErrorReply('ERR bit is not an integer or out of range');
const LCS_TYPE = new ErrorReply('ERR The specified keys must contain string values');
const LCS_IDX_LEN = new ErrorReply('ERR If you want both the length and indexes, please just use IDX.');
const LCS_MEMORY = new ErrorReply('ERR Insufficient memory, failed allocating transient memory for LCS');
const BITPOS_BIT = new ErrorReply('ERR The bit argument must be 1 or 0.');
const BITOP_NOT = new ErrorReply('ERR BITOP NOT must be called with a single source key.');

// V8 cannot hold a string longer than this (2^29 - 24 one-byte chars), below Redis's
// default proto-max-bulk-len of 512MB: refuse such strings with the same error.
const V8_MAX_STRING = 2 ** 29 - 24;

/** Largest string a write may create: proto-max-bulk-len, except on the replication link. */
function maxStringLength(ctx: CommandContext): number {
  if (ctx.client.role === 'primary') return V8_MAX_STRING;
  return Math.min(ctx.server.config.int('proto-max-bulk-len'), V8_MAX_STRING);
}

type ExpireUnit = 'ex' | 'px' | 'exat' | 'pxat';

/** Absolute ms as Redis prints it in a propagated PXAT / PEXPIREAT (exact up to 2^53). */
function formatMs(ms: number): string {
  if (Number.isSafeInteger(ms)) return String(ms);
  // Beyond 2^53 ms (year 287396) the double is approximate; keep it within int64.
  return ms >= 9223372036854775807 ? '9223372036854775807' : BigInt(ms).toString();
}

/**
 * Redis's getExpireMillisecondsOrReply: the absolute expiry in ms of an EX/PX/EXAT/PXAT
 * argument, or an error reply.
 */
function expireArg(ctx: CommandContext, text: string, unit: ExpireUnit, cmd: string): number | ErrorReply {
  const v = parseInt64(text);
  if (v === null) return NOT_INTEGER;
  const seconds = unit === 'ex' || unit === 'exat';
  const relative = unit === 'ex' || unit === 'px';
  if (typeof v === 'number' && v > 0 && v < 9e12) {
    // Common case: no overflow is possible.
    const ms = seconds ? v * 1000 : v;
    return relative ? ctx.now + ms : ms;
  }
  let b = BigInt(v);
  if (b <= 0n || (seconds && b > INT64_MAX / 1000n)) return invalidExpire(cmd);
  if (seconds) b *= 1000n;
  if (relative) b += BigInt(ctx.now);
  if (b > INT64_MAX) return invalidExpire(cmd);
  return Number(b);
}

const get = command('get', 2, ['readonly', 'fast'], [1, 1, 1], meta('Returns the string value of a key.', '1.0.0', 'O(1)', 'key'), (ctx, argv) =>
  readString(ctx, argv[1]),
);

/** Redis's setGenericCommand. `okReply`/`abortReply` serve SETNX (1/0). */
function setGeneric(
  ctx: CommandContext,
  argv: string[],
  key: string,
  value: string,
  nx: boolean,
  xx: boolean,
  getOld: boolean,
  keepTtl: boolean,
  expireAt: number,
  okReply: Reply,
  abortReply: Reply,
): Reply {
  let old: string | undefined;
  let exists: boolean;
  if (getOld) {
    const v = lookupRead(ctx, key);
    if (v !== undefined && typeof v !== 'string') return WRONGTYPE;
    old = v;
    exists = v !== undefined;
  } else if (nx || xx) {
    // Also applies lazy expiry, so an expired key's DEL precedes this SET in the effects.
    exists = lookupWrite(ctx, key) !== undefined;
  } else {
    // A plain SET needs no old value, only the lazy expiry (one map lookup fewer).
    exists = false;
    if (ctx.db.expires.size !== 0) ctx.db.expireIfNeeded(key, ctx.now);
  }
  if ((nx && exists) || (xx && !exists)) return getOld ? old ?? null : abortReply;
  ctx.db.set(key, value, keepTtl);
  ctx.dirty();
  if (expireAt >= 0) {
    ctx.db.setExpire(key, expireAt);
    // Relative expiries become absolute so replicas and the log agree on the instant.
    ctx.propagate(['SET', key, value, 'PXAT', formatMs(expireAt)]);
  } else if (getOld) {
    // Redis propagates SET … GET without its GET arguments.
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) if (i < 3 || !is(argv[i], 'get')) out.push(argv[i]);
    ctx.propagate(out);
  }
  return getOld ? old ?? null : okReply;
}

const set = command(
  'set',
  -3,
  ['write', 'denyoom'],
  [1, 1, 1],
  meta(
    "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
    '1.0.0',
    'O(1)',
    'key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]',
  ),
  (ctx, argv) => {
    let nx = false;
    let xx = false;
    let getOld = false;
    let keepTtl = false;
    let unit: ExpireUnit | null = null;
    let expireText = '';
    for (let i = 3; i < argv.length; i++) {
      const opt = argv[i].toLowerCase();
      // As Redis's parseExtendedStringArgumentsOrReply: repeating the same option is allowed
      // (the last expire value wins), mixing exclusive ones is a syntax error.
      if (opt === 'nx' && !xx) nx = true;
      else if (opt === 'xx' && !nx) xx = true;
      else if (opt === 'get') getOld = true;
      else if (opt === 'keepttl' && unit === null) keepTtl = true;
      else if ((opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') && !keepTtl && (unit === null || unit === opt) && i + 1 < argv.length) {
        unit = opt;
        expireText = argv[++i];
      } else return SYNTAX;
    }
    let expireAt = -1;
    if (unit !== null) {
      const at = expireArg(ctx, expireText, unit, 'set');
      if (at instanceof ErrorReply) return at;
      expireAt = at;
    }
    return setGeneric(ctx, argv, argv[1], argv[2], nx, xx, getOld, keepTtl, expireAt, OK, null);
  },
);

const setnx = command('setnx', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], meta('Set the string value of a key only when the key doesn\'t exist.', '1.0.0', 'O(1)', 'key value'), (ctx, argv) =>
  setGeneric(ctx, argv, argv[1], argv[2], true, false, false, false, -1, 1, 0),
);

function setexLike(name: string, unit: ExpireUnit) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    const at = expireArg(ctx, argv[2], unit, name);
    if (at instanceof ErrorReply) return at;
    return setGeneric(ctx, argv, argv[1], argv[3], false, false, false, false, at, OK, null);
  };
}

const setex = command(
  'setex',
  4,
  ['write', 'denyoom'],
  [1, 1, 1],
  meta('Sets the string value and expiration time of a key. Creates the key if it doesn\'t exist.', '2.0.0', 'O(1)', 'key seconds value'),
  setexLike('setex', 'ex'),
);

const psetex = command(
  'psetex',
  4,
  ['write', 'denyoom'],
  [1, 1, 1],
  meta('Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn\'t exist.', '2.6.0', 'O(1)', 'key milliseconds value'),
  setexLike('psetex', 'px'),
);

const getset = command('getset', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], meta('Returns the previous string value of a key after setting it to a new value.', '1.0.0', 'O(1)', 'key value'), (ctx, argv) => {
  const old = readString(ctx, argv[1]);
  if (old instanceof ErrorReply) return old;
  ctx.db.set(argv[1], argv[2]);
  ctx.dirty();
  ctx.propagate(['SET', argv[1], argv[2]]);
  return old;
});

const getdel = command('getdel', 2, ['write', 'fast'], [1, 1, 1], meta('Returns the string value of a key after deleting the key.', '6.2.0', 'O(1)', 'key'), (ctx, argv) => {
  const old = readString(ctx, argv[1]);
  if (typeof old === 'string') {
    ctx.db.delete(argv[1]);
    ctx.dirty();
    ctx.propagate(['DEL', argv[1]]);
  }
  return old;
});

const getex = command(
  'getex',
  -2,
  ['write', 'fast'],
  [1, 1, 1],
  meta('Returns the string value of a key after setting its expiration time.', '6.2.0', 'O(1)', 'key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]'),
  (ctx, argv) => {
    const key = argv[1];
    let persist = false;
    let unit: ExpireUnit | null = null;
    let expireText = '';
    for (let i = 2; i < argv.length; i++) {
      const opt = argv[i].toLowerCase();
      if (opt === 'persist' && unit === null) persist = true;
      else if ((opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') && !persist && (unit === null || unit === opt) && i + 1 < argv.length) {
        unit = opt;
        expireText = argv[++i];
      } else return SYNTAX;
    }
    const v = readString(ctx, key);
    if (typeof v !== 'string') return v;
    if (unit !== null) {
      const at = expireArg(ctx, expireText, unit, 'getex');
      if (at instanceof ErrorReply) return at;
      if ((unit === 'exat' || unit === 'pxat') && at <= ctx.now && ctx.server.role !== 'replica') {
        // An absolute time already past deletes the key, as EXPIREAT does.
        ctx.db.delete(key);
        ctx.dirty();
        ctx.propagate(['DEL', key]);
      } else {
        ctx.db.setExpire(key, at);
        ctx.dirty();
        ctx.propagate(['PEXPIREAT', key, formatMs(at)]);
      }
    } else if (persist && ctx.db.persist(key)) {
      ctx.dirty();
      ctx.propagate(['PERSIST', key]);
    }
    return v;
  },
);

const mget = command('mget', -2, ['readonly', 'fast'], [1, -1, 1], meta('Atomically returns the string values of one or more keys.', '1.0.0', 'O(N)', 'key [key ...]'), (ctx, argv) => {
  const out: Reply[] = new Array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = lookupRead(ctx, argv[i]);
    out[i - 1] = typeof v === 'string' ? v : null;
  }
  return out;
});

const mset = command('mset', -3, ['write', 'denyoom'], [1, -1, 2], meta('Atomically creates or modifies the string values of one or more keys.', '1.0.1', 'O(N)', 'key value [key value ...]'), (ctx, argv) => {
  if (argv.length % 2 === 0) return wrongArity('mset');
  for (let i = 1; i < argv.length; i += 2) ctx.db.set(argv[i], argv[i + 1]);
  ctx.dirty((argv.length - 1) / 2);
  return OK;
});

const msetnx = command(
  'msetnx',
  -3,
  ['write', 'denyoom'],
  [1, -1, 2],
  meta('Atomically modifies the string values of one or more keys only when all keys don\'t exist.', '1.0.1', 'O(N)', 'key value [key value ...]'),
  (ctx, argv) => {
    if (argv.length % 2 === 0) return wrongArity('msetnx');
    for (let i = 1; i < argv.length; i += 2) if (lookupWrite(ctx, argv[i]) !== undefined) return 0;
    for (let i = 1; i < argv.length; i += 2) ctx.db.set(argv[i], argv[i + 1]);
    ctx.dirty((argv.length - 1) / 2);
    return 1;
  },
);

/** Redis's incrDecrCommand: exact int64 arithmetic, TTL kept. */
function incrBy(ctx: CommandContext, key: string, by: number | bigint): Reply {
  const old = lookupWrite(ctx, key);
  let cur: number | bigint = 0;
  if (old !== undefined) {
    if (typeof old !== 'string') return WRONGTYPE;
    const p = parseInt64Fast(old);
    if (p === null) return NOT_INTEGER;
    cur = p;
  }
  let result: number | bigint;
  if (typeof cur === 'number' && typeof by === 'number' && Number.isSafeInteger(cur + by)) {
    result = cur + by;
  } else {
    const r = BigInt(cur) + BigInt(by);
    if (r > INT64_MAX || r < INT64_MIN) return OVERFLOW;
    const n = Number(r);
    result = Number.isSafeInteger(n) ? n : r;
  }
  ctx.db.set(key, String(result), true);
  ctx.dirty();
  return result;
}

const incr = command('incr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], meta('Increments the integer value of a key by one. Uses 0 as initial value if the key doesn\'t exist.', '1.0.0', 'O(1)', 'key'), (ctx, argv) =>
  incrBy(ctx, argv[1], 1),
);

const decr = command('decr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], meta('Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn\'t exist.', '1.0.0', 'O(1)', 'key'), (ctx, argv) =>
  incrBy(ctx, argv[1], -1),
);

const incrby = command(
  'incrby',
  3,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn\'t exist.', '1.0.0', 'O(1)', 'key increment'),
  (ctx, argv) => {
    const by = parseInt64(argv[2]);
    if (by === null) return NOT_INTEGER;
    return incrBy(ctx, argv[1], by);
  },
);

const decrby = command(
  'decrby',
  3,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn\'t exist.', '1.0.0', 'O(1)', 'key decrement'),
  (ctx, argv) => {
    const by = parseInt64(argv[2]);
    if (by === null) return NOT_INTEGER;
    if (by === INT64_MIN) return DECR_OVERFLOW;
    return incrBy(ctx, argv[1], -by);
  },
);

const incrbyfloat = command(
  'incrbyfloat',
  3,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn\'t exist.', '2.6.0', 'O(1)', 'key increment'),
  (ctx, argv) => {
    const key = argv[1];
    const old = lookupWrite(ctx, key);
    if (old !== undefined && typeof old !== 'string') return WRONGTYPE;
    // Long double arithmetic as Redis does it, so results print the same ("0.3", not
    // "0.30000000000000004").
    const cur = old === undefined ? parseLongDouble('0') : parseLongDouble(old);
    if (cur === null) return NOT_FLOAT;
    const by = parseLongDouble(argv[2]);
    if (by === null) return NOT_FLOAT;
    const sum = addLongDouble(cur, by);
    if (sum === null || sum.inf) return NAN_OR_INF;
    const text = formatLongDouble(sum);
    ctx.db.set(key, text, true);
    ctx.dirty();
    ctx.propagate(['SET', key, text, 'KEEPTTL']);
    return text;
  },
);

const append = command('append', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], meta('Appends a string to the value of a key. Creates the key if it doesn\'t exist.', '2.0.0', 'O(1)', 'key value'), (ctx, argv) => {
  const key = argv[1];
  const old = lookupWrite(ctx, key);
  let next: string;
  if (old === undefined) {
    next = argv[2];
    ctx.db.set(key, next);
  } else {
    if (typeof old !== 'string') return WRONGTYPE;
    if (old.length + argv[2].length > maxStringLength(ctx)) return TOO_BIG;
    next = old + argv[2];
    ctx.db.set(key, next, true);
  }
  ctx.dirty();
  return next.length;
});

const strlen = command('strlen', 2, ['readonly', 'fast'], [1, 1, 1], meta('Returns the length of a string value.', '2.2.0', 'O(1)', 'key'), (ctx, argv) => {
  const v = readString(ctx, argv[1]);
  return typeof v === 'string' ? v.length : v === null ? 0 : v;
});

function getrangeHandler(ctx: CommandContext, argv: string[]): Reply {
  // Indexes are parsed before the key is looked at, as in Redis.
  let start = parseSafeInt(argv[2]);
  if (start === null) return NOT_INTEGER;
  let end = parseSafeInt(argv[3]);
  if (end === null) return NOT_INTEGER;
  const v = readString(ctx, argv[1]);
  if (v === null) return '';
  if (v instanceof ErrorReply) return v;
  const len = v.length;
  if (start < 0 && end < 0 && start > end) return '';
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return '';
  return v.slice(start, end + 1);
}

const getrange = command('getrange', 4, ['readonly'], [1, 1, 1], meta('Returns a substring of the string stored at a key.', '2.4.0', 'O(N)', 'key start end'), getrangeHandler);

const substr = command('substr', 4, ['readonly'], [1, 1, 1], meta('Returns a substring from a string value.', '1.0.0', 'O(N)', 'key start end'), getrangeHandler);

const setrange = command(
  'setrange',
  4,
  ['write', 'denyoom'],
  [1, 1, 1],
  meta('Overwrites a part of a string value with another by an offset. Creates the key if it doesn\'t exist.', '2.2.0', 'O(1)', 'key offset value'),
  (ctx, argv) => {
    const key = argv[1];
    const value = argv[3];
    const offset = parseSafeInt(argv[2]);
    if (offset === null) return NOT_INTEGER;
    if (offset < 0) return OFFSET_RANGE;
    const old = lookupWrite(ctx, key);
    if (old !== undefined && typeof old !== 'string') return WRONGTYPE;
    const cur = old ?? '';
    if (value.length === 0) return cur.length;
    if (offset + value.length > maxStringLength(ctx)) return TOO_BIG;
    let next: string;
    if (offset > cur.length) next = cur + '\0'.repeat(offset - cur.length) + value;
    else next = cur.slice(0, offset) + value + cur.slice(offset + value.length);
    ctx.db.set(key, next, true);
    ctx.dirty();
    return next.length;
  },
);

/** Redis's LCS: the classic dynamic-programming table, walked back for the string or ranges. */
const lcs = command(
  'lcs',
  -3,
  ['readonly'],
  [1, 2, 1],
  meta('Finds the longest common substring.', '7.0.0', 'O(N*M)', 'key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]'),
  (ctx, argv) => {
    const va = lookupRead(ctx, argv[1]);
    const vb = lookupRead(ctx, argv[2]);
    if ((va !== undefined && typeof va !== 'string') || (vb !== undefined && typeof vb !== 'string')) return LCS_TYPE;
    const a = va ?? '';
    const b = vb ?? '';
    let getLen = false;
    let getIdx = false;
    let withMatchLen = false;
    let minMatchLen = 0;
    for (let j = 3; j < argv.length; j++) {
      const opt = argv[j].toLowerCase();
      if (opt === 'idx') getIdx = true;
      else if (opt === 'len') getLen = true;
      else if (opt === 'withmatchlen') withMatchLen = true;
      else if (opt === 'minmatchlen' && j + 1 < argv.length) {
        const n = parseSafeInt(argv[++j]);
        if (n === null) return NOT_INTEGER;
        minMatchLen = n < 0 ? 0 : n;
      } else return SYNTAX;
    }
    if (getIdx && getLen) return LCS_IDX_LEN;
    const alen = a.length;
    const blen = b.length;
    const w = blen + 1;
    let dp: Uint32Array;
    try {
      dp = new Uint32Array((alen + 1) * w);
    } catch {
      return LCS_MEMORY;
    }
    for (let i = 1; i <= alen; i++) {
      const ac = a.charCodeAt(i - 1);
      const row = i * w;
      const prev = row - w;
      for (let j = 1; j <= blen; j++) {
        if (ac === b.charCodeAt(j - 1)) dp[row + j] = dp[prev + j - 1] + 1;
        else {
          const l1 = dp[prev + j];
          const l2 = dp[row + j - 1];
          dp[row + j] = l1 > l2 ? l1 : l2;
        }
      }
    }
    const total = dp[alen * w + blen];
    if (getLen) return total;
    const chars: number[] = new Array(total);
    const matches: Reply[] = [];
    let idx = total;
    let aStart = alen; // alen means no range is open
    let aEnd = 0;
    let bStart = 0;
    let bEnd = 0;
    let i = alen;
    let j = blen;
    while (i > 0 && j > 0) {
      let emit = false;
      if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
        chars[idx - 1] = a.charCodeAt(i - 1);
        if (aStart === alen) {
          aStart = i - 1;
          aEnd = i - 1;
          bStart = j - 1;
          bEnd = j - 1;
        } else if (aStart === i && bStart === j) {
          aStart--;
          bStart--;
        } else emit = true;
        if (aStart === 0 || bStart === 0) emit = true;
        idx--;
        i--;
        j--;
      } else {
        if (dp[(i - 1) * w + j] > dp[i * w + j - 1]) i--;
        else j--;
        if (aStart !== alen) emit = true;
      }
      if (emit) {
        const matchLen = aEnd - aStart + 1;
        if (getIdx && (minMatchLen === 0 || matchLen >= minMatchLen)) {
          const m: Reply[] = [
            [aStart, aEnd],
            [bStart, bEnd],
          ];
          if (withMatchLen) m.push(matchLen);
          matches.push(m);
        }
        aStart = alen;
      }
    }
    if (getIdx) {
      return new MapReply([
        ['matches', matches],
        ['len', total],
      ]);
    }
    let s = '';
    for (let k = 0; k < chars.length; k += 8192) s += String.fromCharCode(...chars.slice(k, k + 8192));
    return s;
  },
);

// ---- bitmaps ----

/** Redis's getBitOffsetFromArgument: a non-negative bit offset below proto-max-bulk-len bytes. */
function bitOffset(ctx: CommandContext, text: string): number | ErrorReply {
  const v = parseInt64(text);
  if (v === null || v < 0) return BIT_OFFSET;
  if (typeof v === 'bigint') return BIT_OFFSET;
  if (ctx.client.role !== 'primary' && Math.floor(v / 8) >= ctx.server.config.int('proto-max-bulk-len')) return BIT_OFFSET;
  if (Math.floor(v / 8) >= V8_MAX_STRING) return BIT_OFFSET;
  return v;
}

const setbit = command('setbit', 4, ['write', 'denyoom'], [1, 1, 1], bitmapMeta('Sets or clears the bit at offset of the string value. Creates the key if it doesn\'t exist.', '2.2.0', 'O(1)', 'key offset value'), (ctx, argv) => {
  const key = argv[1];
  const offset = bitOffset(ctx, argv[2]);
  if (offset instanceof ErrorReply) return offset;
  const on = parseInt64(argv[3]);
  if (on === null) return BIT_VALUE;
  if (on !== 0 && on !== 1) return BIT_VALUE;
  const old = lookupWrite(ctx, key);
  if (old !== undefined && typeof old !== 'string') return WRONGTYPE;
  const cur = old ?? '';
  const byte = offset >>> 3;
  const mask = 1 << (7 - (offset & 7));
  const grows = old === undefined || byte >= cur.length;
  const byteval = byte < cur.length ? cur.charCodeAt(byte) : 0;
  const bitval = (byteval & mask) !== 0 ? 1 : 0;
  if (grows || bitval !== on) {
    const nb = on ? byteval | mask : byteval & ~mask;
    const base = byte >= cur.length ? cur + '\0'.repeat(byte - cur.length + 1) : cur;
    ctx.db.set(key, base.slice(0, byte) + String.fromCharCode(nb) + base.slice(byte + 1), true);
    ctx.dirty();
  }
  return bitval;
});

const getbit = command('getbit', 3, ['readonly', 'fast'], [1, 1, 1], bitmapMeta('Returns a bit value by offset.', '2.2.0', 'O(1)', 'key offset'), (ctx, argv) => {
  const offset = bitOffset(ctx, argv[2]);
  if (offset instanceof ErrorReply) return offset;
  const v = readString(ctx, argv[1]);
  if (v === null) return 0;
  if (v instanceof ErrorReply) return v;
  const byte = offset >>> 3;
  if (byte >= v.length) return 0;
  return (v.charCodeAt(byte) >> (7 - (offset & 7))) & 1;
});

function popcount8(x: number): number {
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  return (x + (x >> 4)) & 0x0f;
}

/** [startBit, endBit] of a BITCOUNT/BITPOS range (BYTE or BIT units), or null if empty. */
function bitRange(len: number, startArg: number, endArg: number, isBit: boolean): [number, number] | null {
  const total = isBit ? len * 8 : len;
  let start = startArg;
  let end = endArg;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return null;
  if (!isBit) {
    start *= 8;
    end = end * 8 + 7;
  }
  return [start, end];
}

function unitArg(text: string): boolean | null {
  if (is(text, 'bit')) return true;
  if (is(text, 'byte')) return false;
  return null;
}

const bitcount = command('bitcount', -2, ['readonly'], [1, 1, 1], bitmapMeta('Counts the number of set bits (population counting) in a string.', '2.6.0', 'O(N)', 'key [start end [BYTE | BIT]]'), (ctx, argv) => {
  // The key is looked up first: a missing key answers 0 whatever the other arguments.
  const v = readString(ctx, argv[1]);
  if (v === null) return 0;
  if (v instanceof ErrorReply) return v;
  let range: [number, number] | null;
  if (argv.length === 4 || argv.length === 5) {
    const start = parseSafeInt(argv[2]);
    if (start === null) return NOT_INTEGER;
    const end = parseSafeInt(argv[3]);
    if (end === null) return NOT_INTEGER;
    if (start < 0 && end < 0 && start > end) return 0;
    let isBit = false;
    if (argv.length === 5) {
      const u = unitArg(argv[4]);
      if (u === null) return SYNTAX;
      isBit = u;
    }
    range = bitRange(v.length, start, end, isBit);
  } else if (argv.length === 2) {
    range = v.length ? [0, v.length * 8 - 1] : null;
  } else return SYNTAX;
  if (range === null) return 0;
  const [s, e] = range;
  const sb = s >>> 3;
  const eb = e >>> 3;
  let n = 0;
  for (let i = sb; i <= eb; i++) n += popcount8(v.charCodeAt(i));
  // Remove bits of the edge bytes that lie outside a BIT range.
  const headMask = (0xff << (8 - (s & 7))) & 0xff;
  const tailMask = (1 << (7 - (e & 7))) - 1;
  n -= popcount8(v.charCodeAt(sb) & headMask) + popcount8(v.charCodeAt(eb) & tailMask);
  return n;
});

const bitpos = command('bitpos', -3, ['readonly'], [1, 1, 1], bitmapMeta('Finds the first set (1) or clear (0) bit in a string.', '2.8.7', 'O(N)', 'key bit [start [end [BYTE | BIT]]]'), (ctx, argv) => {
  const bit = parseInt64(argv[2]);
  if (bit === null) return NOT_INTEGER;
  if (bit !== 0 && bit !== 1) return BITPOS_BIT;
  const v = readString(ctx, argv[1]);
  // A missing key is an infinite run of zeros.
  if (v === null) return bit ? -1 : 0;
  if (v instanceof ErrorReply) return v;
  let range: [number, number] | null;
  let endGiven = false;
  if (argv.length >= 4 && argv.length <= 6) {
    const start = parseSafeInt(argv[3]);
    if (start === null) return NOT_INTEGER;
    let isBit = false;
    if (argv.length === 6) {
      const u = unitArg(argv[5]);
      if (u === null) return SYNTAX;
      isBit = u;
    }
    let end: number;
    if (argv.length >= 5) {
      const e = parseSafeInt(argv[4]);
      if (e === null) return NOT_INTEGER;
      end = e;
      endGiven = true;
    } else end = isBit ? v.length * 8 + 7 : v.length - 1;
    range = bitRange(v.length, start, end, isBit);
  } else if (argv.length === 3) {
    range = v.length ? [0, v.length * 8 - 1] : null;
  } else return SYNTAX;
  if (range === null) return -1;
  const [s, e] = range;
  const want = bit === 1;
  // Scan whole bytes quickly, bits only in the byte that holds the answer.
  for (let byte = s >>> 3, last = e >>> 3; byte <= last; byte++) {
    const c = v.charCodeAt(byte);
    if (want ? c === 0 : c === 0xff) continue;
    const from = byte === s >>> 3 ? s & 7 : 0;
    const to = byte === last ? e & 7 : 7;
    for (let k = from; k <= to; k++) {
      if ((((c >> (7 - k)) & 1) === 1) === want) return byte * 8 + k;
    }
  }
  // Looking for a clear bit without an explicit end: the string is padded with zeros.
  if (!want && !endGiven) return e + 1;
  return -1;
});

const bitop = command('bitop', -4, ['write', 'denyoom'], [2, -1, 1], bitmapMeta('Performs bitwise operations on multiple strings, and stores the result.', '2.6.0', 'O(N)', 'AND | OR | XOR | NOT destkey key [key ...]'), (ctx, argv) => {
  const op = argv[1].toLowerCase();
  if (op !== 'and' && op !== 'or' && op !== 'xor' && op !== 'not') return SYNTAX;
  if (op === 'not' && argv.length !== 4) return BITOP_NOT;
  const srcs: string[] = [];
  let maxLen = 0;
  for (let i = 3; i < argv.length; i++) {
    const v = lookupRead(ctx, argv[i]);
    if (v !== undefined && typeof v !== 'string') return WRONGTYPE;
    const s = v ?? '';
    srcs.push(s);
    if (s.length > maxLen) maxLen = s.length;
  }
  const dest = argv[2];
  if (maxLen === 0) {
    if (lookupWrite(ctx, dest) !== undefined) {
      ctx.db.delete(dest);
      ctx.dirty();
    }
    return 0;
  }
  const out = Buffer.allocUnsafe(maxLen);
  const first = srcs[0];
  for (let i = 0; i < maxLen; i++) {
    let x = i < first.length ? first.charCodeAt(i) : 0;
    if (op === 'not') x = ~x & 0xff;
    else {
      for (let k = 1; k < srcs.length; k++) {
        const s = srcs[k];
        const y = i < s.length ? s.charCodeAt(i) : 0;
        if (op === 'and') x &= y;
        else if (op === 'or') x |= y;
        else x ^= y;
      }
    }
    out[i] = x;
  }
  ctx.db.set(dest, out.toString('latin1', 0, maxLen));
  ctx.dirty();
  return maxLen;
});

export const stringCommands: CommandSpec[] = [
  get,
  set,
  setnx,
  setex,
  psetex,
  getset,
  getdel,
  getex,
  mget,
  mset,
  msetnx,
  incr,
  decr,
  incrby,
  decrby,
  incrbyfloat,
  append,
  strlen,
  getrange,
  substr,
  setrange,
  lcs,
  setbit,
  getbit,
  bitcount,
  bitpos,
  bitop,
];
