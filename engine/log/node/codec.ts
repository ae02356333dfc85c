/**
 * Wire framing between engine nodes and log replicas: length-prefixed frames over TCP.
 *
 *   frame   = u32 length of the rest | u32 header length | header (JSON, UTF-8) | u32 n | n × entry
 *   entry   = f64 index | f64 epoch | i32 payload length (-1: no-op) | payload bytes
 *
 * The header is the message without its `entries`; payloads (encoded effects: arbitrary
 * bytes) travel raw, never through JSON. All integers little-endian.
 */
import type { Entry, LogMsg } from '../types.js';

/** Transport-level messages, besides the protocol's. */
export interface HelloMsg {
  readonly type: 'hello';
  readonly from: string;
  /** The id the dialer expects to reach (it checks the answer). */
  readonly expect?: string;
}
export interface StatsMsg {
  readonly type: 'stats';
  readonly from: string;
  readonly resetSamples?: boolean;
}
export interface StatsReply {
  readonly type: 'statsReply';
  readonly from: string;
  readonly stats: Record<string, unknown>;
}
export type WireMsg = LogMsg<Buffer> | HelloMsg | StatsMsg | StatsReply;

/** Frames larger than this are a protocol error (a corrupt stream), not data. */
export const MAX_FRAME = 1 << 30;

const ENTRY_HEAD = 20;

export function encodeFrame(msg: WireMsg): Buffer {
  const entries = (msg as { entries?: readonly Entry<Buffer>[] }).entries;
  let header: string;
  if (entries) {
    const { entries: _omit, ...rest } = msg as unknown as Record<string, unknown>;
    header = JSON.stringify(rest);
  } else header = JSON.stringify(msg);
  const hlen = Buffer.byteLength(header, 'utf8');
  let size = 4 + 4 + hlen + 4;
  if (entries) for (const e of entries) size += ENTRY_HEAD + (e.payload ? e.payload.length : 0);
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt32LE(size - 4, 0);
  buf.writeUInt32LE(hlen, 4);
  buf.write(header, 8, hlen, 'utf8');
  let off = 8 + hlen;
  buf.writeUInt32LE(entries ? entries.length : 0, off);
  off += 4;
  if (entries) {
    for (const e of entries) {
      buf.writeDoubleLE(e.index, off);
      buf.writeDoubleLE(e.epoch, off + 8);
      const p = e.payload;
      buf.writeInt32LE(p ? p.length : -1, off + 16);
      off += ENTRY_HEAD;
      if (p) {
        p.copy(buf, off);
        off += p.length;
      }
    }
  }
  if (off !== size) throw new Error(`invariant: frame encoded ${off} of ${size} bytes`);
  return buf;
}

export class FrameError extends Error {}

/** Decode one frame body (without its length prefix). Payloads are views into `body`. */
export function decodeBody(body: Buffer): WireMsg {
  if (body.length < 8) throw new FrameError(`frame of ${body.length} bytes is too short`);
  const hlen = body.readUInt32LE(0);
  if (8 + hlen > body.length) throw new FrameError(`frame header of ${hlen} bytes overruns the frame (${body.length})`);
  const msg = JSON.parse(body.toString('utf8', 4, 4 + hlen)) as Record<string, unknown>;
  let off = 4 + hlen;
  const n = body.readUInt32LE(off);
  off += 4;
  if (n > 0 || msg.type === 'append' || msg.type === 'readReply' || msg.type === 'fetchReply') {
    const entries: Entry<Buffer>[] = new Array(n);
    for (let i = 0; i < n; i++) {
      if (off + ENTRY_HEAD > body.length) throw new FrameError('entry header overruns the frame');
      const index = body.readDoubleLE(off);
      const epoch = body.readDoubleLE(off + 8);
      const plen = body.readInt32LE(off + 16);
      off += ENTRY_HEAD;
      let payload: Buffer | null = null;
      if (plen >= 0) {
        if (off + plen > body.length) throw new FrameError('entry payload overruns the frame');
        payload = body.subarray(off, off + plen);
        off += plen;
      }
      entries[i] = { index, epoch, payload };
    }
    msg.entries = entries;
  }
  if (off !== body.length) throw new FrameError(`frame has ${body.length - off} trailing bytes`);
  return msg as unknown as WireMsg;
}

/** Reassembles frames from TCP chunks without copying more than once per frame. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private need = -1;

  /** Feed a chunk; returns the complete frame bodies it finished. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.have += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.have < 4) break;
        const head = this.take(4);
        this.need = head.readUInt32LE(0);
        if (this.need > MAX_FRAME) throw new FrameError(`frame of ${this.need} bytes exceeds the limit`);
      }
      if (this.have < this.need) break;
      out.push(this.take(this.need));
      this.need = -1;
    }
    return out;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      const b = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.have -= n;
      return b;
    }
    const b = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - off);
      c.copy(b, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.have -= n;
    return b;
  }
}
