import { KeyTable } from './key-table.js';
import type { Value } from './value.js';

/**
 * What the keyspace needs from its server: whether it is a replica (replicas never
 * delete expired keys themselves; they wait for the primary's DEL) and who to tell when a
 * key is deleted because it expired (the primary propagates a DEL, WATCH is notified).
 */
export interface KeyspaceHooks {
  isReplica(): boolean;
  /**
   * True while a replica applies its primary's stream: keys do not expire for it (Redis's
   * master client view), so the primary's commands see what the primary saw.
   */
  primaryView?(): boolean;
  expired(db: Database, key: string): void;
}

const NO_HOOKS: KeyspaceHooks = { isReplica: () => false, expired: () => {} };

/**
 * One of the 16 logical databases. Keys and string values are binary strings; values of
 * other types are their collection objects (see value.ts). Expiry times live in a second
 * map, as in Redis's `expires` dict, so keys without a TTL cost nothing extra.
 */
export class Database {
  readonly data = new KeyTable<Value>();
  readonly expires = new Map<string, number>();
  /** Watchers by key, maintained by the transaction code (WATCH). */
  readonly watched = new Map<string, Set<{ dirtyCas: boolean }>>();

  constructor(readonly id: number, public hooks: KeyspaceHooks = NO_HOOKS) {}

  get size(): number {
    return this.data.size;
  }

  /**
   * Expire `key` if its time has passed. On a primary the key is deleted (and the hooks
   * told); on a replica it only reads as missing. Returns true if the key is logically gone.
   */
  expireIfNeeded(key: string, now: number): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > now) return false;
    if (this.hooks.isReplica()) return !this.hooks.primaryView?.();
    this.data.delete(key);
    this.expires.delete(key);
    this.signalModified(key);
    this.hooks.expired(this, key);
    return true;
  }

  /** The live value of `key`, applying lazy expiry. */
  get(key: string, now: number): Value | undefined {
    const v = this.data.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key, now)) return undefined;
    return v;
  }

  has(key: string, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  /** Set a value; drops any TTL unless keepTtl. */
  set(key: string, value: Value, keepTtl = false): void {
    this.data.set(key, value);
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    this.signalModified(key);
  }

  /** Add a new key (caller knows it is absent), e.g. the first HSET creating a hash. */
  add(key: string, value: Value): void {
    this.data.set(key, value);
    this.signalModified(key);
  }

  delete(key: string): boolean {
    if (!this.data.delete(key)) return false;
    if (this.expires.size !== 0) this.expires.delete(key);
    this.signalModified(key);
    return true;
  }

  setExpire(key: string, at: number): void {
    if (!this.data.has(key)) throw new Error(`invariant: setExpire on missing key`);
    this.expires.set(key, at);
    this.signalModified(key);
  }

  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  persist(key: string): boolean {
    const had = this.expires.delete(key);
    if (had) this.signalModified(key);
    return had;
  }

  /** Mark a key modified for WATCH; called by every mutation, including in-place ones. */
  signalModified(key: string): void {
    if (this.watched.size === 0) return;
    const ws = this.watched.get(key);
    if (ws) for (const w of ws) w.dirtyCas = true;
  }

  /** Mark every watched key modified (FLUSHDB, SWAPDB...). */
  signalAllModified(): void {
    for (const ws of this.watched.values()) for (const w of ws) w.dirtyCas = true;
  }

  clear(): number {
    const n = this.data.size;
    if (n) this.signalAllModified();
    this.data.clear();
    this.expires.clear();
    return n;
  }

  /**
   * One round of active expiry (Redis's activeExpireCycle, simplified): sample keys with a
   * TTL, delete the expired ones, repeat while more than a quarter of the sample was expired
   * and time remains. Returns the number of keys expired.
   */
  activeExpire(now: number, deadline: () => boolean, sample = 20): number {
    if (this.hooks.isReplica() || this.expires.size === 0) return 0;
    let total = 0;
    for (;;) {
      let seen = 0;
      let expired = 0;
      const it = this.expiryCursor();
      for (const [key, at] of it) {
        if (++seen > sample) break;
        if (at <= now) {
          this.expireIfNeeded(key, now);
          expired++;
        }
      }
      total += expired;
      if (expired * 4 <= sample || this.expires.size === 0 || deadline()) return total;
    }
  }

  // A live iterator over `expires` that continues across calls, so sampling walks the
  // whole table over time instead of re-reading its head.
  private expiryIter: IterableIterator<[string, number]> | null = null;
  private *expiryCursor(): Generator<[string, number]> {
    for (let wrapped = 0; wrapped < 2; ) {
      if (!this.expiryIter) this.expiryIter = this.expires.entries();
      const r = this.expiryIter.next();
      if (r.done) {
        this.expiryIter = null;
        wrapped++;
        continue;
      }
      yield r.value;
    }
  }
}
