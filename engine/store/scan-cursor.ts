/**
 * SCAN-family cursors over live Maps and Sets.
 *
 * Redis walks its hash table with a reverse-binary cursor. JS Maps and Sets iterate in
 * insertion order and their iterators stay valid while the collection changes (deleted
 * entries are skipped, added ones are visited), which gives SCAN's guarantee — every
 * element present for the whole scan is returned — with no repeats. A cursor number names
 * a cached live iterator; if the cache no longer holds it (evicted, or the cursor came
 * from elsewhere), the position encoded in the cursor lets us resume by skipping.
 *
 * cursor = slot * 2^32 + position, with slot in [1, 2^20): always a safe integer, never 0.
 */
type Iterable = Map<string, unknown> | Set<string>;

interface Live {
  collection: Iterable;
  iter: Iterator<string>;
  position: number;
}

const POSITION_SPAN = 2 ** 32;
const SLOTS = 2 ** 20;
const CACHE_LIMIT = 1024;

export class ScanCursors {
  private readonly live = new Map<number, Live>();
  private nextSlot = 1;

  /**
   * Take up to `count` keys (members) from `collection` starting at `cursor`. Returns the
   * next cursor (0 when the iteration is complete) and the keys.
   */
  scan(collection: Iterable, cursor: number, count: number): { cursor: number; keys: string[] } {
    let state: Live | undefined;
    if (cursor !== 0) {
      state = this.live.get(cursor);
      this.live.delete(cursor);
      if (state && state.collection !== collection) state = undefined;
      if (!state) {
        // Unknown cursor: resume by position from a fresh iterator.
        const position = cursor % POSITION_SPAN;
        const iter = collection.keys();
        let skipped = 0;
        while (skipped < position && !iter.next().done) skipped++;
        state = { collection, iter, position: skipped };
      }
    } else {
      state = { collection, iter: collection.keys(), position: 0 };
    }
    const keys: string[] = [];
    let done = false;
    while (keys.length < count) {
      const r = state.iter.next();
      if (r.done) {
        done = true;
        break;
      }
      keys.push(r.value);
    }
    state.position += keys.length;
    if (done || state.position >= POSITION_SPAN) return { cursor: 0, keys };
    // Peek whether anything remains, so a scan that ends exactly at `count` returns 0.
    const peek = state.iter.next();
    if (peek.done) return { cursor: 0, keys };
    // Re-wrap the iterator so the peeked element is yielded first next time.
    const rest = state.iter;
    let first: string | null = peek.value;
    state.iter = {
      next(): IteratorResult<string> {
        if (first !== null) {
          const v = first;
          first = null;
          return { value: v, done: false };
        }
        return rest.next();
      },
    };
    const slot = this.nextSlot;
    this.nextSlot = (this.nextSlot % (SLOTS - 1)) + 1;
    const next = slot * POSITION_SPAN + state.position;
    this.live.set(next, state);
    if (this.live.size > CACHE_LIMIT) this.live.delete(this.live.keys().next().value!);
    return { cursor: next, keys };
  }
}

/** Parse a SCAN cursor argument: an unsigned 64-bit integer. */
export function parseCursor(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const b = BigInt(text);
  if (b > 18446744073709551615n) return null;
  // Cursors we hand out are safe integers; anything larger can only be foreign: start over.
  return b > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(b);
}
