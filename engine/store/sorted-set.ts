/**
 * A Redis sorted set: member -> score, ordered by (score, member bytes).
 *
 * PLACEHOLDER IMPLEMENTATION (sorted-set work replaces the internals with a skiplist that
 * answers rank queries in O(log N)). The methods below are the stable API other code
 * (RDB, digest, replication) relies on; keep their names and meaning.
 */
export class SortedSet {
  private readonly dict = new Map<string, number>();

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Insert or update; returns true if the member is new. */
  set(member: string, score: number): boolean {
    if (Number.isNaN(score)) throw new Error('invariant: NaN score');
    const isNew = !this.dict.has(member);
    this.dict.set(member, score);
    return isNew;
  }

  delete(member: string): boolean {
    return this.dict.delete(member);
  }

  /** All (member, score) pairs in ascending order: score, then member bytes. */
  *entries(): IterableIterator<[string, number]> {
    const all = [...this.dict.entries()];
    all.sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    yield* all;
  }

  /** The member -> score map (read-only use: SCAN cursors, membership). */
  get members(): ReadonlyMap<string, number> {
    return this.dict;
  }
}
