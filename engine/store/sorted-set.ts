/**
 * A Redis sorted set: member -> score, ordered by (score, member bytes).
 * PLACEHOLDER: completed with a skiplist (rank queries) by the sorted-set work.
 */
export class SortedSet {
  readonly scores = new Map<string, number>();
  get size(): number {
    return this.scores.size;
  }
}
