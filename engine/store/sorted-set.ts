/**
 * A Redis sorted set: member -> score, ordered by (score, member bytes).
 *
 * Redis's zset: a Map from member to score plus a skiplist with spans (t_zset.c), so that
 * lookups are O(1) and insert, delete, rank, rank ranges and score/lex ranges are
 * O(log N). Members are binary strings; `<` on latin1 strings is memcmp order.
 */

const MAX_LEVEL = 32;
const P = 0.25;
/** Redis 7.0's zset-max-listpack-entries and zset-max-listpack-value defaults. */
export const LISTPACK_ENTRIES = 128;
export const LISTPACK_VALUE = 64;

/**
 * A skiplist node, laid out as one array so that a traversal step touches one object:
 * [member, score, backward, forward0, span0, forward1, span1, ...]. Read it with
 * memberOf/scoreOf/nextOf/prevOf; only SortedSet changes it.
 */
export type ZNode = ZSlot[];
type ZSlot = string | number | ZNode | null;

function newNode(member: string, score: number, level: number): ZNode {
  const n = new Array<ZSlot>(3 + 2 * level);
  n[0] = member;
  n[1] = score;
  n[2] = null;
  for (let i = 0; i < level; i++) {
    n[3 + 2 * i] = null;
    n[4 + 2 * i] = 0;
  }
  return n;
}

export function memberOf(n: ZNode): string {
  return n[0] as string;
}
export function scoreOf(n: ZNode): number {
  return n[1] as number;
}
/** The next node in ascending order. */
export function nextOf(n: ZNode): ZNode | null {
  return n[3] as ZNode | null;
}
export function prevOf(n: ZNode): ZNode | null {
  return n[2] as ZNode | null;
}
function fwd(n: ZNode, i: number): ZNode | null {
  return n[3 + 2 * i] as ZNode | null;
}
function span(n: ZNode, i: number): number {
  return n[4 + 2 * i] as number;
}
/** Whether node `f` sorts before (score, member). */
function before(f: ZNode, score: number, member: string): boolean {
  const fs = f[1] as number;
  return fs < score || (fs === score && (f[0] as string) < member);
}

/** A score interval; `minex`/`maxex` make the bound exclusive, as `(` does. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/**
 * A lex interval. A bound with `inf` -1 is `-` (below every member), +1 is `+` (above every
 * member); with `inf` 0 the bound is `value`, exclusive when `ex`.
 */
export interface LexBound {
  value: string;
  inf: -1 | 0 | 1;
  ex: boolean;
}
export interface LexRange {
  min: LexBound;
  max: LexBound;
}

export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}
export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

/** Compare a member with a lex bound, like Redis's sdscmplex. */
function cmpLex(m: string, b: LexBound): number {
  if (b.inf !== 0) return -b.inf;
  return m < b.value ? -1 : m > b.value ? 1 : 0;
}
export function lexGteMin(m: string, r: LexRange): boolean {
  const c = cmpLex(m, r.min);
  return r.min.ex ? c > 0 : c >= 0;
}
export function lexLteMax(m: string, r: LexRange): boolean {
  const c = cmpLex(m, r.max);
  return r.max.ex ? c < 0 : c <= 0;
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

// Scratch space for insert/delete paths: execution is single-threaded and these never
// escape a call, so sharing them saves two allocations per write. Filled up front: writing
// past the end of an empty array would make it sparse and slow.
const UPDATE: ZNode[] = [];
const RANK = new Float64Array(MAX_LEVEL);
for (let i = 0, filler = newNode('', 0, 1); i < MAX_LEVEL; i++) UPDATE.push(filler);

export class SortedSet {
  /**
   * Whether Redis 7.0 would hold this zset as a listpack. Its encoding depends on history:
   * a zset becomes a skiplist when it outgrows the limits and never goes back, except the
   * results of store commands. It shows to clients: a listpack stores -0 as 0, ZSCAN
   * returns it in one call, and lex ranges over mixed scores scan it linearly.
   */
  listpack = true;
  private readonly dict = new Map<string, number>();
  private readonly header: ZNode = newNode('', 0, MAX_LEVEL);
  private tail: ZNode | null = null;
  private level = 1;
  // Skiplist length; differs from dict.size only inside an update.
  private length = 0;

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Insert or update; returns true if the member is new. */
  set(member: string, score: number): boolean {
    if (Number.isNaN(score)) throw new Error('invariant: NaN score');
    const cur = this.dict.get(member);
    if (cur === undefined) {
      score = this.beforeInsert(member, score);
      this.insertNode(score, member);
      this.dict.set(member, score);
      return true;
    }
    // A listpack keeps integral scores as integers: -0 is stored as 0.
    if (this.listpack && score === 0) score = 0;
    if (!Object.is(cur, score)) {
      this.updateScore(member, cur, score);
      this.dict.set(member, score);
    }
    return false;
  }

  /** Add a member known to be absent (saves the map lookup of `set`). */
  insertNew(member: string, score: number): void {
    if (Number.isNaN(score)) throw new Error('invariant: NaN score');
    score = this.beforeInsert(member, score);
    this.insertNode(score, member);
    this.dict.set(member, score);
  }

  /** Change the score of a member known to be present from `cur`. */
  changeScore(member: string, cur: number, score: number): void {
    if (Number.isNaN(score)) throw new Error('invariant: NaN score');
    if (this.listpack && score === 0) score = 0;
    if (Object.is(cur, score)) return;
    this.updateScore(member, cur, score);
    this.dict.set(member, score);
  }

  delete(member: string): boolean {
    const score = this.dict.get(member);
    if (score === undefined) return false;
    this.dict.delete(member);
    this.unlink(this.find(score, member), UPDATE);
    return true;
  }

  /** All (member, score) pairs in ascending order: score, then member bytes. */
  *entries(): IterableIterator<[string, number]> {
    for (let x = fwd(this.header, 0); x !== null; x = fwd(x, 0)) yield [x[0] as string, x[1] as number];
  }

  /** The member -> score map (read-only use: SCAN cursors, membership). */
  get members(): ReadonlyMap<string, number> {
    return this.dict;
  }

  /** The lowest element, or null when empty. */
  get first(): ZNode | null {
    return fwd(this.header, 0);
  }

  /** The highest element, or null when empty. */
  get last(): ZNode | null {
    return this.tail;
  }

  /** 0-based rank of `member` in ascending order, or -1 if absent. */
  rank(member: string): number {
    const score = this.dict.get(member);
    if (score === undefined) return -1;
    return this.rankOf(score, member);
  }

  /** 0-based rank of an element known to be present. */
  rankOf(score: number, member: string): number {
    let x = this.header;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && ((f[1] as number) < score || ((f[1] as number) === score && (f[0] as string) <= member))) {
        rank += span(x, i);
        x = f;
        f = fwd(x, i);
      }
      if (x !== this.header && (x[1] as number) === score && (x[0] as string) === member) return rank - 1;
    }
    throw new Error('invariant: sorted set member missing from its skiplist');
  }

  /** The element at 0-based ascending rank, or null when out of range. */
  at(rank: number): ZNode | null {
    if (rank < 0 || rank >= this.length) return null;
    const target = rank + 1;
    let x = this.header;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && traversed + span(x, i) <= target) {
        traversed += span(x, i);
        x = f;
        f = fwd(x, i);
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** The lowest element within `r`, or null. */
  firstInScoreRange(r: ScoreRange): ZNode | null {
    if (!this.inScoreRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && !scoreGteMin(f[1] as number, r)) {
        x = f;
        f = fwd(x, i);
      }
    }
    const n = fwd(x, 0);
    return n !== null && scoreLteMax(n[1] as number, r) ? n : null;
  }

  /** The highest element within `r`, or null. */
  lastInScoreRange(r: ScoreRange): ZNode | null {
    if (!this.inScoreRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && scoreLteMax(f[1] as number, r)) {
        x = f;
        f = fwd(x, i);
      }
    }
    return x !== this.header && scoreGteMin(x[1] as number, r) ? x : null;
  }

  /**
   * The first element within `r`. With mixed scores a lex range is not monotone; a listpack
   * is then scanned linearly as Redis does, so results match Redis exactly.
   */
  firstInLexRange(r: LexRange): ZNode | null {
    if (!this.inLexRange(r)) return null;
    if (this.listpack) {
      for (let n = fwd(this.header, 0); n !== null; n = fwd(n, 0)) {
        if (lexGteMin(n[0] as string, r)) return lexLteMax(n[0] as string, r) ? n : null;
      }
      return null;
    }
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && !lexGteMin(f[0] as string, r)) {
        x = f;
        f = fwd(x, i);
      }
    }
    const n = fwd(x, 0);
    return n !== null && lexLteMax(n[0] as string, r) ? n : null;
  }

  lastInLexRange(r: LexRange): ZNode | null {
    if (!this.inLexRange(r)) return null;
    if (this.listpack) {
      for (let n = this.tail; n !== null; n = prevOf(n)) {
        if (lexLteMax(n[0] as string, r)) return lexGteMin(n[0] as string, r) ? n : null;
      }
      return null;
    }
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && lexLteMax(f[0] as string, r)) {
        x = f;
        f = fwd(x, i);
      }
    }
    return x !== this.header && lexGteMin(x[0] as string, r) ? x : null;
  }

  /** Number of elements within `r`, in O(log N). */
  countInScoreRange(r: ScoreRange): number {
    const a = this.firstInScoreRange(r);
    if (a === null) return 0;
    const b = this.lastInScoreRange(r)!;
    return this.rankOf(b[1] as number, b[0] as string) - this.rankOf(a[1] as number, a[0] as string) + 1;
  }

  countInLexRange(r: LexRange): number {
    const a = this.firstInLexRange(r);
    if (a === null) return 0;
    if (this.listpack) {
      // The run from the first match, as listpack ZLEXCOUNT counts it.
      let n = 0;
      for (let x: ZNode | null = a; x !== null && lexLteMax(x[0] as string, r); x = fwd(x, 0)) n++;
      return n;
    }
    const b = this.lastInLexRange(r)!;
    return this.rankOf(b[1] as number, b[0] as string) - this.rankOf(a[1] as number, a[0] as string) + 1;
  }

  /** Delete elements with 0-based ranks start..end (inclusive, already clamped). */
  deleteRangeByRank(start: number, end: number): number {
    const update = UPDATE;
    let x = this.header;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && traversed + span(x, i) <= start) {
        traversed += span(x, i);
        x = f;
        f = fwd(x, i);
      }
      update[i] = x;
    }
    let n = fwd(x, 0);
    let removed = 0;
    for (let rank = start; n !== null && rank <= end; rank++) {
      const next = fwd(n, 0);
      this.unlink(n, update);
      this.dict.delete(n[0] as string);
      removed++;
      n = next;
    }
    return removed;
  }

  /** Delete every element within `r`; returns how many. */
  deleteRangeByScore(r: ScoreRange): number {
    const update = UPDATE;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && !scoreGteMin(f[1] as number, r)) {
        x = f;
        f = fwd(x, i);
      }
      update[i] = x;
    }
    let n = fwd(x, 0);
    let removed = 0;
    while (n !== null && scoreLteMax(n[1] as number, r)) {
      const next = fwd(n, 0);
      this.unlink(n, update);
      this.dict.delete(n[0] as string);
      removed++;
      n = next;
    }
    return removed;
  }

  deleteRangeByLex(r: LexRange): number {
    if (this.listpack) {
      const run: string[] = [];
      for (let x = this.firstInLexRange(r); x !== null && lexLteMax(x[0] as string, r); x = fwd(x, 0)) run.push(x[0] as string);
      for (const m of run) this.delete(m);
      return run.length;
    }
    const update = UPDATE;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && !lexGteMin(f[0] as string, r)) {
        x = f;
        f = fwd(x, i);
      }
      update[i] = x;
    }
    let n = fwd(x, 0);
    let removed = 0;
    while (n !== null && lexLteMax(n[0] as string, r)) {
      const next = fwd(n, 0);
      this.unlink(n, update);
      this.dict.delete(n[0] as string);
      removed++;
      n = next;
    }
    return removed;
  }

  /**
   * zsetConvertToListpackIfNeeded, for a store command's result (built with `listpack`
   * false): small enough, it becomes a listpack, whose scores cannot be -0.
   */
  settleEncoding(): void {
    if (this.listpack || this.length > LISTPACK_ENTRIES) return;
    for (let x = fwd(this.header, 0); x !== null; x = fwd(x, 0)) if ((x[0] as string).length > LISTPACK_VALUE) return;
    this.listpack = true;
    for (let x = fwd(this.header, 0); x !== null; x = fwd(x, 0)) {
      const s = x[1] as number;
      if (s === 0 && 1 / s < 0) {
        x[1] = 0;
        this.dict.set(x[0] as string, 0);
      }
    }
  }

  /** An independent copy with the same encoding, built in order without search. */
  clone(): SortedSet {
    const z = new SortedSet();
    z.listpack = this.listpack;
    for (let x = fwd(this.header, 0); x !== null; x = fwd(x, 0)) z.append(x[0] as string, x[1] as number);
    return z;
  }

  /** Add an element known to sort after every present one (building from sorted input). */
  append(member: string, score: number): void {
    const t = this.tail;
    if (this.dict.has(member) || (t !== null && !before(t, score, member))) {
      throw new Error('invariant: SortedSet.append out of order');
    }
    if (Number.isNaN(score)) throw new Error('invariant: NaN score');
    score = this.beforeInsert(member, score);
    this.insertNode(score, member);
    this.dict.set(member, score);
  }

  /** Check the skiplist against the map: order, spans, backward links, tail (tests). */
  checkInvariants(): void {
    let prev: ZNode | null = null;
    let n = 0;
    const ranks = new Map<ZNode, number>();
    for (let x = fwd(this.header, 0); x !== null; x = fwd(x, 0)) {
      if (prevOf(x) !== prev) throw new Error('invariant: backward link');
      if (prev && !before(prev, x[1] as number, x[0] as string)) throw new Error('invariant: order');
      if (!Object.is(this.dict.get(x[0] as string), x[1])) throw new Error('invariant: map and skiplist disagree');
      ranks.set(x, ++n);
      prev = x;
    }
    if (n !== this.dict.size || n !== this.length || this.tail !== prev) throw new Error('invariant: length or tail');
    for (let i = 0; i < this.level; i++) {
      let pos = 0;
      let x: ZNode = this.header;
      for (let f = fwd(x, i); f !== null; f = fwd(x, i)) {
        if (ranks.get(f)! - pos !== span(x, i)) throw new Error(`invariant: span at level ${i}`);
        pos = ranks.get(f)!;
        x = f;
      }
    }
  }

  /** A new member: a listpack converts when it would outgrow the limits (zsetAdd). */
  private beforeInsert(member: string, score: number): number {
    if (this.listpack) {
      if (this.length + 1 > LISTPACK_ENTRIES || member.length > LISTPACK_VALUE) this.listpack = false;
      else if (score === 0) return 0;
    }
    return score;
  }

  private inScoreRange(r: ScoreRange): boolean {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    const t = this.tail;
    if (t === null || !scoreGteMin(t[1] as number, r)) return false;
    return scoreLteMax(fwd(this.header, 0)![1] as number, r);
  }

  private inLexRange(r: LexRange): boolean {
    // Ranges that are empty by their bounds alone, as zslIsInLexRange.
    const a = r.min;
    const b = r.max;
    const c = a.inf !== 0 || b.inf !== 0 ? (a.inf === b.inf ? 0 : a.inf < b.inf ? -1 : 1) : a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    if (c > 0 || (c === 0 && (a.ex || b.ex))) return false;
    const t = this.tail;
    if (t === null || !lexGteMin(t[0] as string, r)) return false;
    return lexLteMax(fwd(this.header, 0)![0] as string, r);
  }

  private insertNode(score: number, member: string): void {
    const update = UPDATE;
    const rank = RANK;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let f = fwd(x, i);
      while (f !== null && before(f, score, member)) {
        rank[i] += span(x, i);
        x = f;
        f = fwd(x, i);
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        this.header[4 + 2 * i] = this.length;
      }
      this.level = level;
    }
    const node = newNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const u = update[i];
      const k = 3 + 2 * i;
      node[k] = u[k];
      u[k] = node;
      node[k + 1] = (u[k + 1] as number) - (rank[0] - rank[i]);
      u[k + 1] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) (update[i][4 + 2 * i] as number)++;
    node[2] = update[0] === this.header ? null : update[0];
    const f0 = fwd(node, 0);
    if (f0 !== null) f0[2] = node;
    else this.tail = node;
    this.length++;
  }

  /** Locate a present node, leaving its update path in UPDATE. */
  private find(score: number, member: string): ZNode {
    const update = UPDATE;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = fwd(x, i);
      while (f !== null && before(f, score, member)) {
        x = f;
        f = fwd(x, i);
      }
      update[i] = x;
    }
    const n = fwd(x, 0);
    if (n === null || (n[1] as number) !== score || (n[0] as string) !== member) throw new Error('invariant: sorted set member missing from its skiplist');
    return n;
  }

  /** zslDeleteNode: the map is the caller's business. */
  private unlink(x: ZNode, update: ZNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i];
      const k = 3 + 2 * i;
      if (u[k] === x) {
        u[k + 1] = (u[k + 1] as number) + (x[k + 1] as number) - 1;
        u[k] = x[k];
      } else {
        u[k + 1] = (u[k + 1] as number) - 1;
      }
    }
    const f0 = fwd(x, 0);
    if (f0 !== null) f0[2] = x[2];
    else this.tail = prevOf(x);
    this.length--;
    while (this.level > 1 && fwd(this.header, this.level - 1) === null) this.level--;
  }

  /** zslUpdateScore: update in place when the order does not change, else move the node. */
  private updateScore(member: string, cur: number, score: number): void {
    const b = this.find(cur, member);
    const back = prevOf(b);
    const next = fwd(b, 0);
    if ((back === null || (back[1] as number) < score) && (next === null || (next[1] as number) > score)) {
      b[1] = score;
      return;
    }
    this.unlink(b, UPDATE);
    this.insertNode(score, member);
  }
}
