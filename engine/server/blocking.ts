import type { Client } from './client.js';

/**
 * Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN...). Writes signal keys as ready; after
 * the writing command the server re-runs each waiting client's command in arrival order,
 * as Redis 7 does, until one can proceed or none is left.
 */
export class BlockingRegistry {
  private readonly waiters = new Map<string, Set<Client>>();
  private readonly ready = new Set<string>();
  private blockedCount = 0;

  private static id(db: number, key: string): string {
    return db + '\0' + key;
  }

  get count(): number {
    return this.blockedCount;
  }

  get hasReady(): boolean {
    return this.ready.size !== 0;
  }

  add(client: Client, db: number, keys: string[]): void {
    for (const k of keys) {
      const id = BlockingRegistry.id(db, k);
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add(client);
    }
    this.blockedCount++;
  }

  remove(client: Client, db: number, keys: string[]): void {
    for (const k of keys) {
      const id = BlockingRegistry.id(db, k);
      const set = this.waiters.get(id);
      if (!set) continue;
      set.delete(client);
      if (set.size === 0) this.waiters.delete(id);
    }
    this.blockedCount--;
  }

  /** A write touched `key`: if anyone waits on it, it is worth re-trying them. */
  signal(db: number, key: string): void {
    if (this.waiters.size === 0) return;
    const id = BlockingRegistry.id(db, key);
    if (this.waiters.has(id)) this.ready.add(id);
  }

  /** Take the ready keys' waiters, oldest first, de-duplicated. */
  takeReady(): Client[] {
    const out = new Set<Client>();
    for (const id of this.ready) {
      const set = this.waiters.get(id);
      if (set) for (const c of set) out.add(c);
    }
    this.ready.clear();
    return [...out];
  }
}
