/**
 * The keyspace's hash table: open addressing with linear probing over one flat array of
 * [hash, key, value] triples.
 *
 * Why not a JS Map: a Map lookup of a key it has not hashed before walks bucket -> entry ->
 * key object, about three cache misses; with 100,000+ keys that was the largest single cost
 * of a pipelined SET or GET (28% of the server's CPU). Here the hash sits next to the key
 * and value, so a lookup touches one slot's cache line plus the key it compares.
 *
 * Deletion leaves a tombstone, so slots never move while they are live: iterators stay
 * valid while keys are deleted (KEYS expires keys as it walks), and SCAN walks home buckets
 * with Redis's reverse-binary cursor, which keeps its guarantee (every key present for the
 * whole scan is returned) across the table growing or shrinking between calls.
 */

const EMPTY = undefined;
/** A deleted slot: lookups probe past it, inserts may reuse it. */
const TOMB = null;

const MIN_CAPACITY = 16;
/** Live plus tombstones stay at or below half the slots: probes stay short. */
const MAX_FILL = 0.5;
/**
 * A rebuild sizes the table for at most this fill: growing at MAX_FILL then doubles
 * exactly (a target of MAX_FILL / 2 would quadruple at the power-of-two boundaries).
 */
const REBUILD_FILL = 0.375;

// Per-process seed: the layout (and SCAN order) is not predictable from outside.
const SEED = (Math.random() * 0x100000000) | 0;

/** FNV-1a over the chars (one byte each in binary strings), then murmur3's finaliser. */
export function hashKey(s: string): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

function reverseBits32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

export class KeyTable<V> {
  /** slots[3i] = hash, slots[3i+1] = key (EMPTY, TOMB or a string), slots[3i+2] = value. */
  private slots: unknown[];
  private mask: number;
  private live = 0;
  private tombs = 0;

  constructor(capacity = MIN_CAPACITY) {
    const cap = KeyTable.capacityFor(capacity);
    this.slots = new Array(cap * 3).fill(EMPTY);
    this.mask = cap - 1;
  }

  private static capacityFor(n: number): number {
    let cap = MIN_CAPACITY;
    while (cap < n) cap *= 2;
    return cap;
  }

  get size(): number {
    return this.live;
  }

  /** Slots in the table (a power of two). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Slot index holding `key`, or -1. */
  private find(key: string, h: number): number {
    const s = this.slots;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const k = s[i * 3 + 1];
      if (k === EMPTY) return -1;
      if (s[i * 3] === h && k === key) return i;
    }
  }

  get(key: string): V | undefined {
    const i = this.find(key, hashKey(key));
    return i < 0 ? undefined : (this.slots[i * 3 + 2] as V);
  }

  has(key: string): boolean {
    return this.find(key, hashKey(key)) >= 0;
  }

  set(key: string, value: V): this {
    if (value === undefined) throw new Error('invariant: KeyTable cannot store undefined');
    const h = hashKey(key);
    const s = this.slots;
    const mask = this.mask;
    let reuse = -1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const k = s[i * 3 + 1];
      if (k === EMPTY) {
        if (reuse >= 0) {
          this.tombs--;
          this.put(reuse, h, key, value);
          return this;
        }
        if ((this.live + this.tombs + 1) > (this.mask + 1) * MAX_FILL) {
          this.rebuild(this.live + 1);
          this.insertNew(h, key, value);
          return this;
        }
        this.put(i, h, key, value);
        return this;
      }
      if (k === TOMB) {
        if (reuse < 0) reuse = i;
      } else if (s[i * 3] === h && k === key) {
        s[i * 3 + 2] = value;
        return this;
      }
    }
  }

  private put(i: number, h: number, key: string, value: V): void {
    const s = this.slots;
    s[i * 3] = h;
    s[i * 3 + 1] = key;
    s[i * 3 + 2] = value;
    this.live++;
  }

  /** Insert a key known to be absent into a table without tombstones' concerns (after a rebuild). */
  private insertNew(h: number, key: string, value: unknown): void {
    const s = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (s[i * 3 + 1] !== EMPTY) i = (i + 1) & mask;
    s[i * 3] = h;
    s[i * 3 + 1] = key;
    s[i * 3 + 2] = value;
    this.live++;
  }

  delete(key: string): boolean {
    const i = this.find(key, hashKey(key));
    if (i < 0) return false;
    const s = this.slots;
    s[i * 3 + 1] = TOMB;
    s[i * 3 + 2] = EMPTY;
    this.live--;
    this.tombs++;
    // Shrink like Redis's tryResizeHashTables once under 1/8 full; iterators that are
    // running keep walking the old array (callers re-check what they get).
    if (this.live * 8 < this.mask + 1 && this.mask + 1 > MIN_CAPACITY) this.rebuild(this.live);
    return true;
  }

  clear(): void {
    this.slots = new Array(MIN_CAPACITY * 3).fill(EMPTY);
    this.mask = MIN_CAPACITY - 1;
    this.live = 0;
    this.tombs = 0;
  }

  /** A fresh array sized for `n` keys at most REBUILD_FILL full; drops tombstones. */
  private rebuild(n: number): void {
    const old = this.slots;
    const cap = KeyTable.capacityFor(Math.ceil(n / REBUILD_FILL));
    this.slots = new Array(cap * 3).fill(EMPTY);
    this.mask = cap - 1;
    this.live = 0;
    this.tombs = 0;
    for (let b = 0; b < old.length; b += 3) {
      const k = old[b + 1];
      if (k !== EMPTY && k !== TOMB) this.insertNew(old[b] as number, k as string, old[b + 2]);
    }
  }

  *entries(): IterableIterator<[string, V]> {
    const s = this.slots;
    for (let b = 0; b < s.length; b += 3) {
      const k = s[b + 1];
      if (k !== EMPTY && k !== TOMB) yield [k as string, s[b + 2] as V];
    }
  }

  *keys(): IterableIterator<string> {
    const s = this.slots;
    for (let b = 1; b < s.length; b += 3) {
      const k = s[b];
      if (k !== EMPTY && k !== TOMB) yield k as string;
    }
  }

  *values(): IterableIterator<V> {
    const s = this.slots;
    for (let b = 1; b < s.length; b += 3) {
      const k = s[b];
      if (k !== EMPTY && k !== TOMB) yield s[b + 1] as V;
    }
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** A key from a random slot onwards: O(1) expected, like Redis's dictGetFairRandomKey it is not perfectly uniform. */
  randomKey(random: () => number = Math.random): string | undefined {
    if (this.live === 0) return undefined;
    const s = this.slots;
    const cap = this.mask + 1;
    const start = Math.floor(random() * cap);
    for (let n = 0; n < cap; n++) {
      const k = s[((start + n) & this.mask) * 3 + 1];
      if (k !== EMPTY && k !== TOMB) return k as string;
    }
    throw new Error('invariant: KeyTable.size > 0 but no live slot');
  }

  /**
   * One SCAN step, as Redis's dictScan: visit home buckets in reverse-binary cursor order
   * until `count` keys are collected (or 10×count buckets seen). A bucket's keys are the
   * live slots of its probe run whose hash lands on it. Returns the next cursor (0: done).
   */
  scan(cursor: number, count: number): { cursor: number; keys: string[] } {
    const keys: string[] = [];
    const s = this.slots;
    const mask = this.mask;
    let v = cursor % 0x100000000 >>> 0;
    if (this.live === 0) return { cursor: 0, keys };
    let visits = Math.max(1, count) * 10;
    do {
      const b = v & mask;
      for (let i = b; ; i = (i + 1) & mask) {
        const k = s[i * 3 + 1];
        if (k === EMPTY) break;
        if (k !== TOMB && ((s[i * 3] as number) & mask) === b) keys.push(k as string);
      }
      // Increment the reversed cursor: the bits above the mask are set so the carry passes them.
      v = (v | ~mask) >>> 0;
      v = reverseBits32((reverseBits32(v) + 1) >>> 0);
    } while (v !== 0 && keys.length < count && --visits > 0);
    return { cursor: v, keys };
  }
}

/** Read access shared by KeyTable and Map (snapshots and digests take either). */
export interface KeyspaceView<V> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  keys(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, V]>;
}
