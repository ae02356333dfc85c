import type { Entry, Position } from '../../engine/log/types.js';

/**
 * The simulator's stand-in for the engine: a map of keys to values. A log payload is one
 * command's effects, already made deterministic as the engine does (INCR travels as the SET
 * of its result), tagged with the client operation that caused it.
 */
export interface Effect {
  /** The client operation (history id) that produced it. */
  readonly op: number;
  readonly key: string;
  readonly value: string | number;
}

export type Kv = Map<string, string | number>;

export function applyEntry(kv: Kv, e: Entry<Effect>): void {
  if (e.payload) kv.set(e.payload.key, e.payload.value);
}

export function digest(kv: Kv): string {
  const keys = [...kv.keys()].sort();
  let s = '';
  for (const k of keys) s += k + '=' + String(kv.get(k)) + ';';
  return s;
}

export interface Snapshot {
  readonly at: Position;
  readonly data: readonly (readonly [string, string | number])[];
  readonly checksum: number;
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function makeSnapshot(at: Position, kv: Kv): Snapshot {
  const data = [...kv.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { at, data, checksum: fnv(JSON.stringify([at, data])) };
}

export function snapshotValid(s: Snapshot): boolean {
  return fnv(JSON.stringify([s.at, s.data])) === s.checksum;
}

/** Durable object storage for snapshots (S3-like: a stored snapshot survives every fault). */
export class SnapshotStore {
  private items: Snapshot[] = [];
  /** Corrupt snapshots a reader refused. */
  refused = 0;

  put(s: Snapshot): void {
    this.items.push(s);
    this.items.sort((a, b) => a.at.index - b.at.index);
  }

  /** Newest snapshot whose checksum verifies (a corrupt one is refused, the next older used). */
  newest(): Snapshot | null {
    for (let i = this.items.length - 1; i >= 0; i--) {
      if (snapshotValid(this.items[i])) return this.items[i];
      this.refused++;
    }
    return null;
  }

  /**
   * How far the log may be trimmed: to the second-newest valid snapshot (one spare: a
   * snapshot is load-bearing once the log below it is gone).
   */
  trimPoint(): Snapshot | null {
    let seen = 0;
    for (let i = this.items.length - 1; i >= 0; i--) if (snapshotValid(this.items[i]) && ++seen === 2) return this.items[i];
    return null;
  }

  get count(): number {
    return this.items.length;
  }

  /** Fault injection: a torn upload, stored with a damaged byte (its checksum no longer matches). */
  static corrupt(s: Snapshot): Snapshot {
    if (s.data.length === 0) return { ...s, checksum: s.checksum ^ 1 };
    const data = s.data.map(([k, v], i) => (i === 0 ? ([k, String(v) + 'X'] as const) : ([k, v] as const)));
    return { ...s, data };
  }
}
