import { ErrorReply, MapReply, OK, type Reply } from '../resp/reply.js';
import { globMatch } from '../store/glob.js';
import type { HashValue } from '../store/value.js';
import { addLongDouble, formatLongDouble, INT64_MAX, INT64_MIN, is, parseInt64, parseInt64Fast, parseLongDouble } from './args.js';
import { command } from './define.js';
import { NOT_FLOAT, NOT_INTEGER, OVERFLOW, SYNTAX, WRONGTYPE, wrongArity } from './errors.js';
import { lookupRead, lookupWrite } from './lookup.js';
import { COUNT_RANGE, EMPTY_SCAN, INVALID_CURSOR, noteAdded, parseScanOptions, randomKey, sampleDistinct, scanCursorArg } from './sets.js';
import type { CommandContext, CommandSpec } from './types.js';

const meta = (summary: string, since: string, complexity: string, syntax: string) => ({
  group: 'hash' as const,
  summary,
  since,
  complexity,
  syntax,
});

const EMPTY_ARRAY: Reply[] = [];
const EMPTY_MAP = new MapReply([]);
const HASH_NOT_INTEGER = new ErrorReply('ERR hash value is not an integer');
const HASH_NOT_FLOAT = new ErrorReply('ERR hash value is not a float');
const INCR_NAN_OR_INF = new ErrorReply('ERR value is NaN or Infinity');
const RESULT_NAN_OR_INF = new ErrorReply('ERR increment would produce NaN or Infinity');
const VALUE_OUT_OF_RANGE = new ErrorReply('ERR value is out of range');

// Redis 7.0 keeps a hash of at most hash-max-listpack-entries (128) fields, with every field
// and value at most hash-max-listpack-value (64) bytes, as a listpack: HSCAN returns it whole.
const LISTPACK_ENTRIES = 128;
const LISTPACK_VALUE = 64;

function isListpack(h: HashValue): boolean {
  if (h.size > LISTPACK_ENTRIES) return false;
  for (const [f, v] of h) if (f.length > LISTPACK_VALUE || v.length > LISTPACK_VALUE) return false;
  return true;
}

/** The hash at `key` for reading: undefined if missing, WRONGTYPE if another type. */
function readHash(ctx: CommandContext, key: string): HashValue | undefined | ErrorReply {
  const v = lookupRead(ctx, key);
  if (v === undefined || v instanceof Map) return v;
  return WRONGTYPE;
}

/** HSET and HMSET: the same write, different replies. */
function hsetGeneric(ctx: CommandContext, argv: string[], name: string): Reply {
  const argc = argv.length;
  if ((argc & 1) === 1) return wrongArity(name);
  const key = argv[1];
  const v = ctx.db.get(key, ctx.now);
  let created: number;
  if (v === undefined) {
    const h: HashValue = new Map();
    for (let i = 2; i < argc; i += 2) h.set(argv[i], argv[i + 1]);
    created = h.size;
    ctx.db.add(key, h);
  } else {
    if (!(v instanceof Map)) return WRONGTYPE;
    created = 0;
    for (let i = 2; i < argc; i += 2) {
      const before = v.size;
      v.set(argv[i], argv[i + 1]);
      if (v.size !== before) {
        created++;
        noteAdded(v, argv[i]);
      }
    }
    ctx.db.signalModified(key);
  }
  ctx.dirty((argc - 2) >> 1);
  return name === 'hset' ? created : OK;
}

const hset = command(
  'hset',
  -4,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta(
    'Set the string value of a hash field',
    '2.0.0',
    'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.',
    'key field value [field value ...]',
  ),
  (ctx, argv) => hsetGeneric(ctx, argv, 'hset'),
);

const hmset = command(
  'hmset',
  -4,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Set multiple hash fields to multiple values', '2.0.0', 'O(N) where N is the number of fields being set.', 'key field value [field value ...]'),
  (ctx, argv) => hsetGeneric(ctx, argv, 'hmset'),
);

/** Set one field, creating the hash if needed (HSETNX, HINCRBY, HINCRBYFLOAT). */
function setField(ctx: CommandContext, key: string, h: HashValue | undefined, field: string, value: string): void {
  if (h === undefined) {
    ctx.db.add(key, new Map([[field, value]]));
    return;
  }
  const before = h.size;
  h.set(field, value);
  if (h.size !== before) noteAdded(h, field);
  ctx.db.signalModified(key);
}

/** The hash at `key` for writing; WRONGTYPE if another type. */
function writeHash(ctx: CommandContext, key: string): HashValue | undefined | ErrorReply {
  const v = lookupWrite(ctx, key);
  if (v === undefined || v instanceof Map) return v;
  return WRONGTYPE;
}

const hsetnx = command(
  'hsetnx',
  4,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Set the value of a hash field, only if the field does not exist', '2.0.0', 'O(1)', 'key field value'),
  (ctx, argv) => {
    const h = writeHash(ctx, argv[1]);
    if (h instanceof ErrorReply) return h;
    if (h !== undefined && h.has(argv[2])) return 0;
    setField(ctx, argv[1], h, argv[2], argv[3]);
    ctx.dirty();
    return 1;
  },
);

const hget = command(
  'hget',
  3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Get the value of a hash field', '2.0.0', 'O(1)', 'key field'),
  (ctx, argv) => {
    const h = readHash(ctx, argv[1]);
    if (h === undefined) return null;
    if (h instanceof ErrorReply) return h;
    return h.get(argv[2]) ?? null;
  },
);

const hmget = command(
  'hmget',
  -3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Get the values of all the given hash fields', '2.0.0', 'O(N) where N is the number of fields being requested.', 'key field [field ...]'),
  (ctx, argv) => {
    const h = readHash(ctx, argv[1]);
    if (h instanceof ErrorReply) return h;
    const out: Reply[] = new Array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) out[i - 2] = h === undefined ? null : h.get(argv[i]) ?? null;
    return out;
  },
);

const hdel = command(
  'hdel',
  -3,
  ['write', 'fast'],
  [1, 1, 1],
  meta('Delete one or more hash fields', '2.0.0', 'O(N) where N is the number of fields to be removed.', 'key field [field ...]'),
  (ctx, argv) => {
    const key = argv[1];
    const h = writeHash(ctx, key);
    if (h === undefined) return 0;
    if (h instanceof ErrorReply) return h;
    let deleted = 0;
    for (let i = 2; i < argv.length; i++) if (h.delete(argv[i])) deleted++;
    if (deleted === 0) return 0;
    if (h.size === 0) ctx.db.delete(key);
    else ctx.db.signalModified(key);
    ctx.dirty(deleted);
    return deleted;
  },
);

const hlen = command(
  'hlen',
  2,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Get the number of fields in a hash', '2.0.0', 'O(1)', 'key'),
  (ctx, argv) => {
    const h = readHash(ctx, argv[1]);
    if (h === undefined) return 0;
    if (h instanceof ErrorReply) return h;
    return h.size;
  },
);

const hstrlen = command(
  'hstrlen',
  3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Get the length of the value of a hash field', '3.2.0', 'O(1)', 'key field'),
  (ctx, argv) => {
    const h = readHash(ctx, argv[1]);
    if (h === undefined) return 0;
    if (h instanceof ErrorReply) return h;
    return h.get(argv[2])?.length ?? 0;
  },
);

const hexists = command(
  'hexists',
  3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Determine if a hash field exists', '2.0.0', 'O(1)', 'key field'),
  (ctx, argv) => {
    const h = readHash(ctx, argv[1]);
    if (h === undefined) return 0;
    if (h instanceof ErrorReply) return h;
    return h.has(argv[2]) ? 1 : 0;
  },
);

const hkeys = command(
  'hkeys',
  2,
  ['readonly'],
  [1, 1, 1],
  meta('Get all the fields in a hash', '2.0.0', 'O(N) where N is the size of the hash.', 'key'),
  (ctx, argv) => {
    const h = readHash(ctx, argv[1]);
    if (h === undefined) return EMPTY_ARRAY;
    if (h instanceof ErrorReply) return h;
    return Array.from(h.keys());
  },
);

const hvals = command(
  'hvals',
  2,
  ['readonly'],
  [1, 1, 1],
  meta('Get all the values in a hash', '2.0.0', 'O(N) where N is the size of the hash.', 'key'),
  (ctx, argv) => {
    const h = readHash(ctx, argv[1]);
    if (h === undefined) return EMPTY_ARRAY;
    if (h instanceof ErrorReply) return h;
    return Array.from(h.values());
  },
);

const hgetall = command(
  'hgetall',
  2,
  ['readonly'],
  [1, 1, 1],
  meta('Get all the fields and values in a hash', '2.0.0', 'O(N) where N is the size of the hash.', 'key'),
  (ctx, argv) => {
    const h = readHash(ctx, argv[1]);
    if (h === undefined) return EMPTY_MAP;
    if (h instanceof ErrorReply) return h;
    return new MapReply(Array.from(h));
  },
);

const hincrby = command(
  'hincrby',
  4,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Increment the integer value of a hash field by the given number', '2.0.0', 'O(1)', 'key field increment'),
  (ctx, argv) => {
    const incr = parseInt64(argv[3]);
    if (incr === null) return NOT_INTEGER;
    const key = argv[1];
    const field = argv[2];
    const h = writeHash(ctx, key);
    if (h instanceof ErrorReply) return h;
    let cur: number | bigint = 0;
    const old = h?.get(field);
    if (old !== undefined) {
      const p = parseInt64Fast(old);
      if (p === null) return HASH_NOT_INTEGER;
      cur = p;
    }
    let result: number | bigint;
    const sum = typeof cur === 'number' && typeof incr === 'number' ? cur + incr : NaN;
    if (Number.isSafeInteger(sum)) result = sum;
    else {
      const big = BigInt(cur) + BigInt(incr);
      if (big > INT64_MAX || big < INT64_MIN) return OVERFLOW;
      const n = Number(big);
      result = Number.isSafeInteger(n) ? n : big;
    }
    setField(ctx, key, h, field, String(result));
    ctx.dirty();
    return result;
  },
);

const hincrbyfloat = command(
  'hincrbyfloat',
  4,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Increment the float value of a hash field by the given amount', '2.6.0', 'O(1)', 'key field increment'),
  (ctx, argv) => {
    const incr = parseLongDouble(argv[3]);
    if (incr === null) return NOT_FLOAT;
    if (incr.inf) return INCR_NAN_OR_INF;
    const key = argv[1];
    const field = argv[2];
    const h = writeHash(ctx, key);
    if (h instanceof ErrorReply) return h;
    const old = h?.get(field);
    let sum = incr;
    if (old !== undefined) {
      const cur = parseLongDouble(old);
      if (cur === null) return HASH_NOT_FLOAT;
      const s = addLongDouble(cur, incr);
      if (s === null || s.inf) return RESULT_NAN_OR_INF;
      sum = s;
    }
    const text = formatLongDouble(sum);
    setField(ctx, key, h, field, text);
    // Replicas and the log get the computed value, so float formatting cannot diverge.
    ctx.propagate(['HSET', key, field, text]);
    ctx.dirty();
    return text;
  },
);

const hrandfield = command(
  'hrandfield',
  -2,
  ['readonly'],
  [1, 1, 1],
  meta('Get one or multiple random fields from a hash', '6.2.0', 'O(N) where N is the number of fields returned', 'key [count [WITHVALUES]]'),
  (ctx, argv) => {
    const argc = argv.length;
    if (argc === 2) {
      const h = readHash(ctx, argv[1]);
      if (h === undefined) return null;
      if (h instanceof ErrorReply) return h;
      return randomKey(h);
    }
    const n = parseInt64(argv[2]);
    if (n === null) return NOT_INTEGER;
    if (n === -9223372036854775808n) return COUNT_RANGE;
    if (argc > 4 || (argc === 4 && !is(argv[3], 'withvalues'))) return SYNTAX;
    const withValues = argc === 4;
    // Redis 7.0.8+ bounds the count so that count*2 reply entries cannot overflow.
    if (withValues && (n < -4611686018427387903n || n > 4611686018427387903n)) return VALUE_OUT_OF_RANGE;
    const h = readHash(ctx, argv[1]);
    if (h === undefined) return EMPTY_ARRAY;
    if (h instanceof ErrorReply) return h;
    if (n === 0) return EMPTY_ARRAY;
    let fields: string[];
    if (n < 0 || n === 1) {
      // Negative: independent picks, repeats allowed.
      const count = n === 1 ? 1 : Number(-n);
      fields = [];
      for (let i = 0; i < count; i++) fields.push(randomKey(h));
    } else if (typeof n === 'bigint' || n >= h.size) {
      fields = Array.from(h.keys());
    } else {
      fields = sampleDistinct(h, n);
    }
    if (!withValues) return fields;
    // RESP2 gets a flat field/value array, RESP3 an array of [field, value] pairs.
    if (ctx.client.proto === 3) return fields.map((f): Reply => [f, h.get(f)!]);
    const out: Reply[] = new Array(fields.length * 2);
    for (let i = 0; i < fields.length; i++) {
      out[2 * i] = fields[i];
      out[2 * i + 1] = h.get(fields[i])!;
    }
    return out;
  },
);

const hscan = command(
  'hscan',
  -3,
  ['readonly'],
  [1, 1, 1],
  meta(
    'Incrementally iterate hash fields and associated values',
    '2.8.0',
    'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    'key cursor [MATCH pattern] [COUNT count]',
  ),
  (ctx, argv) => {
    const cursor = scanCursorArg(argv[2]);
    if (cursor === null) return INVALID_CURSOR;
    const h = readHash(ctx, argv[1]);
    if (h === undefined) return EMPTY_SCAN;
    if (h instanceof ErrorReply) return h;
    const opts = parseScanOptions(argv, 3);
    if (opts instanceof ErrorReply) return opts;
    let next = 0;
    let fields: Iterable<string>;
    if (isListpack(h)) {
      // A listpack in Redis: returned whole, whatever the cursor and COUNT.
      fields = h.keys();
    } else {
      const r = ctx.server.cursors.scan(h, cursor, opts.count);
      next = r.cursor;
      fields = r.keys;
    }
    const pattern = opts.pattern;
    const out: string[] = [];
    for (const f of fields) {
      if (pattern !== null && !globMatch(pattern, f)) continue;
      out.push(f, h.get(f)!);
    }
    return [String(next), out];
  },
);

export const hashCommands: CommandSpec[] = [
  hset,
  hsetnx,
  hget,
  hmset,
  hmget,
  hdel,
  hlen,
  hstrlen,
  hexists,
  hkeys,
  hvals,
  hgetall,
  hincrby,
  hincrbyfloat,
  hrandfield,
  hscan,
];
