import { DoubleReply, ErrorReply, NULL_ARRAY, type Reply } from '../resp/reply.js';
import {
  LISTPACK_ENTRIES,
  LISTPACK_VALUE,
  type LexBound,
  type LexRange,
  type ScoreRange,
  SortedSet,
  type ZNode,
  lexGteMin,
  lexLteMax,
  memberOf,
  nextOf,
  prevOf,
  scoreGteMin,
  scoreLteMax,
  scoreOf,
} from '../store/sorted-set.js';
import { globMatch } from '../store/glob.js';
import type { Value } from '../store/value.js';
import { formatDouble17g, is, parseFloat64, parseFloatLenient, parseInt64, parseSafeInt } from './args.js';
import { command, type CommandMeta } from './define.js';
import { MIN_MAX_NOT_FLOAT, MIN_MAX_NOT_STRING_RANGE, NOT_FLOAT, NOT_INTEGER, NOT_POSITIVE, SYNTAX, WRONGTYPE } from './errors.js';
import { scanCursorArg } from './keys.js';
import { parseTimeout } from './lists.js';
import { lookupRead, lookupWrite } from './lookup.js';
import { Block, type CommandContext, type CommandFlag, type CommandSpec } from './types.js';

/**
 * Sorted-set commands with Redis 7.0's semantics (t_zset.c): replies, error strings and
 * the order in which arguments are checked.
 */

const NAN_SCORE = new ErrorReply('ERR resulting score is not a number (NaN)');
const XX_NX = new ErrorReply('ERR XX and NX options at the same time are not compatible');
const GT_LT_NX = new ErrorReply('ERR GT, LT, and/or NX options at the same time are not compatible');
const INCR_PAIR = new ErrorReply('ERR INCR option supports a single increment-element pair');
const LIMIT_RANK = new ErrorReply('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
const WITHSCORES_LEX = new ErrorReply('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
const WEIGHT_NOT_FLOAT = new ErrorReply('ERR weight value is not a float');
const LIMIT_NEGATIVE = new ErrorReply("ERR LIMIT can't be negative");
const NUMKEYS = new ErrorReply('ERR numkeys should be greater than 0');
const COUNT_POSITIVE = new ErrorReply('ERR count should be greater than 0');
const OUT_OF_RANGE = new ErrorReply('ERR value is out of range');
const RANDMEMBER_RANGE = new ErrorReply('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
const INVALID_CURSOR = new ErrorReply('ERR invalid cursor');
const EMPTY_SCAN: Reply = ['0', []];

const meta = (summary: string, since: string, complexity: string, syntax: string, keys?: (argv: string[]) => number[]): CommandMeta => ({
  group: 'sorted-set',
  summary,
  since,
  complexity,
  syntax,
  keys,
});

/** The sorted set at `key` for reading: undefined if missing, WRONGTYPE if another type. */
function readZset(ctx: CommandContext, key: string): SortedSet | undefined | ErrorReply {
  const v = lookupRead(ctx, key);
  if (v === undefined || v instanceof SortedSet) return v;
  return WRONGTYPE;
}

function writeZset(ctx: CommandContext, key: string): SortedSet | undefined | ErrorReply {
  const v = lookupWrite(ctx, key);
  if (v === undefined || v instanceof SortedSet) return v;
  return WRONGTYPE;
}

/** Scores print as %.17g (Redis 7.0's addReplyDouble). */
const fmt = formatDouble17g;

/** addReplyDouble: a bulk string in RESP2, a double in RESP3. */
function scoreReply(ctx: CommandContext, score: number): Reply {
  const text = fmt(score);
  return ctx.client.proto === 3 ? new DoubleReply(score, text) : text;
}

/**
 * Append a result element. WITHSCORES is flat [m, s, ...] in RESP2 and [[m, s], ...] in
 * RESP3, as Redis 7.0 replies.
 */
function pushScored(out: Reply[], member: string, score: number, withscores: boolean, resp3: boolean): void {
  if (!withscores) out.push(member);
  else if (resp3) out.push([member, new DoubleReply(score, fmt(score))]);
  else out.push(member, fmt(score));
}

/** getLongFromObjectOrReply: int64, clamped to safe integers (callers only compare). */
function longArg(text: string): number | null {
  return parseSafeInt(text);
}

/** A zset for a computed result: built as a skiplist, so -0 survives until it is stored. */
function resultZset(): SortedSet {
  const z = new SortedSet();
  z.listpack = false;
  return z;
}

/** Replace `key`'s value with `z`, or delete `key` when `z` is empty (Redis's store paths). */
function storeResult(ctx: CommandContext, key: string, z: SortedSet): number {
  if (z.size > 0) {
    z.settleEncoding();
    ctx.db.set(key, z);
    ctx.dirty();
    return z.size;
  }
  if (ctx.db.delete(key)) ctx.dirty();
  return 0;
}

// ---------------------------------------------------------------------------------------
// ZADD, ZINCRBY

function zaddGeneric(ctx: CommandContext, argv: string[], incrCommand: boolean): Reply {
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = incrCommand;
  let i = 2;
  if (!incrCommand) {
    for (; i < argv.length; i++) {
      const a = argv[i];
      // Flags are letters; scores almost never are (except inf), so most calls exit at once.
      const c = a.charCodeAt(0) | 0x20;
      if (c < 0x61 || c > 0x7a) break;
      if (is(a, 'nx')) nx = true;
      else if (is(a, 'xx')) xx = true;
      else if (is(a, 'ch')) ch = true;
      else if (is(a, 'incr')) incr = true;
      else if (is(a, 'gt')) gt = true;
      else if (is(a, 'lt')) lt = true;
      else break;
    }
  }
  const scoreIdx = i;
  const elements = argv.length - scoreIdx;
  if (elements % 2 !== 0 || elements === 0) return SYNTAX;
  const pairs = elements / 2;
  if (nx && xx) return XX_NX;
  if ((gt && nx) || (lt && nx) || (gt && lt)) return GT_LT_NX;
  if (incr && pairs > 1) return INCR_PAIR;

  // Every score is checked before anything changes: the command applies fully or not at all.
  let single = 0;
  let scores: number[] | null = null;
  if (pairs === 1) {
    const s = parseFloat64(argv[scoreIdx]);
    if (s === null) return NOT_FLOAT;
    single = s;
  } else {
    scores = new Array<number>(pairs);
    for (let j = 0; j < pairs; j++) {
      const s = parseFloat64(argv[scoreIdx + j * 2]);
      if (s === null) return NOT_FLOAT;
      scores[j] = s;
    }
  }

  const key = argv[1];
  let z = writeZset(ctx, key);
  if (z instanceof ErrorReply) return z;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let newScore = 0;
  if (z === undefined) {
    if (xx) return incr ? null : 0;
    z = new SortedSet();
    // zsetTypeCreate: the encoding is chosen from the whole command's elements.
    let maxlen = 0;
    for (let j = scoreIdx + 1; j < argv.length; j += 2) if (argv[j].length > maxlen) maxlen = argv[j].length;
    z.listpack = pairs <= LISTPACK_ENTRIES && maxlen <= LISTPACK_VALUE;
    ctx.db.add(key, z);
  }
  for (let j = 0; j < pairs; j++) {
    const member = argv[scoreIdx + 1 + j * 2];
    let score = scores === null ? single : scores[j];
    const cur = z.score(member);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        score += cur;
        if (Number.isNaN(score)) return NAN_SCORE;
      }
      if ((lt && score >= cur) || (gt && score <= cur)) continue;
      processed++;
      newScore = score;
      if (score !== cur) {
        z.changeScore(member, cur, score);
        updated++;
      }
    } else if (!xx) {
      z.insertNew(member, score);
      added++;
      processed++;
      newScore = score;
    }
  }
  if (added + updated > 0) {
    ctx.db.signalModified(key);
    ctx.dirty(added + updated);
  }
  if (incr) return processed ? scoreReply(ctx, newScore) : null;
  return ch ? added + updated : added;
}

const zadd = command(
  'zadd',
  -4,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta(
    'Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn\'t exist.',
    '1.2.0',
    'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    'key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]',
  ),
  (ctx, argv) => zaddGeneric(ctx, argv, false),
);

const zincrby = command(
  'zincrby',
  4,
  ['write', 'denyoom', 'fast'],
  [1, 1, 1],
  meta('Increments the score of a member in a sorted set.', '1.2.0', 'O(log(N)) where N is the number of elements in the sorted set.', 'key increment member'),
  (ctx, argv) => zaddGeneric(ctx, argv, true),
);

// ---------------------------------------------------------------------------------------
// Single-member reads and ZREM

const zrem = command(
  'zrem',
  -3,
  ['write', 'fast'],
  [1, 1, 1],
  meta(
    'Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.',
    '1.2.0',
    'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.',
    'key member [member ...]',
  ),
  (ctx, argv) => {
    const key = argv[1];
    const z = writeZset(ctx, key);
    if (z === undefined) return 0;
    if (z instanceof ErrorReply) return z;
    let deleted = 0;
    for (let j = 2; j < argv.length; j++) {
      if (z.delete(argv[j])) deleted++;
      if (z.size === 0) {
        ctx.db.delete(key);
        break;
      }
    }
    if (deleted) {
      ctx.db.signalModified(key);
      ctx.dirty(deleted);
    }
    return deleted;
  },
);

const zcard = command(
  'zcard',
  2,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Returns the number of members in a sorted set.', '1.2.0', 'O(1)', 'key'),
  (ctx, argv) => {
    const z = readZset(ctx, argv[1]);
    if (z === undefined) return 0;
    if (z instanceof ErrorReply) return z;
    return z.size;
  },
);

const zscore = command(
  'zscore',
  3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Returns the score of a member in a sorted set.', '1.2.0', 'O(1)', 'key member'),
  (ctx, argv) => {
    const z = readZset(ctx, argv[1]);
    if (z === undefined) return null;
    if (z instanceof ErrorReply) return z;
    const s = z.score(argv[2]);
    return s === undefined ? null : scoreReply(ctx, s);
  },
);

const zmscore = command(
  'zmscore',
  -3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Returns the score of one or more members in a sorted set.', '6.2.0', 'O(N) where N is the number of members being requested.', 'key member [member ...]'),
  (ctx, argv) => {
    const z = readZset(ctx, argv[1]);
    if (z instanceof ErrorReply) return z;
    const out: Reply[] = new Array<Reply>(argv.length - 2);
    for (let j = 2; j < argv.length; j++) {
      const s = z === undefined ? undefined : z.score(argv[j]);
      out[j - 2] = s === undefined ? null : scoreReply(ctx, s);
    }
    return out;
  },
);

function rankCommand(reverse: boolean) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    const z = readZset(ctx, argv[1]);
    if (z === undefined) return null;
    if (z instanceof ErrorReply) return z;
    const r = z.rank(argv[2]);
    if (r < 0) return null;
    return reverse ? z.size - 1 - r : r;
  };
}

const zrank = command(
  'zrank',
  3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Returns the index of a member in a sorted set ordered by ascending scores.', '2.0.0', 'O(log(N))', 'key member'),
  rankCommand(false),
);

const zrevrank = command(
  'zrevrank',
  3,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Returns the index of a member in a sorted set ordered by descending scores.', '2.0.0', 'O(log(N))', 'key member'),
  rankCommand(true),
);

// ---------------------------------------------------------------------------------------
// Ranges

/** zslParseRange: `(` makes a bound exclusive; the number is read by a lenient strtod. */
function parseScoreRange(minText: string, maxText: string): ScoreRange | null {
  const minex = minText.charCodeAt(0) === 40;
  const min = parseFloatLenient(minText, minex ? 1 : 0);
  if (min === null) return null;
  const maxex = maxText.charCodeAt(0) === 40;
  const max = parseFloatLenient(maxText, maxex ? 1 : 0);
  if (max === null) return null;
  return { min, max, minex, maxex };
}

const LEX_MIN: LexBound = { value: '', inf: -1, ex: true };
const LEX_MAX: LexBound = { value: '', inf: 1, ex: true };

/** zslParseLexRangeItem; "+"/"-" are read as C strings, so "+\0..." is still "+". */
function parseLexBound(s: string): LexBound | null {
  const c = s.charCodeAt(0);
  if (c === 43 || c === 45) {
    if (s.length !== 1 && s.charCodeAt(1) !== 0) return null;
    return c === 43 ? LEX_MAX : LEX_MIN;
  }
  if (c === 40) return { value: s.slice(1), inf: 0, ex: true };
  if (c === 91) return { value: s.slice(1), inf: 0, ex: false };
  return null;
}

function parseLexRange(minText: string, maxText: string): LexRange | null {
  const min = parseLexBound(minText);
  if (min === null) return null;
  const max = parseLexBound(maxText);
  if (max === null) return null;
  return { min, max };
}

type RangeKind = 'rank' | 'score' | 'lex';

/** A parsed range request, as zrangeGenericCommand holds it. */
interface RangeSpec {
  kind: RangeKind;
  reverse: boolean;
  start: number;
  end: number;
  score: ScoreRange | null;
  lex: LexRange | null;
  offset: number;
  /** Negative: no limit. */
  limit: number;
}

/** Visit the elements a range request selects, in reply order. */
function visitRange(z: SortedSet, r: RangeSpec, visit: (n: ZNode) => void): void {
  const llen = z.size;
  if (r.kind === 'rank') {
    let start = r.start;
    let end = r.end;
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return;
    if (end >= llen) end = llen - 1;
    let n = end - start + 1;
    let x = r.reverse ? z.at(llen - 1 - start) : z.at(start);
    while (x !== null && n-- > 0) {
      visit(x);
      x = r.reverse ? prevOf(x) : nextOf(x);
    }
    return;
  }
  // A negative offset walks off the end in Redis: nothing is returned.
  if (r.offset < 0 || (r.offset > 0 && r.offset >= llen)) return;
  let x: ZNode | null;
  if (r.kind === 'score') x = r.reverse ? z.lastInScoreRange(r.score!) : z.firstInScoreRange(r.score!);
  else x = r.reverse ? z.lastInLexRange(r.lex!) : z.firstInLexRange(r.lex!);
  for (let off = r.offset; x !== null && off > 0; off--) x = r.reverse ? prevOf(x) : nextOf(x);
  let limit = r.limit;
  while (x !== null && limit-- !== 0) {
    if (r.kind === 'score') {
      if (r.reverse ? !scoreGteMin(scoreOf(x), r.score!) : !scoreLteMax(scoreOf(x), r.score!)) break;
    } else if (r.reverse ? !lexGteMin(memberOf(x), r.lex!) : !lexLteMax(memberOf(x), r.lex!)) break;
    visit(x);
    x = r.reverse ? prevOf(x) : nextOf(x);
  }
}

/**
 * zrangeGenericCommand: ZRANGE and its older forms, and ZRANGESTORE (`dst` set). `srcIdx`
 * is the index of the source key; `kind`/`reverse` are fixed by the older forms.
 */
function zrangeGeneric(ctx: CommandContext, argv: string[], srcIdx: number, dst: string | null, fixedKind: RangeKind | null, fixedReverse: boolean | null): Reply {
  let kind = fixedKind;
  let reverse = fixedReverse;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = srcIdx + 3; j < argv.length; j++) {
    const a = argv[j];
    const left = argv.length - j - 1;
    if (dst === null && is(a, 'withscores')) withscores = true;
    else if (left >= 2 && is(a, 'limit')) {
      const o = longArg(argv[j + 1]);
      if (o === null) return NOT_INTEGER;
      const l = longArg(argv[j + 2]);
      if (l === null) return NOT_INTEGER;
      offset = o;
      limit = l;
      j += 2;
    } else if (fixedReverse === null && is(a, 'rev')) reverse = true;
    else if (fixedKind === null && is(a, 'bylex')) kind = 'lex';
    else if (fixedKind === null && is(a, 'byscore')) kind = 'score';
    else return SYNTAX;
  }
  kind ??= 'rank';
  reverse ??= false;
  // Redis tests `limit != -1`, so an explicit "LIMIT x -1" passes with a rank range.
  if (limit !== -1 && kind === 'rank') return LIMIT_RANK;
  if (withscores && kind === 'lex') return WITHSCORES_LEX;
  let minText = argv[srcIdx + 1];
  let maxText = argv[srcIdx + 2];
  if (reverse && kind !== 'rank') [minText, maxText] = [maxText, minText];
  const spec: RangeSpec = { kind, reverse, start: 0, end: 0, score: null, lex: null, offset, limit };
  if (kind === 'rank') {
    const s = longArg(minText);
    const e = s === null ? null : longArg(maxText);
    if (s === null || e === null) return NOT_INTEGER;
    spec.start = s;
    spec.end = e;
  } else if (kind === 'score') {
    spec.score = parseScoreRange(minText, maxText);
    if (spec.score === null) return MIN_MAX_NOT_FLOAT;
  } else {
    spec.lex = parseLexRange(minText, maxText);
    if (spec.lex === null) return MIN_MAX_NOT_STRING_RANGE;
  }

  const z = readZset(ctx, argv[srcIdx]);
  if (z instanceof ErrorReply) return z;
  if (dst !== null) {
    const out = resultZset();
    if (z !== undefined) visitRange(z, spec, (n) => out.insertNew(memberOf(n), scoreOf(n)));
    return storeResult(ctx, dst, out);
  }
  if (z === undefined) return [];
  const out: Reply[] = [];
  const resp3 = ctx.client.proto === 3;
  visitRange(z, spec, (n) => pushScored(out, memberOf(n), scoreOf(n), withscores, resp3));
  return out;
}

const rangeFlags: CommandFlag[] = ['readonly'];

const zrange = command(
  'zrange',
  -4,
  rangeFlags,
  [1, 1, 1],
  meta(
    'Returns members in a sorted set within a range of indexes.',
    '1.2.0',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    'key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]',
  ),
  (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, null, null),
);

const zrangestore = command(
  'zrangestore',
  -5,
  ['write', 'denyoom'],
  [1, 2, 1],
  meta(
    'Stores a range of members from sorted set in a key.',
    '6.2.0',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.',
    'dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]',
  ),
  (ctx, argv) => zrangeGeneric(ctx, argv, 2, argv[1], null, null),
);

const zrevrange = command(
  'zrevrange',
  -4,
  rangeFlags,
  [1, 1, 1],
  meta(
    'Returns members in a sorted set within a range of indexes in reverse order.',
    '1.2.0',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    'key start stop [WITHSCORES]',
  ),
  (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'rank', true),
);

const zrangebyscore = command(
  'zrangebyscore',
  -4,
  rangeFlags,
  [1, 1, 1],
  meta(
    'Returns members in a sorted set within a range of scores.',
    '1.0.5',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.',
    'key min max [WITHSCORES] [LIMIT offset count]',
  ),
  (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'score', false),
);

const zrevrangebyscore = command(
  'zrevrangebyscore',
  -4,
  rangeFlags,
  [1, 1, 1],
  meta(
    'Returns members in a sorted set within a range of scores in reverse order.',
    '2.2.0',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.',
    'key max min [WITHSCORES] [LIMIT offset count]',
  ),
  (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'score', true),
);

const zrangebylex = command(
  'zrangebylex',
  -4,
  rangeFlags,
  [1, 1, 1],
  meta(
    'Returns members in a sorted set within a lexicographical range.',
    '2.8.9',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.',
    'key min max [LIMIT offset count]',
  ),
  (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'lex', false),
);

const zrevrangebylex = command(
  'zrevrangebylex',
  -4,
  rangeFlags,
  [1, 1, 1],
  meta(
    'Returns members in a sorted set within a lexicographical range in reverse order.',
    '2.8.9',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.',
    'key max min [LIMIT offset count]',
  ),
  (ctx, argv) => zrangeGeneric(ctx, argv, 1, null, 'lex', true),
);

const zcount = command(
  'zcount',
  4,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta('Returns the count of members in a sorted set that have scores within a range.', '2.0.0', 'O(log(N)) with N being the number of elements in the sorted set.', 'key min max'),
  (ctx, argv) => {
    const r = parseScoreRange(argv[2], argv[3]);
    if (r === null) return MIN_MAX_NOT_FLOAT;
    const z = readZset(ctx, argv[1]);
    if (z === undefined) return 0;
    if (z instanceof ErrorReply) return z;
    return z.countInScoreRange(r);
  },
);

const zlexcount = command(
  'zlexcount',
  4,
  ['readonly', 'fast'],
  [1, 1, 1],
  meta(
    'Returns the number of members in a sorted set within a lexicographical range.',
    '2.8.9',
    'O(log(N)) with N being the number of elements in the sorted set.',
    'key min max',
  ),
  (ctx, argv) => {
    const r = parseLexRange(argv[2], argv[3]);
    if (r === null) return MIN_MAX_NOT_STRING_RANGE;
    const z = readZset(ctx, argv[1]);
    if (z === undefined) return 0;
    if (z instanceof ErrorReply) return z;
    return z.countInLexRange(r);
  },
);

/** zremrangeGenericCommand. */
function zremrange(kind: RangeKind) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    const key = argv[1];
    let start = 0;
    let end = 0;
    let score: ScoreRange | null = null;
    let lex: LexRange | null = null;
    if (kind === 'rank') {
      const s = longArg(argv[2]);
      const e = s === null ? null : longArg(argv[3]);
      if (s === null || e === null) return NOT_INTEGER;
      start = s;
      end = e;
    } else if (kind === 'score') {
      score = parseScoreRange(argv[2], argv[3]);
      if (score === null) return MIN_MAX_NOT_FLOAT;
    } else {
      lex = parseLexRange(argv[2], argv[3]);
      if (lex === null) return MIN_MAX_NOT_STRING_RANGE;
    }
    const z = writeZset(ctx, key);
    if (z === undefined) return 0;
    if (z instanceof ErrorReply) return z;
    let deleted: number;
    if (kind === 'rank') {
      const llen = z.size;
      if (start < 0) start = llen + start;
      if (end < 0) end = llen + end;
      if (start < 0) start = 0;
      if (start > end || start >= llen) return 0;
      if (end >= llen) end = llen - 1;
      deleted = z.deleteRangeByRank(start, end);
    } else if (kind === 'score') {
      deleted = z.deleteRangeByScore(score!);
    } else {
      deleted = z.deleteRangeByLex(lex!);
    }
    if (deleted) {
      if (z.size === 0) ctx.db.delete(key);
      else ctx.db.signalModified(key);
      ctx.dirty(deleted);
    }
    return deleted;
  };
}

const zremrangebyrank = command(
  'zremrangebyrank',
  4,
  ['write'],
  [1, 1, 1],
  meta(
    'Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.',
    '2.0.0',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    'key start stop',
  ),
  zremrange('rank'),
);

const zremrangebyscore = command(
  'zremrangebyscore',
  4,
  ['write'],
  [1, 1, 1],
  meta(
    'Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.',
    '1.2.0',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    'key min max',
  ),
  zremrange('score'),
);

const zremrangebylex = command(
  'zremrangebylex',
  4,
  ['write'],
  [1, 1, 1],
  meta(
    'Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.',
    '2.8.9',
    'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    'key min max',
  ),
  zremrange('lex'),
);

// ---------------------------------------------------------------------------------------
// Pops

/**
 * Pop up to `count` elements (-1: one, unnested) from the first existing key of `keys`,
 * as genericZpopCommand. `emitKey` prefixes the key (BZPOP*, ZMPOP); `nested` replies
 * [member, score] pairs. On a pop, `popped` receives the key.
 */
function zpop(
  ctx: CommandContext,
  keys: string[],
  max: boolean,
  emitKey: boolean,
  count: number,
  nested: boolean,
  nilWhenEmpty: boolean,
  popped: { key: string | null },
): Reply {
  let key: string | null = null;
  let z: SortedSet | undefined;
  for (const k of keys) {
    const v = lookupWrite(ctx, k);
    if (v === undefined) continue;
    if (!(v instanceof SortedSet)) return WRONGTYPE;
    key = k;
    z = v;
    break;
  }
  if (z === undefined || key === null) return nilWhenEmpty ? NULL_ARRAY : [];
  if (count === 0) return [];
  const n = Math.min(count === -1 ? 1 : count, z.size);
  const items: Reply[] = [];
  for (let i = 0; i < n; i++) {
    const node = max ? z.last! : z.first!;
    const member = memberOf(node);
    const score = scoreOf(node);
    z.delete(member);
    const sr = scoreReply(ctx, score);
    if (nested) items.push([member, sr]);
    else items.push(member, sr);
  }
  if (z.size === 0) ctx.db.delete(key);
  else ctx.db.signalModified(key);
  ctx.dirty(n);
  popped.key = key;
  if (!emitKey) return items;
  if (nested) return [key, items];
  items.unshift(key);
  return items;
}

/** getPositiveLongFromObjectOrReply with the default message. */
function positiveLong(text: string): number | ErrorReply {
  const v = parseInt64(text);
  if (v === null) return NOT_POSITIVE;
  if (typeof v === 'bigint') return v < 0n ? NOT_POSITIVE : Number.MAX_SAFE_INTEGER;
  return v < 0 ? NOT_POSITIVE : v;
}

function zpopCommand(max: boolean) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    if (argv.length > 3) return SYNTAX;
    let count = -1;
    if (argv.length === 3) {
      const c = positiveLong(argv[2]);
      if (c instanceof ErrorReply) return c;
      count = c;
    }
    // RESP3 nests pairs only when a count was given.
    const nested = ctx.client.proto === 3 && count !== -1;
    return zpop(ctx, [argv[1]], max, false, count, nested, false, { key: null });
  };
}

const zpopmin = command(
  'zpopmin',
  -2,
  ['write', 'fast'],
  [1, 1, 1],
  meta(
    'Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.',
    '5.0.0',
    'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    'key [count]',
  ),
  zpopCommand(false),
);

const zpopmax = command(
  'zpopmax',
  -2,
  ['write', 'fast'],
  [1, 1, 1],
  meta(
    'Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.',
    '5.0.0',
    'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    'key [count]',
  ),
  zpopCommand(true),
);

/**
 * blockingGenericZpopCommand. When re-run for a blocked client (its keys changed), a key
 * that now holds another type is skipped, as Redis 7.0 only serves zset keys.
 */
function bzpopGeneric(ctx: CommandContext, keys: string[], timeoutText: string, max: boolean, count: number, nested: boolean): Reply | Block {
  const ms = parseTimeout(timeoutText);
  if (ms instanceof ErrorReply) return ms;
  const rerun = ctx.client.blocked !== null;
  for (const key of keys) {
    const v = lookupWrite(ctx, key);
    if (v === undefined) continue;
    if (!(v instanceof SortedSet)) {
      if (rerun) continue;
      return WRONGTYPE;
    }
    const popped = { key: null as string | null };
    const reply = zpop(ctx, [key], max, true, count, nested, true, popped);
    const name = max ? 'ZPOPMAX' : 'ZPOPMIN';
    ctx.propagate(count === -1 ? [name, key] : [name, key, String(count)]);
    return reply;
  }
  if (ctx.noBlock) return NULL_ARRAY;
  const deadline = ms === 0 ? 0 : ctx.now + ms;
  return new Block(keys, Number.isSafeInteger(deadline) ? deadline : 0, NULL_ARRAY);
}

function bzpopCommand(max: boolean) {
  return (ctx: CommandContext, argv: string[]): Reply | Block => bzpopGeneric(ctx, argv.slice(1, -1), argv[argv.length - 1], max, -1, false);
}

const bzpopmin = command(
  'bzpopmin',
  -3,
  ['write', 'noscript', 'blocking', 'fast'],
  [1, -2, 1],
  meta(
    'Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.',
    '5.0.0',
    'O(log(N)) with N being the number of elements in the sorted set.',
    'key [key ...] timeout',
  ),
  bzpopCommand(false),
);

const bzpopmax = command(
  'bzpopmax',
  -3,
  ['write', 'noscript', 'blocking', 'fast'],
  [1, -2, 1],
  meta(
    'Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.',
    '5.0.0',
    'O(log(N)) with N being the number of elements in the sorted set.',
    'key [key ...] timeout',
  ),
  bzpopCommand(true),
);

/** numkeys of ZMPOP-style commands: 1..LONG_MAX or the given error. */
function numkeysArg(text: string, err: ErrorReply): number | ErrorReply {
  const v = parseInt64(text);
  if (v === null) return err;
  if (typeof v === 'bigint') return v < 0n ? err : Number.MAX_SAFE_INTEGER;
  return v < 1 ? err : v;
}

/** Key indexes of a command whose numkeys is at `at`, keys following it. */
function keysAfterNumkeys(at: number, fixed: number[] = []) {
  return (argv: string[]): number[] => {
    const out = fixed.slice();
    const n = parseSafeInt(argv[at] ?? '');
    if (n === null || n < 1) return out;
    for (let i = at + 1; i <= at + n && i < argv.length; i++) out.push(i);
    return out;
  };
}

/** zmpopGenericCommand: numkeys at `numkeysIdx`; BZMPOP has the timeout at 1. */
function zmpopGeneric(ctx: CommandContext, argv: string[], numkeysIdx: number, blocking: boolean): Reply | Block {
  const numkeys = numkeysArg(argv[numkeysIdx], NUMKEYS);
  if (numkeys instanceof ErrorReply) return numkeys;
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) return SYNTAX;
  let max: boolean;
  if (is(argv[whereIdx], 'min')) max = false;
  else if (is(argv[whereIdx], 'max')) max = true;
  else return SYNTAX;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && j + 1 < argv.length && is(argv[j], 'count')) {
      const c = numkeysArg(argv[++j], COUNT_POSITIVE);
      if (c instanceof ErrorReply) return c;
      count = c;
    } else return SYNTAX;
  }
  if (count === -1) count = 1;
  const keys = argv.slice(numkeysIdx + 1, whereIdx);
  if (blocking) return bzpopGeneric(ctx, keys, argv[1], max, count, true);
  const popped = { key: null as string | null };
  const reply = zpop(ctx, keys, max, true, count, true, true, popped);
  // Replicated as ZPOPMIN/ZPOPMAX with the requested count, as Redis does.
  if (popped.key !== null) ctx.propagate([max ? 'ZPOPMAX' : 'ZPOPMIN', popped.key, String(count)]);
  return reply;
}

const zmpop = command(
  'zmpop',
  -4,
  ['write', 'movablekeys'],
  [0, 0, 0],
  meta(
    'Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.',
    '7.0.0',
    'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
    'numkeys key [key ...] MIN | MAX [COUNT count]',
    keysAfterNumkeys(1),
  ),
  (ctx, argv) => zmpopGeneric(ctx, argv, 1, false),
);

const bzmpop = command(
  'bzmpop',
  -5,
  ['write', 'blocking', 'movablekeys'],
  [0, 0, 0],
  meta(
    'Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.',
    '7.0.0',
    'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
    'timeout numkeys key [key ...] MIN | MAX [COUNT count]',
    keysAfterNumkeys(2),
  ),
  (ctx, argv) => zmpopGeneric(ctx, argv, 2, true),
);

// ---------------------------------------------------------------------------------------
// Set operations

/** An input of ZUNION & co.: a zset, a set (every score 1) or a missing key. */
interface OpSource {
  size: number;
  weight: number;
  zset: SortedSet | null;
  set: Set<string> | null;
}

function sourceScore(src: OpSource, member: string): number | undefined {
  if (src.zset !== null) return src.zset.score(member);
  if (src.set !== null) return src.set.has(member) ? 1 : undefined;
  return undefined;
}

function forEachInSource(src: OpSource, f: (member: string, score: number) => boolean | void): void {
  if (src.zset !== null) {
    for (const [m, s] of src.zset.members) if (f(m, s) === false) return;
  } else if (src.set !== null) {
    for (const m of src.set) if (f(m, 1) === false) return;
  }
}

type Aggregate = 'sum' | 'min' | 'max';

/** zunionInterAggregate; a SUM of inf and -inf is 0, not NaN. */
function aggregate(target: number, val: number, how: Aggregate): number {
  if (how === 'sum') {
    const s = target + val;
    return Number.isNaN(s) ? 0 : s;
  }
  if (how === 'min') return val < target ? val : target;
  return val > target ? val : target;
}

/** zunionInterDiffGenericCommand. `dst` is null for the reply forms. */
function zsetOp(ctx: CommandContext, argv: string[], dst: string | null, numkeysIdx: number, op: 'union' | 'inter' | 'diff', cardOnly: boolean, name: string): Reply {
  const nk = parseInt64(argv[numkeysIdx]);
  if (nk === null) return NOT_INTEGER;
  if (nk < 1) return new ErrorReply(`ERR at least 1 input key is needed for '${name}' command`);
  if (nk > argv.length - (numkeysIdx + 1)) return SYNTAX;
  const setnum = Number(nk);
  const srcs: OpSource[] = new Array<OpSource>(setnum);
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v: Value | undefined = lookupRead(ctx, argv[j]);
    const src: OpSource = { size: 0, weight: 1, zset: null, set: null };
    if (v !== undefined) {
      if (v instanceof SortedSet) {
        src.zset = v;
        src.size = v.size;
      } else if (v instanceof Set) {
        src.set = v;
        src.size = v.size;
      } else return WRONGTYPE;
    }
    srcs[i] = src;
  }
  let how: Aggregate = 'sum';
  let withscores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const a = argv[j];
    if (op !== 'diff' && !cardOnly && remaining >= setnum + 1 && is(a, 'weights')) {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = parseFloat64(argv[j]);
        if (w === null) return WEIGHT_NOT_FLOAT;
        srcs[i].weight = w;
      }
    } else if (op !== 'diff' && !cardOnly && remaining >= 2 && is(a, 'aggregate')) {
      const g = argv[j + 1];
      if (is(g, 'sum')) how = 'sum';
      else if (is(g, 'min')) how = 'min';
      else if (is(g, 'max')) how = 'max';
      else return SYNTAX;
      j += 2;
    } else if (dst === null && !cardOnly && is(a, 'withscores')) {
      withscores = true;
      j++;
    } else if (cardOnly && remaining >= 2 && is(a, 'limit')) {
      const l = parseInt64(argv[j + 1]);
      if (l === null || l < 0) return LIMIT_NEGATIVE;
      limit = typeof l === 'bigint' ? Number.MAX_SAFE_INTEGER : l;
      j += 2;
    } else return SYNTAX;
  }
  // Smallest inputs first, as Redis orders them (stable, like glibc's merge sort): this
  // fixes the order in which float scores are summed.
  if (op !== 'diff') srcs.sort((x, y) => x.size - y.size);

  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === 'inter') {
    const first = srcs[0];
    if (first.size > 0) {
      forEachInSource(first, (m, s0) => {
        let score = first.weight * s0;
        if (Number.isNaN(score)) score = 0;
        let k = 1;
        for (; k < setnum; k++) {
          const v = sourceScore(srcs[k], m);
          if (v === undefined) break;
          score = aggregate(score, v * srcs[k].weight, how);
        }
        if (k !== setnum) return true;
        if (cardOnly) {
          cardinality++;
          if (limit && cardinality >= limit) return false;
        } else result.set(m, score);
        return true;
      });
    }
  } else if (op === 'union') {
    for (const src of srcs) {
      if (src.size === 0) continue;
      forEachInSource(src, (m, s) => {
        let score = src.weight * s;
        if (Number.isNaN(score)) score = 0;
        const cur = result.get(m);
        result.set(m, cur === undefined ? score : aggregate(cur, score, how));
      });
    }
  } else {
    const first = srcs[0];
    if (first.size > 0) {
      forEachInSource(first, (m, s) => {
        for (let k = 1; k < setnum; k++) if (sourceScore(srcs[k], m) !== undefined) return;
        result.set(m, s);
      });
    }
  }

  if (cardOnly) return cardinality;
  const z = resultZset();
  for (const [m, s] of result) z.insertNew(m, s);
  if (dst !== null) return storeResult(ctx, dst, z);
  const out: Reply[] = [];
  const resp3 = ctx.client.proto === 3;
  for (let x = z.first; x !== null; x = nextOf(x)) pushScored(out, memberOf(x), scoreOf(x), withscores, resp3);
  return out;
}

const storeKeys = keysAfterNumkeys(2, [1]);
const readKeys = keysAfterNumkeys(1);
const opComplexity = 'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.';

const zunionstore = command(
  'zunionstore',
  -4,
  ['write', 'denyoom', 'movablekeys'],
  [1, 1, 1],
  meta('Stores the union of multiple sorted sets in a key.', '2.0.0', opComplexity, 'destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]', storeKeys),
  (ctx, argv) => zsetOp(ctx, argv, argv[1], 2, 'union', false, 'zunionstore'),
);

const zinterstore = command(
  'zinterstore',
  -4,
  ['write', 'denyoom', 'movablekeys'],
  [1, 1, 1],
  meta(
    'Stores the intersect of multiple sorted sets in a key.',
    '2.0.0',
    'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    'destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]',
    storeKeys,
  ),
  (ctx, argv) => zsetOp(ctx, argv, argv[1], 2, 'inter', false, 'zinterstore'),
);

const zdiffstore = command(
  'zdiffstore',
  -4,
  ['write', 'denyoom', 'movablekeys'],
  [1, 1, 1],
  meta(
    'Stores the difference of multiple sorted sets in a key.',
    '6.2.0',
    'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    'destination numkeys key [key ...]',
    storeKeys,
  ),
  (ctx, argv) => zsetOp(ctx, argv, argv[1], 2, 'diff', false, 'zdiffstore'),
);

const zunion = command(
  'zunion',
  -3,
  ['readonly', 'movablekeys'],
  [0, 0, 0],
  meta('Returns the union of multiple sorted sets.', '6.2.0', opComplexity, 'numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]', readKeys),
  (ctx, argv) => zsetOp(ctx, argv, null, 1, 'union', false, 'zunion'),
);

const zinter = command(
  'zinter',
  -3,
  ['readonly', 'movablekeys'],
  [0, 0, 0],
  meta(
    'Returns the intersect of multiple sorted sets.',
    '6.2.0',
    'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    'numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]',
    readKeys,
  ),
  (ctx, argv) => zsetOp(ctx, argv, null, 1, 'inter', false, 'zinter'),
);

const zdiff = command(
  'zdiff',
  -3,
  ['readonly', 'movablekeys'],
  [0, 0, 0],
  meta(
    'Returns the difference between multiple sorted sets.',
    '6.2.0',
    'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    'numkeys key [key ...] [WITHSCORES]',
    readKeys,
  ),
  (ctx, argv) => zsetOp(ctx, argv, null, 1, 'diff', false, 'zdiff'),
);

const zintercard = command(
  'zintercard',
  -3,
  ['readonly', 'movablekeys'],
  [0, 0, 0],
  meta(
    'Returns the number of members of the intersect of multiple sorted sets.',
    '7.0.0',
    'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.',
    'numkeys key [key ...] [LIMIT limit]',
    readKeys,
  ),
  (ctx, argv) => zsetOp(ctx, argv, null, 1, 'inter', true, 'zintercard'),
);

// ---------------------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN

const LONG_HALF = 4611686018427387903n;

function randomNode(z: SortedSet): ZNode {
  return z.at(Math.floor(Math.random() * z.size))!;
}

const zrandmember = command(
  'zrandmember',
  -2,
  ['readonly'],
  [1, 1, 1],
  meta(
    'Returns one or more random members from a sorted set.',
    '6.2.0',
    'O(N) where N is the number of members returned',
    'key [count [WITHSCORES]]',
  ),
  (ctx, argv) => {
    if (argv.length >= 3) {
      const l = parseInt64(argv[2]);
      if (l === null) return NOT_INTEGER;
      if (l === -9223372036854775808n) return RANDMEMBER_RANGE;
      if (argv.length > 4 || (argv.length === 4 && !is(argv[3], 'withscores'))) return SYNTAX;
      const withscores = argv.length === 4;
      if (withscores && (l < -LONG_HALF || l > LONG_HALF)) return OUT_OF_RANGE;
      const z = readZset(ctx, argv[1]);
      if (z === undefined) return [];
      if (z instanceof ErrorReply) return z;
      return randomWithCount(ctx, z, l, withscores);
    }
    const z = readZset(ctx, argv[1]);
    if (z === undefined) return null;
    if (z instanceof ErrorReply) return z;
    return memberOf(randomNode(z));
  },
);

function randomWithCount(ctx: CommandContext, z: SortedSet, l: number | bigint, withscores: boolean): Reply {
  const resp3 = ctx.client.proto === 3;
  const out: Reply[] = [];
  if (l === 0) return out;
  const size = z.size;
  // Negative: repeats allowed, random order.
  if (l < 0 || l === 1) {
    const count = l === 1 ? 1 : Number(-l);
    for (let i = 0; i < count; i++) {
      const n = randomNode(z);
      pushScored(out, memberOf(n), scoreOf(n), withscores, resp3);
    }
    return out;
  }
  const count = Number(l);
  // At least the whole set: all of it, highest first (Redis's zset iterator runs backward).
  if (count >= size) {
    for (let x = z.last; x !== null; x = prevOf(x)) pushScored(out, memberOf(x), scoreOf(x), withscores, resp3);
    return out;
  }
  // Distinct members: a partial Fisher-Yates over ranks.
  const ranks = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const pick = ranks.get(j) ?? j;
    ranks.set(j, ranks.get(i) ?? i);
    const n = z.at(pick)!;
    pushScored(out, memberOf(n), scoreOf(n), withscores, resp3);
  }
  return out;
}

const zscan = command(
  'zscan',
  -3,
  ['readonly'],
  [1, 1, 1],
  meta(
    'Iterates over members and scores of a sorted set.',
    '2.8.0',
    'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    'key cursor [MATCH pattern] [COUNT count]',
  ),
  (ctx, argv) => {
    const cursor = scanCursorArg(argv[2]);
    if (cursor === null) return INVALID_CURSOR;
    const z = readZset(ctx, argv[1]);
    if (z === undefined) return EMPTY_SCAN;
    if (z instanceof ErrorReply) return z;
    let count = 10;
    let pattern: string | null = null;
    for (let i = 3; i < argv.length; i += 2) {
      const left = argv.length - i;
      if (left >= 2 && is(argv[i], 'count')) {
        const c = parseInt64(argv[i + 1]);
        if (c === null) return NOT_INTEGER;
        if (c < 1) return SYNTAX;
        count = typeof c === 'bigint' ? Number.MAX_SAFE_INTEGER : c;
      } else if (left >= 2 && is(argv[i], 'match')) {
        const p = argv[i + 1];
        pattern = p.length === 1 && p === '*' ? null : p;
      } else return SYNTAX;
    }
    const items: Reply[] = [];
    if (z.listpack) {
      // Redis answers a listpack in one call, in order, whatever the cursor, with the
      // scores as the listpack holds them.
      for (let x = z.first; x !== null; x = nextOf(x)) {
        if (pattern === null || globMatch(pattern, memberOf(x))) items.push(memberOf(x), listpackScore(scoreOf(x)));
      }
      return ['0', items];
    }
    const r = ctx.server.cursors.scan(z.members as Map<string, number>, cursor, count);
    for (const m of r.keys) {
      const s = z.score(m);
      if (s !== undefined && (pattern === null || globMatch(pattern, m))) items.push(m, fmt(s));
    }
    return [String(r.cursor), items];
  },
);

const LLONG_HALF = 4611686018427387903;

/** A score as a listpack stores it: integral values within ±2^62 as integers (double2ll). */
function listpackScore(s: number): string {
  if (Number.isInteger(s) && s >= -LLONG_HALF && s <= LLONG_HALF) return Number.isSafeInteger(s) ? String(s) : BigInt(s).toString();
  return formatDouble17g(s);
}

export const sortedSetCommands: CommandSpec[] = [
  zadd,
  zincrby,
  zrem,
  zcard,
  zscore,
  zmscore,
  zrank,
  zrevrank,
  zcount,
  zlexcount,
  zrange,
  zrangestore,
  zrevrange,
  zrangebyscore,
  zrevrangebyscore,
  zrangebylex,
  zrevrangebylex,
  zremrangebyrank,
  zremrangebyscore,
  zremrangebylex,
  zpopmin,
  zpopmax,
  bzpopmin,
  bzpopmax,
  zmpop,
  bzmpop,
  zunionstore,
  zinterstore,
  zdiffstore,
  zunion,
  zinter,
  zdiff,
  zintercard,
  zrandmember,
  zscan,
];
