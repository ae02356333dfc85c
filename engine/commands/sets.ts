import { ErrorReply, type Reply, SetReply } from '../resp/reply.js';
import { globMatch } from '../store/glob.js';
import { parseCursor } from '../store/scan-cursor.js';
import type { SetValue } from '../store/value.js';
import { is, parseInt64, parseInt64Fast } from './args.js';
import { command } from './define.js';
import { NOT_INTEGER, NOT_POSITIVE, SYNTAX, WRONGTYPE } from './errors.js';
import { lookupRead, lookupWrite } from './lookup.js';
import type { CommandContext, CommandSpec } from './types.js';

const meta = (summary: string, since: string, complexity: string, syntax: string) => ({
  group: 'set' as const,
  summary,
  since,
  complexity,
  syntax,
});

// Replies are never mutated by the encoder, so empty ones can be shared.
const EMPTY_SET = new SetReply([]);
const EMPTY_ARRAY: Reply[] = [];
export const EMPTY_SCAN: Reply[] = ['0', EMPTY_ARRAY];
export const INVALID_CURSOR = new ErrorReply('ERR invalid cursor');
/** getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) as Redis 7.0 words it (HRANDFIELD, SRANDMEMBER). */
export const COUNT_RANGE = new ErrorReply('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');

// Redis 7.0 keeps a set of at most set-max-intset-entries (512) integers as an intset, which
// it iterates in ascending order; any other set is a hash table.
const INTSET_ENTRIES = 512;

/**
 * If `arr` would be an intset in Redis 7.0 (at most 512 members, all integers), sort it in
 * place ascending, the order Redis iterates an intset in, and return true. (Redis's encoding
 * is sticky, ours is judged from the contents; only otherwise arbitrary orders differ.)
 */
function sortIfIntset(arr: string[]): boolean {
  const n = arr.length;
  if (n === 0 || n > INTSET_ENTRIES || parseInt64Fast(arr[0]) === null) return false;
  const pairs: [number | bigint, string][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = parseInt64Fast(arr[i]);
    if (v === null) return false;
    pairs[i] = [v, arr[i]];
  }
  // Mixed number/bigint comparisons are exact in JS.
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 0; i < n; i++) arr[i] = pairs[i][1];
  return true;
}

/** Members in Redis's iteration order where it is not a hash-table accident (see sortIfIntset). */
export function intsetOrder(arr: string[]): string[] {
  sortIfIntset(arr);
  return arr;
}

// ---------------------------------------------------------------------------------------
// Random members. JS Sets and Maps have no random access, so a collection that is sampled
// gets a companion array of its keys (Redis picks a random bucket instead). Additions made in
// place are appended by the commands (noteAdded); removals are left in the array and dropped
// when a pick lands on them. The array is rebuilt when it is missing keys or mostly stale.

type Keyed = Set<string> | Map<string, string>;

const samplers = new WeakMap<Keyed, string[]>();
let sampling = false;
/** Below this size a pick just walks the collection: no companion array. */
const SAMPLE_DIRECT = 64;

function rebuild(c: Keyed): string[] {
  const a = Array.from(c.keys());
  samplers.set(c, a);
  sampling = true;
  return a;
}

function samplerOf(c: Keyed): string[] {
  const a = samplers.get(c);
  if (a === undefined || a.length < c.size || a.length > 2 * c.size + SAMPLE_DIRECT) return rebuild(c);
  return a;
}

/** Tell the sampler that `member` was just added to `c` in place. */
export function noteAdded(c: Keyed, member: string): void {
  if (!sampling) return;
  const a = samplers.get(c);
  if (a === undefined) return;
  if (a.length > 2 * c.size + SAMPLE_DIRECT) samplers.delete(c);
  else a.push(member);
}

function randomInt(n: number): number {
  return Math.floor(Math.random() * n);
}

/** A random live key of non-empty `c`; with `take`, also dropped from the sampler array. */
function samplePick(c: Keyed, take: boolean): string {
  let a = samplerOf(c);
  for (;;) {
    const i = randomInt(a.length);
    const k = a[i];
    const live = c.has(k);
    if (!live || take) {
      a[i] = a[a.length - 1];
      a.pop();
    }
    if (live) return k;
    if (a.length < c.size) a = rebuild(c);
  }
}

/** A random key of a non-empty Set or Map. */
export function randomKey(c: Keyed): string {
  const n = c.size;
  if (n <= SAMPLE_DIRECT) {
    let i = randomInt(n);
    for (const k of c.keys()) if (i-- === 0) return k;
    throw new Error('invariant: collection shorter than its size');
  }
  return samplePick(c, false);
}

/** `count` distinct random keys of `c`, count < c.size. */
export function sampleDistinct(c: Keyed, count: number): string[] {
  const n = c.size;
  if (n <= SAMPLE_DIRECT || count * 3 > n) {
    // A large share of the collection: partial Fisher-Yates over a copy.
    const a = Array.from(c.keys());
    for (let i = 0; i < count; i++) {
      const j = i + randomInt(n - i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    a.length = count;
    return a;
  }
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(samplePick(c, false));
  return Array.from(chosen);
}

function popRandom(s: SetValue): string {
  const k = s.size <= SAMPLE_DIRECT ? randomKey(s) : samplePick(s, true);
  s.delete(k);
  return k;
}

// ---------------------------------------------------------------------------------------
// SCAN-family helpers, shared with HSCAN.

/**
 * A SCAN cursor as Redis's parseScanCursorOrReply reads it (strtoul): an empty string is 0
 * and a sign is allowed. A negative cursor wraps to a huge one we never issued: start over.
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

export interface ScanOptions {
  count: number;
  /** null when absent or `*` (matches everything). */
  pattern: string | null;
}

/** COUNT and MATCH from argv[from...], as scanGenericCommand parses them. */
export function parseScanOptions(argv: string[], from: number): ScanOptions | ErrorReply {
  let count = 10;
  let pattern: string | null = null;
  for (let i = from; i < argv.length; i += 2) {
    if (i + 1 >= argv.length) return SYNTAX;
    if (is(argv[i], 'count')) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) return NOT_INTEGER;
      if (n < 1) return SYNTAX;
      count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
    } else if (is(argv[i], 'match')) {
      const p = argv[i + 1];
      pattern = p === '*' ? null : p;
    } else return SYNTAX;
  }
  return { count, pattern };
}

// ---------------------------------------------------------------------------------------

/** The set at `key` for reading: undefined if missing, WRONGTYPE if another type. */
function readSet(ctx: CommandContext, key: string): SetValue | undefined | ErrorReply {
  const v = lookupRead(ctx, key);
  if (v === undefined || v instanceof Set) return v;
  return WRONGTYPE;
}

const sadd = command(
  'sadd',
  -3,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta(
    'Add one or more members to a set',
    '1.0.0',
    'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    'key member [member ...]',
  ),
  (ctx, argv) => {
    const key = argv[1];
    const v = ctx.db.get(key, ctx.now);
    let added: number;
    if (v === undefined) {
      const s = new Set<string>();
      for (let i = 2; i < argv.length; i++) s.add(argv[i]);
      added = s.size;
      ctx.db.add(key, s);
    } else {
      if (!(v instanceof Set)) return WRONGTYPE;
      added = 0;
      for (let i = 2; i < argv.length; i++) {
        const before = v.size;
        v.add(argv[i]);
        if (v.size !== before) {
          added++;
          if (sampling) noteAdded(v, argv[i]);
        }
      }
      if (added === 0) return 0;
      ctx.db.signalModified(key);
    }
    ctx.dirty(added);
    return added;
  },
);

const srem = command(
  'srem',
  -3,
  ['write', 'fast'],
  [1, 1, 1],
  meta('Remove one or more members from a set', '1.0.0', 'O(N) where N is the number of members to be removed.', 'key member [member ...]'),
  (ctx, argv) => {
    const key = argv[1];
    const v = lookupWrite(ctx, key);
    if (v === undefined) return 0;
    if (!(v instanceof Set)) return WRONGTYPE;
    let removed = 0;
    for (let i = 2; i < argv.length; i++) if (v.delete(argv[i])) removed++;
    if (removed === 0) return 0;
    if (v.size === 0) ctx.db.delete(key);
    else ctx.db.signalModified(key);
    ctx.dirty(removed);
    return removed;
  },
);

const smembers = command(
  'smembers',
  2,
  ['readonly'],
  [1, 1, 1],
  meta('Get all the members in a set', '1.0.0', 'O(N) where N is the set cardinality.', 'key'),
  (ctx, argv) => {
    const s = readSet(ctx, argv[1]);
    if (s === undefined) return EMPTY_SET;
    if (s instanceof ErrorReply) return s;
    return new SetReply(intsetOrder(Array.from(s)));
  },
);

const sismember = command(
  'sismember',
  3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Determine if a given value is a member of a set', '1.0.0', 'O(1)', 'key member'),
  (ctx, argv) => {
    const s = readSet(ctx, argv[1]);
    if (s === undefined) return 0;
    if (s instanceof ErrorReply) return s;
    return s.has(argv[2]) ? 1 : 0;
  },
);

const smismember = command(
  'smismember',
  -3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta(
    'Returns the membership associated with the given elements for a set',
    '6.2.0',
    'O(N) where N is the number of elements being checked for membership',
    'key member [member ...]',
  ),
  (ctx, argv) => {
    const s = readSet(ctx, argv[1]);
    if (s instanceof ErrorReply) return s;
    const out: Reply[] = new Array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) out[i - 2] = s !== undefined && s.has(argv[i]) ? 1 : 0;
    return out;
  },
);

const scard = command(
  'scard',
  2,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Get the number of members in a set', '1.0.0', 'O(1)', 'key'),
  (ctx, argv) => {
    const s = readSet(ctx, argv[1]);
    if (s === undefined) return 0;
    if (s instanceof ErrorReply) return s;
    return s.size;
  },
);

const smove = command(
  'smove',
  4,
  ['write', 'fast'],
  [1, 2, 1],
  meta('Move a member from one set to another', '1.0.0', 'O(1)', 'source destination member'),
  (ctx, argv) => {
    const srcKey = argv[1];
    const dstKey = argv[2];
    const member = argv[3];
    const src = lookupWrite(ctx, srcKey);
    const dst = lookupWrite(ctx, dstKey);
    if (src === undefined) return 0;
    if (!(src instanceof Set) || (dst !== undefined && !(dst instanceof Set))) return WRONGTYPE;
    if (srcKey === dstKey) return src.has(member) ? 1 : 0;
    if (!src.delete(member)) return 0;
    if (src.size === 0) ctx.db.delete(srcKey);
    else ctx.db.signalModified(srcKey);
    let changed = 1;
    if (dst === undefined) {
      ctx.db.add(dstKey, new Set([member]));
      changed++;
    } else if (!dst.has(member)) {
      dst.add(member);
      noteAdded(dst, member);
      ctx.db.signalModified(dstKey);
      changed++;
    }
    ctx.dirty(changed);
    return 1;
  },
);

const spop = command(
  'spop',
  -2,
  ['write', 'fast'],
  [1, 1, 1],
  meta(
    'Remove and return one or multiple random members from a set',
    '1.0.0',
    'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.',
    'key [count]',
  ),
  (ctx, argv) => {
    if (argv.length === 3) return spopWithCount(ctx, argv);
    if (argv.length > 3) return SYNTAX;
    const key = argv[1];
    const s = lookupWrite(ctx, key);
    if (s === undefined) return null;
    if (!(s instanceof Set)) return WRONGTYPE;
    const m = popRandom(s);
    if (s.size === 0) ctx.db.delete(key);
    else ctx.db.signalModified(key);
    // The pick is random: replicas and the log get the member that went.
    ctx.propagate(['SREM', key, m]);
    ctx.dirty();
    return m;
  },
);

function spopWithCount(ctx: CommandContext, argv: string[]): Reply {
  // getPositiveLongFromObjectOrReply: one message for every bad count, even "abc".
  const n = parseInt64(argv[2]);
  if (n === null || n < 0) return NOT_POSITIVE;
  const key = argv[1];
  const s = lookupWrite(ctx, key);
  if (s === undefined) return EMPTY_SET;
  if (!(s instanceof Set)) return WRONGTYPE;
  if (n === 0) return EMPTY_SET;
  const size = s.size;
  if (typeof n === 'bigint' || n >= size) {
    const all = intsetOrder(Array.from(s));
    ctx.db.delete(key);
    ctx.propagate(['DEL', key]);
    ctx.dirty(size);
    return new SetReply(all);
  }
  const popped = sampleDistinct(s, n);
  for (let i = 0; i < popped.length; i++) s.delete(popped[i]);
  ctx.db.signalModified(key);
  // One SREM with every popped member: atomic on the replica, unlike a run of SREMs.
  const eff = new Array<string>(popped.length + 2);
  eff[0] = 'SREM';
  eff[1] = key;
  for (let i = 0; i < popped.length; i++) eff[i + 2] = popped[i];
  ctx.propagate(eff);
  ctx.dirty(n);
  return new SetReply(popped);
}

const srandmember = command(
  'srandmember',
  -2,
  ['readonly'],
  [1, 1, 1],
  meta(
    'Get one or multiple random members from a set',
    '1.0.0',
    'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.',
    'key [count]',
  ),
  (ctx, argv) => {
    if (argv.length > 3) return SYNTAX;
    if (argv.length === 3) {
      const n = parseInt64(argv[2]);
      if (n === null) return NOT_INTEGER;
      if (n === -9223372036854775808n) return COUNT_RANGE;
      const s = readSet(ctx, argv[1]);
      if (s === undefined) return EMPTY_ARRAY;
      if (s instanceof ErrorReply) return s;
      if (n === 0) return EMPTY_ARRAY;
      if (n < 0 || n === 1) {
        // Negative: independent picks, repeats allowed.
        const count = n === 1 ? 1 : Number(-n);
        const out: string[] = [];
        for (let i = 0; i < count; i++) out.push(randomKey(s));
        return out;
      }
      if (typeof n === 'bigint' || n >= s.size) return intsetOrder(Array.from(s));
      return sampleDistinct(s, n);
    }
    const s = readSet(ctx, argv[1]);
    if (s === undefined) return null;
    if (s instanceof ErrorReply) return s;
    return randomKey(s);
  },
);

/** The sets at argv[from..to), undefined for missing keys; WRONGTYPE if any is another type. */
function loadSets(ctx: CommandContext, argv: string[], from: number, to: number, write: boolean): (SetValue | undefined)[] | ErrorReply {
  const out: (SetValue | undefined)[] = new Array(to - from);
  for (let i = from; i < to; i++) {
    const v = write ? lookupWrite(ctx, argv[i]) : lookupRead(ctx, argv[i]);
    if (v !== undefined && !(v instanceof Set)) return WRONGTYPE;
    out[i - from] = v;
  }
  return out;
}

/**
 * Intersection, walking the smallest set as Redis does. With `limit` > 0 stops after that many
 * members. Returns the members (or only their number when `countOnly`).
 */
function intersect(sets: (SetValue | undefined)[], limit: number, countOnly: boolean): string[] | number {
  for (const s of sets) if (s === undefined) return countOnly ? 0 : [];
  const ordered = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const first = ordered[0];
  const out: string[] = [];
  let n = 0;
  outer: for (const m of first) {
    for (let j = 1; j < ordered.length; j++) {
      if (ordered[j] !== first && !ordered[j].has(m)) continue outer;
    }
    n++;
    if (!countOnly) out.push(m);
    if (limit > 0 && n >= limit) break;
  }
  return countOnly ? n : out;
}

function union(sets: (SetValue | undefined)[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) if (s !== undefined) for (const m of s) out.add(m);
  return out;
}

function difference(sets: (SetValue | undefined)[], keys: string[]): Set<string> {
  const out = new Set<string>();
  const first = sets[0];
  if (first === undefined) return out;
  // Redis: the first key repeated later makes the result empty.
  for (let j = 1; j < keys.length; j++) if (keys[j] === keys[0]) return out;
  outer: for (const m of first) {
    for (let j = 1; j < sets.length; j++) {
      const s = sets[j];
      if (s !== undefined && s.has(m)) continue outer;
    }
    out.add(m);
  }
  return out;
}

/** Store a *STORE result: overwrite the destination, or delete it when the result is empty. */
function store(ctx: CommandContext, dst: string, result: Set<string>): number {
  if (result.size > 0) {
    ctx.db.set(dst, result);
    ctx.dirty();
    return result.size;
  }
  if (lookupWrite(ctx, dst) !== undefined && ctx.db.delete(dst)) ctx.dirty();
  return 0;
}

const sinter = command(
  'sinter',
  -2,
  ['readonly'],
  [1, -1, 1],
  meta('Intersect multiple sets', '1.0.0', 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.', 'key [key ...]'),
  (ctx, argv) => {
    const sets = loadSets(ctx, argv, 1, argv.length, false);
    if (sets instanceof ErrorReply) return sets;
    return new SetReply(intsetOrder(intersect(sets, 0, false) as string[]));
  },
);

const NUMKEYS = new ErrorReply('ERR numkeys should be greater than 0');
const TOO_MANY_KEYS = new ErrorReply("ERR Number of keys can't be greater than number of args");
const LIMIT_NEGATIVE = new ErrorReply("ERR LIMIT can't be negative");

function sintercardKeys(argv: string[]): number[] {
  const n = parseInt64(argv[1]);
  if (n === null || typeof n === 'bigint' || n < 1 || n > argv.length - 2) return [];
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 + i;
  return out;
}

const sintercard = command(
  'sintercard',
  -3,
  ['readonly', 'movablekeys'],
  [0, 0, 0],
  {
    ...meta(
      'Intersect multiple sets and return the cardinality of the result',
      '7.0.0',
      'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
      'numkeys key [key ...] [LIMIT limit]',
    ),
    keys: sintercardKeys,
  },
  (ctx, argv) => {
    const n = parseInt64(argv[1]);
    if (n === null || n < 1) return NUMKEYS;
    if (n > argv.length - 2) return TOO_MANY_KEYS;
    const numkeys = Number(n);
    let limit = 0;
    for (let j = 2 + numkeys; j < argv.length; j++) {
      if (is(argv[j], 'limit') && j + 1 < argv.length) {
        const l = parseInt64(argv[++j]);
        if (l === null || l < 0) return LIMIT_NEGATIVE;
        limit = typeof l === 'bigint' ? 0 : l;
      } else return SYNTAX;
    }
    const sets = loadSets(ctx, argv, 2, 2 + numkeys, false);
    if (sets instanceof ErrorReply) return sets;
    return intersect(sets, limit, true);
  },
);

const sinterstore = command(
  'sinterstore',
  -3,
  ['write', 'denyoom'],
  [1, -1, 1],
  meta(
    'Intersect multiple sets and store the resulting set in a key',
    '1.0.0',
    'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    'destination key [key ...]',
  ),
  (ctx, argv) => {
    const sets = loadSets(ctx, argv, 2, argv.length, true);
    if (sets instanceof ErrorReply) return sets;
    return store(ctx, argv[1], new Set(intersect(sets, 0, false) as string[]));
  },
);

const sunion = command(
  'sunion',
  -2,
  ['readonly'],
  [1, -1, 1],
  meta('Add multiple sets', '1.0.0', 'O(N) where N is the total number of elements in all given sets.', 'key [key ...]'),
  (ctx, argv) => {
    const sets = loadSets(ctx, argv, 1, argv.length, false);
    if (sets instanceof ErrorReply) return sets;
    return new SetReply(intsetOrder(Array.from(union(sets))));
  },
);

const sunionstore = command(
  'sunionstore',
  -3,
  ['write', 'denyoom'],
  [1, -1, 1],
  meta('Add multiple sets and store the resulting set in a key', '1.0.0', 'O(N) where N is the total number of elements in all given sets.', 'destination key [key ...]'),
  (ctx, argv) => {
    const sets = loadSets(ctx, argv, 2, argv.length, true);
    if (sets instanceof ErrorReply) return sets;
    return store(ctx, argv[1], union(sets));
  },
);

const sdiff = command(
  'sdiff',
  -2,
  ['readonly'],
  [1, -1, 1],
  meta('Subtract multiple sets', '1.0.0', 'O(N) where N is the total number of elements in all given sets.', 'key [key ...]'),
  (ctx, argv) => {
    const sets = loadSets(ctx, argv, 1, argv.length, false);
    if (sets instanceof ErrorReply) return sets;
    return new SetReply(intsetOrder(Array.from(difference(sets, argv.slice(1)))));
  },
);

const sdiffstore = command(
  'sdiffstore',
  -3,
  ['write', 'denyoom'],
  [1, -1, 1],
  meta('Subtract multiple sets and store the resulting set in a key', '1.0.0', 'O(N) where N is the total number of elements in all given sets.', 'destination key [key ...]'),
  (ctx, argv) => {
    const sets = loadSets(ctx, argv, 2, argv.length, true);
    if (sets instanceof ErrorReply) return sets;
    return store(ctx, argv[1], difference(sets, argv.slice(2)));
  },
);

const sscan = command(
  'sscan',
  -3,
  ['readonly'],
  [1, 1, 1],
  meta(
    'Incrementally iterate Set elements',
    '2.8.0',
    'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    'key cursor [MATCH pattern] [COUNT count]',
  ),
  (ctx, argv) => {
    const cursor = scanCursorArg(argv[2]);
    if (cursor === null) return INVALID_CURSOR;
    const s = readSet(ctx, argv[1]);
    if (s === undefined) return EMPTY_SCAN;
    if (s instanceof ErrorReply) return s;
    const opts = parseScanOptions(argv, 3);
    if (opts instanceof ErrorReply) return opts;
    let next = 0;
    let members: string[];
    const all = s.size <= INTSET_ENTRIES && parseInt64Fast(s.values().next().value!) !== null ? Array.from(s) : null;
    if (all !== null && sortIfIntset(all)) {
      // An intset in Redis: returned whole, ascending, whatever the cursor and COUNT.
      members = all;
    } else {
      const r = ctx.server.cursors.scan(s, cursor, opts.count);
      next = r.cursor;
      members = r.keys;
    }
    const pattern = opts.pattern;
    if (pattern !== null) members = members.filter((m) => globMatch(pattern, m));
    return [String(next), members];
  },
);

export const setCommands: CommandSpec[] = [
  sadd,
  srem,
  smembers,
  sismember,
  smismember,
  scard,
  smove,
  spop,
  srandmember,
  sinter,
  sintercard,
  sinterstore,
  sunion,
  sunionstore,
  sdiff,
  sdiffstore,
  sscan,
];
