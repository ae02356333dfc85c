import { ErrorReply, OK, simple, type Reply } from '../resp/reply.js';
import { command } from './define.js';
import { DB_OUT_OF_RANGE, invalidExpire, NO_SUCH_KEY, NOT_INTEGER, SYNTAX } from './errors.js';
import { lookupRead, lookupWrite } from './lookup.js';
import { INT64_MAX, INT64_MIN, is, parseInt64, parseInt64Fast } from './args.js';
import { Deque } from '../store/deque.js';
import { globMatch } from '../store/glob.js';
import { parseCursor } from '../store/scan-cursor.js';
import { SortedSet } from '../store/sorted-set.js';
import { typeOf, type Value } from '../store/value.js';
import type { Database } from '../store/database.js';
import type { CommandContext, CommandSpec } from './types.js';

const meta = (summary: string, since: string, complexity: string, syntax?: string) => ({
  group: 'generic' as const,
  summary,
  since,
  complexity,
  syntax,
});

const SAME_OBJECT = new ErrorReply('ERR source and destination objects are the same');
const INVALID_CURSOR = new ErrorReply('ERR invalid cursor');
const NX_AND_OTHERS = new ErrorReply('ERR NX and XX, GT or LT options at the same time are not compatible');
const GT_AND_LT = new ErrorReply('ERR GT and LT options at the same time are not compatible');
const NO_LFU = new ErrorReply(
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
);
const INT32_MAX = 2147483647;

function deleteKeys(ctx: CommandContext, argv: string[]): number {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (ctx.db.get(argv[i], ctx.now) !== undefined && ctx.db.delete(argv[i])) n++;
  }
  if (n) ctx.dirty(n);
  return n;
}

const del = command('del', -2, ['write'], [1, -1, 1], meta('Deletes one or more keys.', '1.0.0', 'O(N)', 'key [key ...]'), deleteKeys);

// Values are freed by V8's GC either way, so UNLINK is DEL.
const unlink = command('unlink', -2, ['write', 'fast'], [1, -1, 1], meta('Asynchronously deletes one or more keys.', '4.0.0', 'O(1)', 'key [key ...]'), deleteKeys);

function countExisting(ctx: CommandContext, argv: string[]): number {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (lookupRead(ctx, argv[i]) !== undefined) n++;
  return n;
}

const exists = command('exists', -2, ['readonly', 'fast'], [1, -1, 1], meta('Determines whether one or more keys exist.', '1.0.0', 'O(N)', 'key [key ...]'), countExisting);

// No access times or LRU clock are kept, so TOUCH only counts.
const touch = command(
  'touch',
  -2,
  ['readonly', 'fast'],
  [1, -1, 1],
  meta('Returns the number of existing keys out of those specified after updating the time they were last accessed.', '3.2.1', 'O(N)', 'key [key ...]'),
  countExisting,
);

const TYPE_REPLIES = {
  string: simple('string'),
  hash: simple('hash'),
  list: simple('list'),
  set: simple('set'),
  zset: simple('zset'),
  none: simple('none'),
};

const type = command('type', 2, ['readonly', 'fast'], [1, 1, 1], meta('Determines the type of value stored at a key.', '1.0.0', 'O(1)', 'key'), (ctx, argv) => {
  const v = lookupRead(ctx, argv[1]);
  return TYPE_REPLIES[v === undefined ? 'none' : typeOf(v)];
});

// ---- expiry ----

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** Redis's expireGenericCommand. `basetime` is now for relative forms, 0 for absolute ones. */
function expireGeneric(ctx: CommandContext, argv: string[], basetime: number, seconds: boolean, name: string): Reply {
  const key = argv[1];
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if (opt === 'nx') flags |= EXPIRE_NX;
    else if (opt === 'xx') flags |= EXPIRE_XX;
    else if (opt === 'gt') flags |= EXPIRE_GT;
    else if (opt === 'lt') flags |= EXPIRE_LT;
    else return new ErrorReply(`ERR Unsupported option ${argv[j]}`);
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) return NX_AND_OTHERS;
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) return GT_AND_LT;
  const v = parseInt64(argv[2]);
  if (v === null) return NOT_INTEGER;
  let when: number;
  let whenText: string;
  if (typeof v === 'number' && v > -9e12 && v < 9e12) {
    // No overflow possible: plain doubles are exact here.
    when = (seconds ? v * 1000 : v) + basetime;
    whenText = String(when);
  } else {
    let b = BigInt(v);
    if (seconds) {
      if (b > INT64_MAX / 1000n || b < INT64_MIN / 1000n) return invalidExpire(name);
      b *= 1000n;
    }
    if (b > INT64_MAX - BigInt(basetime)) return invalidExpire(name);
    b += BigInt(basetime);
    // Beyond 2^53 ms the stored expiry is approximate; the propagated one stays exact.
    when = Number(b);
    whenText = b.toString();
  }
  if (lookupWrite(ctx, key) === undefined) return 0;
  if (flags) {
    const current = ctx.db.getExpire(key) ?? -1;
    if (flags & EXPIRE_NX && current !== -1) return 0;
    if (flags & EXPIRE_XX && current === -1) return 0;
    // A key without TTL has an infinite one: GT never beats it, LT always does.
    if (flags & EXPIRE_GT && (when <= current || current === -1)) return 0;
    if (flags & EXPIRE_LT && when >= current && current !== -1) return 0;
  }
  ctx.dirty();
  if (when <= ctx.now && ctx.server.role !== 'replica') {
    ctx.db.delete(key);
    ctx.propagate(['DEL', key]);
    return 1;
  }
  ctx.db.setExpire(key, when);
  const effect = ['PEXPIREAT', key, whenText];
  for (let j = 3; j < argv.length; j++) effect.push(argv[j]);
  ctx.propagate(effect);
  return 1;
}

const expireMeta = (summary: string, since: string, arg: string) => meta(summary, since, 'O(1)', `key ${arg} [NX | XX | GT | LT]`);

const expire = command('expire', -3, ['write', 'fast'], [1, 1, 1], expireMeta("Sets a key's time-to-live in seconds.", '1.0.0', 'seconds'), (ctx, argv) =>
  expireGeneric(ctx, argv, ctx.now, true, 'expire'),
);

const pexpire = command('pexpire', -3, ['write', 'fast'], [1, 1, 1], expireMeta("Sets a key's time-to-live in milliseconds.", '2.6.0', 'milliseconds'), (ctx, argv) =>
  expireGeneric(ctx, argv, ctx.now, false, 'pexpire'),
);

const expireat = command('expireat', -3, ['write', 'fast'], [1, 1, 1], expireMeta('Sets the expiration time of a key to a Unix timestamp.', '1.2.0', 'unix-time-seconds'), (ctx, argv) =>
  expireGeneric(ctx, argv, 0, true, 'expireat'),
);

const pexpireat = command(
  'pexpireat',
  -3,
  ['write', 'fast'],
  [1, 1, 1],
  expireMeta('Sets the expiration time of a key to a Unix milliseconds timestamp.', '2.6.0', 'unix-time-milliseconds'),
  (ctx, argv) => expireGeneric(ctx, argv, 0, false, 'pexpireat'),
);

/** Redis's ttlGenericCommand: -2 missing, -1 no TTL, else remaining (or absolute) time. */
function ttlGeneric(ctx: CommandContext, key: string, ms: boolean, absolute: boolean): number | bigint {
  if (lookupRead(ctx, key) === undefined) return -2;
  const at = ctx.db.getExpire(key);
  if (at === undefined) return -1;
  let ttl = absolute ? at : at - ctx.now;
  if (ttl < 0) ttl = 0;
  if (ms) return ttl >= 9223372036854775807 ? INT64_MAX : ttl; // the double may round up to 2^63
  return Math.floor((ttl + 500) / 1000);
}

const ttl = command('ttl', 2, ['readonly', 'fast'], [1, 1, 1], meta('Returns the expiration time in seconds of a key.', '1.0.0', 'O(1)', 'key'), (ctx, argv) =>
  ttlGeneric(ctx, argv[1], false, false),
);

const pttl = command('pttl', 2, ['readonly', 'fast'], [1, 1, 1], meta('Returns the expiration time in milliseconds of a key.', '2.6.0', 'O(1)', 'key'), (ctx, argv) =>
  ttlGeneric(ctx, argv[1], true, false),
);

const expiretime = command('expiretime', 2, ['readonly', 'fast'], [1, 1, 1], meta('Returns the expiration time of a key as a Unix timestamp.', '7.0.0', 'O(1)', 'key'), (ctx, argv) =>
  ttlGeneric(ctx, argv[1], false, true),
);

const pexpiretime = command('pexpiretime', 2, ['readonly', 'fast'], [1, 1, 1], meta('Returns the expiration time of a key as a Unix milliseconds timestamp.', '7.0.0', 'O(1)', 'key'), (ctx, argv) =>
  ttlGeneric(ctx, argv[1], true, true),
);

const persist = command('persist', 2, ['write', 'fast'], [1, 1, 1], meta('Removes the expiration time of a key.', '2.2.0', 'O(1)', 'key'), (ctx, argv) => {
  if (lookupWrite(ctx, argv[1]) === undefined || !ctx.db.persist(argv[1])) return 0;
  ctx.dirty();
  return 1;
});

// ---- rename, copy, move ----

function renameGeneric(ctx: CommandContext, argv: string[], nx: boolean): Reply {
  const src = argv[1];
  const dst = argv[2];
  const v = lookupWrite(ctx, src);
  if (v === undefined) return NO_SUCH_KEY;
  if (src === dst) return nx ? 0 : OK;
  const at = ctx.db.getExpire(src);
  if (lookupWrite(ctx, dst) !== undefined) {
    if (nx) return 0;
    ctx.db.delete(dst);
  }
  ctx.db.delete(src);
  ctx.db.set(dst, v);
  if (at !== undefined) ctx.db.setExpire(dst, at);
  ctx.dirty();
  return nx ? 1 : OK;
}

const rename = command('rename', 3, ['write'], [1, 2, 1], meta('Renames a key and overwrites the destination.', '1.0.0', 'O(1)', 'key newkey'), (ctx, argv) =>
  renameGeneric(ctx, argv, false),
);

const renamenx = command('renamenx', 3, ['write', 'fast'], [1, 2, 1], meta('Renames a key only when the target key name doesn\'t exist.', '1.0.0', 'O(1)', 'key newkey'), (ctx, argv) =>
  renameGeneric(ctx, argv, true),
);

/** A deep copy: collections are mutated in place, so a copy must not share them. */
export function copyValue(v: Value): Value {
  if (typeof v === 'string') return v;
  if (v instanceof Map) return new Map(v);
  if (v instanceof Set) return new Set(v);
  if (v instanceof Deque) return new Deque(v);
  if (v instanceof SortedSet) {
    const z = new SortedSet();
    for (const [m, s] of v.entries()) z.set(m, s);
    return z;
  }
  throw new Error('invariant: unknown value type in keyspace');
}

/** Redis's getIntFromObjectOrReply + selectDb check for a DB argument. */
function dbArg(ctx: CommandContext, text: string): Database | ErrorReply {
  const n = parseInt64(text);
  if (n === null || typeof n === 'bigint' || n > INT32_MAX || n < -INT32_MAX - 1) return NOT_INTEGER;
  if (n < 0 || n >= ctx.server.dbs.length) return DB_OUT_OF_RANGE;
  return ctx.server.dbs[n];
}

const copy = command(
  'copy',
  -3,
  ['write', 'denyoom'],
  [1, 2, 1],
  meta('Copies the value of a key to a new key.', '6.2.0', 'O(N)', 'source destination [DB destination-db] [REPLACE]'),
  (ctx, argv) => {
    const src = argv[1];
    const dstKey = argv[2];
    let dst = ctx.db;
    let replace = false;
    for (let j = 3; j < argv.length; j++) {
      if (is(argv[j], 'replace')) replace = true;
      else if (is(argv[j], 'db') && j + 1 < argv.length) {
        const d = dbArg(ctx, argv[++j]);
        if (d instanceof ErrorReply) return d;
        dst = d;
      } else return SYNTAX;
    }
    if (dst === ctx.db && src === dstKey) return SAME_OBJECT;
    const v = lookupRead(ctx, src);
    if (v === undefined) return 0;
    const at = ctx.db.getExpire(src);
    if (dst.get(dstKey, ctx.now) !== undefined) {
      if (!replace) return 0;
      dst.delete(dstKey);
    }
    dst.set(dstKey, copyValue(v));
    if (at !== undefined) dst.setExpire(dstKey, at);
    // The dispatcher wakes blocked clients of this DB only.
    if (dst !== ctx.db) ctx.server.blocking.signal(dst.id, dstKey);
    ctx.dirty();
    return 1;
  },
);

const move = command('move', 3, ['write', 'fast'], [1, 1, 1], meta('Moves a key to another database.', '1.0.0', 'O(1)', 'key db'), (ctx, argv) => {
  const key = argv[1];
  const dst = dbArg(ctx, argv[2]);
  if (dst instanceof ErrorReply) return dst;
  if (dst === ctx.db) return SAME_OBJECT;
  const v = lookupWrite(ctx, key);
  if (v === undefined) return 0;
  const at = ctx.db.getExpire(key);
  if (dst.get(key, ctx.now) !== undefined) return 0;
  dst.set(key, v);
  if (at !== undefined) dst.setExpire(key, at);
  ctx.db.delete(key);
  ctx.server.blocking.signal(dst.id, key);
  ctx.dirty();
  return 1;
});

// ---- keyspace iteration ----

const keys = command('keys', 2, ['readonly'], [0, 0, 0], meta('Returns all key names that match a pattern.', '1.0.0', 'O(N)', 'pattern'), (ctx, argv) => {
  const pattern = argv[1];
  const all = pattern === '*';
  const db = ctx.db;
  const out: string[] = [];
  // Expired keys are skipped, not deleted, as Redis's keyIsExpired check does.
  const checkExpiry = db.expires.size !== 0;
  for (const k of db.data.keys()) {
    if (!all && !globMatch(pattern, k)) continue;
    if (checkExpiry) {
      const at = db.expires.get(k);
      if (at !== undefined && at <= ctx.now) continue;
    }
    out.push(k);
  }
  return out;
});

/**
 * SCAN's cursor as Redis reads it (strtoull): "" is 0 and a sign is accepted; a negative
 * cursor is a huge unsigned one, which we did not hand out, so the scan starts over.
 */
export function scanCursorArg(text: string): number | null {
  if (text.length === 0) return 0;
  const c = text.charCodeAt(0);
  if (c === 43 || c === 45) {
    const v = parseCursor(text.slice(1));
    if (v === null) return null;
    return c === 45 ? 0 : v;
  }
  return parseCursor(text);
}

const scan = command(
  'scan',
  -2,
  ['readonly'],
  [0, 0, 0],
  meta('Iterates over the key names in the database.', '2.8.0', 'O(1) for every call. O(N) for a complete iteration.', 'cursor [MATCH pattern] [COUNT count] [TYPE type]'),
  (ctx, argv) => {
    const cursor = scanCursorArg(argv[1]);
    if (cursor === null) return INVALID_CURSOR;
    let count = 10;
    let pattern: string | null = null;
    let typeName: string | null = null;
    for (let i = 2; i < argv.length; i += 2) {
      const more = i + 1 < argv.length;
      if (is(argv[i], 'count') && more) {
        const n = parseInt64(argv[i + 1]);
        if (n === null) return NOT_INTEGER;
        if (n < 1) return SYNTAX;
        count = typeof n === 'bigint' || n > 1e9 ? 1e9 : n;
      } else if (is(argv[i], 'match') && more) {
        pattern = argv[i + 1] === '*' ? null : argv[i + 1];
      } else if (is(argv[i], 'type') && more) {
        typeName = argv[i + 1].toLowerCase();
      } else return SYNTAX;
    }
    const db = ctx.db;
    const r = db.data.scan(cursor, count);
    const out: string[] = [];
    for (const k of r.keys) {
      if (pattern !== null && !globMatch(pattern, k)) continue;
      // Lazily expires (and propagates a DEL for) keys whose time has passed.
      const v = db.get(k, ctx.now);
      if (v === undefined) continue;
      if (typeName !== null && typeOf(v) !== typeName) continue;
      out.push(k);
    }
    return [String(r.cursor), out];
  },
);

function randomKeyOf(db: Database): string | undefined {
  return db.data.randomKey();
}

const randomkey = command('randomkey', 1, ['readonly'], [0, 0, 0], meta('Returns a random key name from the database.', '1.0.0', 'O(1)'), (ctx) => {
  const db = ctx.db;
  // On a replica expired keys are not deleted; when every key is volatile, give up
  // after a while and return one of them as Redis does.
  const allVolatile = db.data.size === db.expires.size;
  for (let tries = 100; db.data.size !== 0; ) {
    const k = randomKeyOf(db);
    if (k === undefined) return null;
    if (db.expires.has(k)) {
      if (allVolatile && ctx.server.role === 'replica' && --tries === 0) return k;
      if (db.expireIfNeeded(k, ctx.now)) continue;
    }
    return k;
  }
  return null;
});

// ---- OBJECT ----

// Redis 7.0 defaults: hash/zset-max-listpack-entries 128, -value 64, set-max-intset-entries 512.
const LISTPACK_ENTRIES = 128;
const LISTPACK_VALUE = 64;
const INTSET_ENTRIES = 512;
const SHARED_INTEGERS = 10000;
const SHARED_REFCOUNT = 2147483647;

/** A string Redis would store int-encoded: canonical int64 of at most 20 chars. */
function isIntString(s: string): boolean {
  return s.length <= 20 && parseInt64Fast(s) !== null;
}

/**
 * OBJECT ENCODING. Redis's encoding depends on a value's history (APPEND or SETRANGE make a
 * "raw" string, a hash converted to a hashtable never goes back); we keep no such state,
 * so this is Redis 7.0's choice for a value of this content and size built by plain
 * SET/HSET/SADD/ZADD/RPUSH: an approximation.
 */
export function encodingOf(v: Value): string {
  if (typeof v === 'string') {
    if (isIntString(v)) return 'int';
    return v.length <= 44 ? 'embstr' : 'raw';
  }
  if (v instanceof Map) {
    if (v.size > LISTPACK_ENTRIES) return 'hashtable';
    for (const [f, x] of v) if (f.length > LISTPACK_VALUE || x.length > LISTPACK_VALUE) return 'hashtable';
    return 'listpack';
  }
  // Redis 7.0 lists are always quicklists (listpack lists came with 7.2).
  if (v instanceof Deque) return 'quicklist';
  if (v instanceof Set) {
    if (v.size > INTSET_ENTRIES) return 'hashtable';
    for (const m of v) if (!isIntString(m)) return 'hashtable';
    return 'intset';
  }
  if (v.size > LISTPACK_ENTRIES) return 'skiplist';
  for (const [m] of v.entries()) if (m.length > LISTPACK_VALUE) return 'skiplist';
  return 'listpack';
}

const objectKeyMeta = (summary: string) => meta(summary, '2.2.3', 'O(1)', 'key');

const objectEncoding = command('object|encoding', 3, ['readonly'], [2, 2, 1], objectKeyMeta('Returns the internal encoding of a Redis object.'), (ctx, argv) => {
  const v = ctx.db.get(argv[2], ctx.now);
  return v === undefined ? null : encodingOf(v);
});

const objectFreq = command('object|freq', 3, ['readonly'], [2, 2, 1], objectKeyMeta('Returns the logarithmic access frequency counter of a Redis object.'), (ctx, argv) => {
  if (ctx.db.get(argv[2], ctx.now) === undefined) return null;
  // maxmemory-policy is always noeviction here, never an LFU one.
  return NO_LFU;
});

// No access clock is kept per key (it would cost memory and time on every read): 0.
const objectIdletime = command('object|idletime', 3, ['readonly'], [2, 2, 1], objectKeyMeta('Returns the time since the last access to a Redis object.'), (ctx, argv) =>
  ctx.db.get(argv[2], ctx.now) === undefined ? null : 0,
);

// Approximates Redis: small non-negative integers are shared objects there.
const objectRefcount = command('object|refcount', 3, ['readonly'], [2, 2, 1], objectKeyMeta('Returns the reference count of a value of a key.'), (ctx, argv) => {
  const v = ctx.db.get(argv[2], ctx.now);
  if (v === undefined) return null;
  if (typeof v === 'string' && isIntString(v)) {
    const n = parseInt64Fast(v);
    if (typeof n === 'number' && n >= 0 && n < SHARED_INTEGERS) return SHARED_REFCOUNT;
  }
  return 1;
});

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
].map(simple);

const objectHelp = command('object|help', 2, ['loading', 'stale'], [0, 0, 0], meta('Returns helpful text about the different subcommands.', '6.2.0', 'O(1)'), () => OBJECT_HELP);

const object = command(
  'object',
  -2,
  [],
  [0, 0, 0],
  { ...meta('A container for object introspection commands.', '2.2.3', 'Depends on subcommand.'), subcommands: [objectEncoding, objectFreq, objectIdletime, objectRefcount, objectHelp] },
  () => SYNTAX,
);

export const keyCommands: CommandSpec[] = [
  del,
  unlink,
  exists,
  touch,
  type,
  expire,
  pexpire,
  expireat,
  pexpireat,
  ttl,
  pttl,
  expiretime,
  pexpiretime,
  persist,
  rename,
  renamenx,
  copy,
  move,
  keys,
  scan,
  randomkey,
  object,
];
