/**
 * Log entry payloads: the effects of one event-loop turn of the primary (every write
 * command's effects, a MULTI/EXEC block as its MULTI … EXEC effects), concatenated:
 *
 *   effect = u32 db | u32 argc | argc × (u32 length | bytes)
 *
 * Arguments are binary strings (one char = one byte, latin1), written as such.
 */
import type { Effect } from '../commands/types.js';

// Node's unchecked latin1 fast paths behind write/toString (as the RESP parser uses).
type Latin1 = { latin1Write(s: string, off: number, len: number): number; latin1Slice(start: number, end: number): string };
const fast = (b: Buffer) => b as unknown as Latin1;

export class EffectEncoder {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private off = 0;
  /** Effects encoded since the last take(). */
  count = 0;

  get size(): number {
    return this.off;
  }

  private room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.off + n) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    this.buf.copy(b, 0, 0, this.off);
    this.buf = b;
  }

  add(effects: readonly Effect[]): void {
    for (const e of effects) {
      const argv = e.argv;
      let n = 8;
      for (let i = 0; i < argv.length; i++) n += 4 + argv[i].length;
      this.room(n);
      const b = this.buf;
      let o = this.off;
      b.writeUInt32LE(e.db, o);
      b.writeUInt32LE(argv.length, o + 4);
      o += 8;
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        b.writeUInt32LE(a.length, o);
        o += 4;
        if (a.length) o += fast(b).latin1Write(a, o, a.length);
      }
      this.off = o;
      this.count++;
    }
  }

  /** The payload so far (a copy) and a reset. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.off);
    this.buf.copy(out, 0, 0, this.off);
    this.off = 0;
    this.count = 0;
    return out;
  }

  reset(): void {
    this.off = 0;
    this.count = 0;
  }
}

export function encodeEffects(effects: readonly Effect[]): Buffer {
  const e = new EffectEncoder();
  e.add(effects);
  return e.take();
}

/** Decode a payload; a malformed one is an invariant violation (its CRC matched). */
export function decodeEffects(buf: Buffer): Effect[] {
  const out: Effect[] = [];
  let o = 0;
  const need = (n: number) => {
    if (o + n > buf.length) throw new Error(`invariant: effect payload truncated at byte ${o} of ${buf.length}`);
  };
  while (o < buf.length) {
    need(8);
    const db = buf.readUInt32LE(o);
    const argc = buf.readUInt32LE(o + 4);
    o += 8;
    const argv: string[] = new Array(argc);
    for (let i = 0; i < argc; i++) {
      need(4);
      const n = buf.readUInt32LE(o);
      o += 4;
      need(n);
      argv[i] = fast(buf).latin1Slice(o, o + n);
      o += n;
    }
    out.push({ db, argv });
  }
  return out;
}
