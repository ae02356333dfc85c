import { Crc64 } from './crc64.js';
import { Deque } from './deque.js';
import { lzfCompress, lzfDecompress } from './lzf.js';
import { SortedSet } from './sorted-set.js';
import { typeOf, type Value } from './value.js';
import type { KeyspaceView } from './key-table.js';
import { ENGINE_REDIS_VERSION } from '../server/version.js';

/**
 * RDB snapshots, version 10 (Redis 7.0), the format of SAVE, full resync and durable-mode
 * snapshots. The writer uses the simple encodings every Redis 7.0 loads (LIST, SET, HASH,
 * ZSET_2); the reader also takes what Redis 7.0 (and older versions) write: listpacks,
 * ziplists, intsets, quicklists, LZF and integer-encoded strings.
 *
 * Layout: "REDIS0010", AUX fields, then per non-empty db SELECTDB, RESIZEDB and its keys
 * (optional expiry in ms, type byte, key, value), EOF, and a CRC64 of everything before it
 * (8 bytes little-endian; 0 means "not computed").
 */

export const RDB_VERSION = 10;

/** AUX field names memlab writes besides Redis's own; real redis ignores unknown AUX. */
export const AUX_LOG_INDEX = 'memlab-log-index';
export const AUX_LOG_EPOCH = 'memlab-log-epoch';
export const AUX_REPL_ID = 'repl-id';
export const AUX_REPL_OFFSET = 'repl-offset';
export const AUX_REPL_STREAM_DB = 'repl-stream-db';

// Value types.
const T_STRING = 0;
const T_LIST = 1;
const T_SET = 2;
const T_ZSET = 3;
const T_HASH = 4;
const T_ZSET_2 = 5;
const T_MODULE = 6;
const T_MODULE_2 = 7;
const T_HASH_ZIPMAP = 9;
const T_LIST_ZIPLIST = 10;
const T_SET_INTSET = 11;
const T_ZSET_ZIPLIST = 12;
const T_HASH_ZIPLIST = 13;
const T_LIST_QUICKLIST = 14;
const T_STREAM_LISTPACKS = 15;
const T_HASH_LISTPACK = 16;
const T_ZSET_LISTPACK = 17;
const T_LIST_QUICKLIST_2 = 18;
const T_STREAM_LISTPACKS_2 = 19;
const T_SET_LISTPACK = 20;
const T_STREAM_LISTPACKS_3 = 21;

// Opcodes.
const OP_FUNCTION2 = 0xf5;
const OP_FUNCTION = 0xf6;
const OP_MODULE_AUX = 0xf7;
const OP_IDLE = 0xf8;
const OP_FREQ = 0xf9;
const OP_AUX = 0xfa;
const OP_RESIZEDB = 0xfb;
const OP_EXPIRETIME_MS = 0xfc;
const OP_EXPIRETIME = 0xfd;
const OP_SELECTDB = 0xfe;
const OP_EOF = 0xff;

// String encodings (length byte 11xxxxxx).
const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;

const QUICKLIST_NODE_PLAIN = 1;
const QUICKLIST_NODE_PACKED = 2;

export type RdbErrorKind = 'format' | 'truncated' | 'checksum' | 'unsupported';

/** A snapshot that cannot be loaded. The message says why, starting with "snapshot". */
export class RdbError extends Error {
  constructor(
    readonly kind: RdbErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'RdbError';
  }
}

/** What the writer needs of a database: Database satisfies it. */
export interface SnapshotDb {
  readonly id: number;
  readonly data: KeyspaceView<Value>;
  readonly expires: ReadonlyMap<string, number>;
}

/** A database as read from a snapshot. */
export interface RdbDb {
  id: number;
  data: Map<string, Value>;
  expires: Map<string, number>;
}

export type AuxFields = Record<string, string | number | bigint>;

export interface EncodeOptions {
  /** LZF-compress strings longer than 20 bytes, as `rdbcompression yes` (default false). */
  compress?: boolean;
  /** Write the CRC64 (default true); false writes 0, as `rdbchecksum no`. */
  checksum?: boolean;
  /** Replaces Redis's default AUX fields' clock (ctime), for reproducible bytes in tests. */
  now?: number;
  /** Target chunk size of encodeRdbChunks (default 64 KiB). */
  chunkSize?: number;
  /** Write Redis's AUX fields (redis-ver, redis-bits, ctime, used-mem, aof-base); default true. */
  defaultAux?: boolean;
}

export interface DecodeOptions {
  /** Refuse a snapshot written without a checksum (stored CRC 0); Redis accepts it. */
  requireChecksum?: boolean;
}

export interface DecodedRdb {
  version: number;
  /** AUX fields in file order; values are binary strings. */
  aux: Map<string, string>;
  /** The databases that hold keys, in file order. */
  dbs: RdbDb[];
}

/** Receives a snapshot's contents as they are read (decodeRdb collects them). */
export interface RdbVisitor {
  aux?(name: string, value: string): void;
  /** A key; `expireAt` is absolute unix ms, or -1. Empty aggregates are skipped, as Redis does. */
  key(db: number, key: string, value: Value, expireAt: number): void;
}

// Node's unchecked latin1 fast paths behind toString/write (as the RESP parser uses).
type Latin1 = { latin1Slice(start: number, end: number): string; latin1Write(s: string, offset: number, length: number): number };
const latin1Slice = (b: Buffer, start: number, end: number): string => (b as unknown as Latin1).latin1Slice(start, end);
const latin1Write = (b: Buffer, s: string, offset: number): number => (b as unknown as Latin1).latin1Write(s, offset, s.length);

// ---------------------------------------------------------------------------------------
// Writer

const INT_RE = /^(?:0|-?[1-9][0-9]*)$/;

class Writer {
  private buf: Buffer;
  private pos = 0;
  readonly crc = new Crc64();
  private readonly done: Buffer[] = [];
  private lzfOut: Buffer = Buffer.allocUnsafe(0);

  constructor(
    private readonly chunkSize: number,
    private readonly compress: boolean,
  ) {
    this.buf = Buffer.allocUnsafe(chunkSize);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(n, this.chunkSize));
  }

  /** Move written bytes into the list of finished chunks. */
  flush(): void {
    if (this.pos === 0) return;
    // Hand the filled buffer over instead of copying it out.
    const out = this.buf.subarray(0, this.pos);
    this.crc.update(out);
    this.done.push(out);
    this.buf = Buffer.allocUnsafe(this.chunkSize);
    this.pos = 0;
  }

  get hasChunks(): boolean {
    return this.done.length !== 0;
  }

  /** Finished chunks once at least `min` bytes are pending (0: flush everything). */
  take(min: number): Buffer[] {
    if (min === 0 || this.pos >= min) this.flush();
    return this.done.splice(0);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  raw(bytes: Uint8Array): void {
    if (bytes.length >= this.chunkSize) {
      // Big payloads go out as their own chunk instead of being copied.
      this.flush();
      const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      this.crc.update(b);
      this.done.push(b);
      return;
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  latin1(s: string): void {
    const n = s.length;
    if (n >= this.chunkSize) return this.raw(Buffer.from(s, 'latin1'));
    this.ensure(n);
    if (n < 24) {
      const b = this.buf;
      for (let i = 0, p = this.pos; i < n; i++) b[p + i] = s.charCodeAt(i);
      this.pos += n;
    } else {
      this.pos += latin1Write(this.buf, s, this.pos);
    }
  }

  len(n: number): void {
    this.ensure(9);
    const b = this.buf;
    if (n < 64) b[this.pos++] = n;
    else if (n < 16384) {
      b[this.pos++] = 0x40 | (n >> 8);
      b[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      b[this.pos++] = 0x80;
      b.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      b[this.pos++] = 0x81;
      b.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
  }

  int64LE(n: number): void {
    this.ensure(8);
    if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) {
      this.buf.writeUInt32LE(n % 0x100000000, this.pos);
      this.buf.writeUInt32LE(Math.floor(n / 0x100000000), this.pos + 4);
    } else {
      this.buf.writeBigInt64LE(BigInt(Math.trunc(n)), this.pos);
    }
    this.pos += 8;
  }

  doubleLE(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }

  /** A string as Redis's rdbSaveRawString writes it: integer-encoded if it can be. */
  string(s: string): void {
    const n = s.length;
    if (n <= 11 && n > 0 && INT_RE.test(s)) {
      const v = Number(s);
      this.ensure(5);
      const b = this.buf;
      if (v >= -128 && v <= 127) {
        b[this.pos++] = 0xc0 | ENC_INT8;
        b.writeInt8(v, this.pos);
        this.pos += 1;
        return;
      }
      if (v >= -32768 && v <= 32767) {
        b[this.pos++] = 0xc0 | ENC_INT16;
        b.writeInt16LE(v, this.pos);
        this.pos += 2;
        return;
      }
      if (v >= -2147483648 && v <= 2147483647) {
        b[this.pos++] = 0xc0 | ENC_INT32;
        b.writeInt32LE(v, this.pos);
        this.pos += 4;
        return;
      }
    }
    if (this.compress && n > 20 && this.lzf(s)) return;
    this.len(n);
    this.latin1(s);
  }

  private lzf(s: string): boolean {
    const input = Buffer.from(s, 'latin1');
    const max = input.length - 4;
    if (this.lzfOut.length < max) this.lzfOut = Buffer.allocUnsafe(Math.max(max, 4096));
    const clen = lzfCompress(input, this.lzfOut.subarray(0, max));
    if (clen === 0) return false;
    this.byte(0xc0 | ENC_LZF);
    this.len(clen);
    this.len(input.length);
    // raw() keeps big payloads by reference, and lzfOut is reused by the next string.
    const out = this.lzfOut.subarray(0, clen);
    this.raw(clen >= this.chunkSize ? Buffer.from(out) : out);
    return true;
  }
}

function defaultAux(now: number): AuxFields {
  const m = process.memoryUsage();
  return {
    'redis-ver': ENGINE_REDIS_VERSION,
    'redis-bits': 64,
    ctime: Math.floor(now / 1000),
    'used-mem': m.heapUsed + m.external,
    'aof-base': 0,
  };
}

/** Type byte, key and value of one keyspace entry. */
function writeEntry(w: Writer, key: string, v: Value): void {
  if (typeof v === 'string') {
    w.byte(T_STRING);
    w.string(key);
    w.string(v);
    return;
  }
  const t = typeOf(v);
  w.byte(t === 'list' ? T_LIST : t === 'set' ? T_SET : t === 'hash' ? T_HASH : T_ZSET_2);
  w.string(key);
  if (v instanceof Deque) {
    if (v.length === 0) throw new Error(`invariant: empty list in the keyspace`);
    w.len(v.length);
    for (const x of v) w.string(x);
  } else if (v instanceof Set) {
    if (v.size === 0) throw new Error(`invariant: empty set in the keyspace`);
    w.len(v.size);
    for (const x of v) w.string(x);
  } else if (v instanceof Map) {
    if (v.size === 0) throw new Error(`invariant: empty hash in the keyspace`);
    w.len(v.size);
    for (const [f, x] of v) {
      w.string(f);
      w.string(x);
    }
  } else if (v instanceof SortedSet) {
    if (v.size === 0) throw new Error(`invariant: empty sorted set in the keyspace`);
    w.len(v.size);
    for (const [m, score] of v.entries()) {
      w.string(m);
      w.doubleLE(score);
    }
  }
}

/**
 * The snapshot in chunks of about `chunkSize` bytes, produced lazily (a replication link
 * can send each chunk as it comes). The keyspace must not change while it is consumed.
 */
export function* encodeRdbChunks(dbs: Iterable<SnapshotDb>, aux: AuxFields = {}, opts: EncodeOptions = {}): Generator<Buffer> {
  const chunkSize = opts.chunkSize ?? 64 * 1024;
  const w = new Writer(chunkSize, opts.compress ?? false);
  w.latin1('REDIS' + String(RDB_VERSION).padStart(4, '0'));
  const fields = opts.defaultAux === false ? aux : { ...defaultAux(opts.now ?? Date.now()), ...aux };
  for (const [k, v] of Object.entries(fields)) {
    w.byte(OP_AUX);
    w.string(k);
    w.string(String(v));
  }
  for (const db of dbs) {
    if (db.data.size === 0) continue;
    w.byte(OP_SELECTDB);
    w.len(db.id);
    w.byte(OP_RESIZEDB);
    w.len(db.data.size);
    w.len(db.expires.size);
    for (const [key, v] of db.data) {
      const at = db.expires.get(key);
      if (at !== undefined) {
        w.byte(OP_EXPIRETIME_MS);
        w.int64LE(at);
      }
      writeEntry(w, key, v);
      if (w.hasChunks) for (const c of w.take(chunkSize)) yield c;
    }
  }
  w.byte(OP_EOF);
  for (const c of w.take(0)) yield c;
  yield opts.checksum === false ? Buffer.alloc(8) : w.crc.bytes();
}

/** The whole snapshot as one Buffer. */
export function encodeRdb(dbs: Iterable<SnapshotDb>, aux: AuxFields = {}, opts: EncodeOptions = {}): Buffer {
  return Buffer.concat([...encodeRdbChunks(dbs, aux, { chunkSize: 1 << 20, ...opts })]);
}

// ---------------------------------------------------------------------------------------
// Reader

class Truncated extends Error {}

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  need(n: number): void {
    if (this.pos + n > this.end) throw new Truncated();
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  /** A length, or for an encoded string the encoding in `enc` (then the return is -1). */
  lenOrEnc(): { len: number; enc: number } {
    const b = this.byte();
    const t = b >> 6;
    if (t === 0) return { len: b & 0x3f, enc: -1 };
    if (t === 1) return { len: ((b & 0x3f) << 8) | this.byte(), enc: -1 };
    if (t === 3) return { len: -1, enc: b & 0x3f };
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return { len: v, enc: -1 };
    }
    if (b === 0x81) {
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RdbError('format', `snapshot length ${v} at byte ${this.pos - 9} is out of range`);
      return { len: Number(v), enc: -1 };
    }
    throw new RdbError('format', `snapshot has an unknown length encoding 0x${b.toString(16)} at byte ${this.pos - 1}`);
  }

  len(): number {
    const at = this.pos;
    const r = this.lenOrEnc();
    if (r.enc >= 0) throw new RdbError('format', `snapshot has an encoded string where a length belongs, at byte ${at}`);
    return r.len;
  }

  /** A string's bytes as [start, end) of a buffer (decompressed into a new one for LZF). */
  stringBytes(): { buf: Buffer; start: number; end: number } {
    const at = this.pos;
    const { len, enc } = this.lenOrEnc();
    if (enc < 0) {
      this.need(len);
      const start = this.pos;
      this.pos += len;
      return { buf: this.buf, start, end: this.pos };
    }
    if (enc === ENC_LZF) {
      const clen = this.len();
      const ulen = this.len();
      this.need(clen);
      const start = this.pos;
      this.pos += clen;
      let out: Buffer;
      try {
        out = lzfDecompress(this.buf, start, start + clen, ulen);
      } catch (e) {
        throw new RdbError('format', `snapshot has a corrupt LZF string at byte ${at}: ${(e as Error).message}`);
      }
      return { buf: out, start: 0, end: out.length };
    }
    const s = Buffer.from(this.intString(enc, at), 'latin1');
    return { buf: s, start: 0, end: s.length };
  }

  private intString(enc: number, at: number): string {
    if (enc === ENC_INT8) {
      this.need(1);
      return String(this.buf.readInt8(this.pos++));
    }
    if (enc === ENC_INT16) {
      this.need(2);
      const v = this.buf.readInt16LE(this.pos);
      this.pos += 2;
      return String(v);
    }
    if (enc === ENC_INT32) {
      this.need(4);
      const v = this.buf.readInt32LE(this.pos);
      this.pos += 4;
      return String(v);
    }
    throw new RdbError('format', `snapshot has an unknown string encoding ${enc} at byte ${at}`);
  }

  string(): string {
    // Fast path for the common 6- and 14-bit lengths, without allocating.
    const b = this.buf;
    const p = this.pos;
    if (p + 1 < this.end) {
      const c = b[p];
      if (c < 0x40) {
        const e = p + 1 + c;
        if (e <= this.end) {
          this.pos = e;
          return latin1Slice(b, p + 1, e);
        }
      } else if (c < 0x80) {
        const e = p + 2 + (((c & 0x3f) << 8) | b[p + 1]);
        if (e <= this.end) {
          this.pos = e;
          return latin1Slice(b, p + 2, e);
        }
      }
    }
    return this.stringSlow();
  }

  private stringSlow(): string {
    const at = this.pos;
    const { len, enc } = this.lenOrEnc();
    if (enc < 0) {
      this.need(len);
      const s = latin1Slice(this.buf, this.pos, this.pos + len);
      this.pos += len;
      return s;
    }
    if (enc === ENC_LZF) {
      this.pos = at;
      const b = this.stringBytes();
      return b.buf.toString('latin1', b.start, b.end);
    }
    return this.intString(enc, at);
  }

  doubleLE(): number {
    this.need(8);
    const d = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return d;
  }

  /** RDB_TYPE_ZSET's score: a length byte then ASCII, with 253/254/255 for nan/inf/-inf. */
  doubleString(): number {
    const n = this.byte();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    this.need(n);
    const s = this.buf.toString('latin1', this.pos, this.pos + n);
    this.pos += n;
    const d = parseScore(s);
    if (Number.isNaN(d) && !/^nan$/i.test(s)) throw new RdbError('format', `snapshot has an invalid score '${s}' at byte ${this.pos - n - 1}`);
    return d;
  }

  int64LE(): number {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }
}

/** Elements of a listpack (Redis 7's small-collection encoding), integers as decimal. */
function listpackEntries(b: Buffer, start: number, end: number, what: string): string[] {
  const bad = (why: string): never => {
    throw new RdbError('format', `snapshot has a corrupt listpack in ${what}: ${why}`);
  };
  if (end - start < 7) bad('too short');
  const total = b.readUInt32LE(start);
  if (total !== end - start) bad(`header says ${total} bytes, blob has ${end - start}`);
  const count = b.readUInt16LE(start + 4);
  const out: string[] = [];
  let p = start + 6;
  const need = (n: number) => {
    if (p + n > end) bad('entry runs past the end');
  };
  for (;;) {
    need(1);
    const c = b[p];
    if (c === 0xff) break;
    const entryStart = p;
    if ((c & 0x80) === 0) {
      out.push(String(c & 0x7f));
      p += 1;
    } else if ((c & 0xc0) === 0x80) {
      const n = c & 0x3f;
      need(1 + n);
      out.push(b.toString('latin1', p + 1, p + 1 + n));
      p += 1 + n;
    } else if ((c & 0xe0) === 0xc0) {
      need(2);
      let v = ((c & 0x1f) << 8) | b[p + 1];
      if (v >= 1 << 12) v -= 1 << 13;
      out.push(String(v));
      p += 2;
    } else if ((c & 0xf0) === 0xe0) {
      need(2);
      const n = ((c & 0x0f) << 8) | b[p + 1];
      need(2 + n);
      out.push(b.toString('latin1', p + 2, p + 2 + n));
      p += 2 + n;
    } else if (c === 0xf0) {
      need(5);
      const n = b.readUInt32LE(p + 1);
      need(5 + n);
      out.push(b.toString('latin1', p + 5, p + 5 + n));
      p += 5 + n;
    } else if (c === 0xf1) {
      need(3);
      out.push(String(b.readInt16LE(p + 1)));
      p += 3;
    } else if (c === 0xf2) {
      need(4);
      out.push(String(b.readIntLE(p + 1, 3)));
      p += 4;
    } else if (c === 0xf3) {
      need(5);
      out.push(String(b.readInt32LE(p + 1)));
      p += 5;
    } else if (c === 0xf4) {
      need(9);
      out.push(b.readBigInt64LE(p + 1).toString());
      p += 9;
    } else {
      bad(`unknown entry encoding 0x${c.toString(16)}`);
    }
    const l = p - entryStart;
    p += l < 128 ? 1 : l < 16384 ? 2 : l < 2097152 ? 3 : l < 268435456 ? 4 : 5; // backlen
    if (p > end) bad('entry runs past the end');
  }
  if (p !== end - 1) bad('data after the end marker');
  // 65535 means "too many to count in the header".
  if (count !== 65535 && count !== out.length) bad(`header says ${count} entries, found ${out.length}`);
  return out;
}

/** Elements of a ziplist (Redis < 7's small-collection encoding). */
function ziplistEntries(b: Buffer, start: number, end: number, what: string): string[] {
  const bad = (why: string): never => {
    throw new RdbError('format', `snapshot has a corrupt ziplist in ${what}: ${why}`);
  };
  if (end - start < 11) bad('too short');
  if (b.readUInt32LE(start) !== end - start) bad('header length does not match');
  const count = b.readUInt16LE(start + 8);
  const out: string[] = [];
  let p = start + 10;
  const need = (n: number) => {
    if (p + n > end) bad('entry runs past the end');
  };
  for (;;) {
    need(1);
    if (b[p] === 0xff) break;
    p += b[p] === 0xfe ? 5 : 1; // prevlen
    need(1);
    const c = b[p];
    const t = c >> 6;
    if (t === 0) {
      const n = c & 0x3f;
      need(1 + n);
      out.push(b.toString('latin1', p + 1, p + 1 + n));
      p += 1 + n;
    } else if (t === 1) {
      need(2);
      const n = ((c & 0x3f) << 8) | b[p + 1];
      need(2 + n);
      out.push(b.toString('latin1', p + 2, p + 2 + n));
      p += 2 + n;
    } else if (t === 2) {
      need(5);
      const n = b.readUInt32BE(p + 1);
      need(5 + n);
      out.push(b.toString('latin1', p + 5, p + 5 + n));
      p += 5 + n;
    } else if (c === 0xc0) {
      need(3);
      out.push(String(b.readInt16LE(p + 1)));
      p += 3;
    } else if (c === 0xd0) {
      need(5);
      out.push(String(b.readInt32LE(p + 1)));
      p += 5;
    } else if (c === 0xe0) {
      need(9);
      out.push(b.readBigInt64LE(p + 1).toString());
      p += 9;
    } else if (c === 0xf0) {
      need(4);
      out.push(String(b.readIntLE(p + 1, 3)));
      p += 4;
    } else if (c === 0xfe) {
      need(2);
      out.push(String(b.readInt8(p + 1)));
      p += 2;
    } else if (c >= 0xf1 && c <= 0xfd) {
      out.push(String((c & 0x0f) - 1));
      p += 1;
    } else {
      bad(`unknown entry encoding 0x${c.toString(16)}`);
    }
  }
  if (p !== end - 1) bad('data after the end marker');
  if (count !== 65535 && count !== out.length) bad(`header says ${count} entries, found ${out.length}`);
  return out;
}

function intsetEntries(b: Buffer, start: number, end: number, what: string): string[] {
  const bad = (why: string): never => {
    throw new RdbError('format', `snapshot has a corrupt intset in ${what}: ${why}`);
  };
  if (end - start < 8) bad('too short');
  const width = b.readUInt32LE(start);
  const n = b.readUInt32LE(start + 4);
  if (width !== 2 && width !== 4 && width !== 8) bad(`element width ${width}`);
  if (8 + n * width !== end - start) bad('length does not match its element count');
  const out: string[] = new Array(n);
  let p = start + 8;
  for (let i = 0; i < n; i++, p += width) {
    out[i] = width === 2 ? String(b.readInt16LE(p)) : width === 4 ? String(b.readInt32LE(p)) : b.readBigInt64LE(p).toString();
  }
  return out;
}

function describeKey(key: string): string {
  const shown = key.length > 64 ? key.slice(0, 64) + '...' : key;
  return `'${shown.replace(/[^\x20-\x7e]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'))}'`;
}

type Blob = { buf: Buffer; start: number; end: number };

function pairsToHash(items: string[], what: string): Map<string, string> {
  if (items.length % 2 !== 0) throw new RdbError('format', `snapshot has an odd number of hash elements in ${what}`);
  const h = new Map<string, string>();
  for (let i = 0; i < items.length; i += 2) h.set(items[i], items[i + 1]);
  if (h.size * 2 !== items.length) throw new RdbError('format', `snapshot has duplicate hash fields in ${what}`);
  return h;
}

/** A score as strtod reads it from a listpack or an old ZSET: decimal, inf, -inf. */
function parseScore(s: string): number {
  const d = Number(s);
  if (!Number.isNaN(d) && s.trim() !== '') return d;
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return NaN;
}

/**
 * A zset being loaded: built as a skiplist, then made a listpack if small, as Redis's
 * rdbLoadObject does (it decides whether -0 survives: a listpack stores it as 0).
 */
function loadingZset(): SortedSet {
  const z = new SortedSet();
  z.listpack = false;
  return z;
}

function pairsToZset(items: string[], what: string): SortedSet {
  if (items.length % 2 !== 0) throw new RdbError('format', `snapshot has an odd number of sorted set elements in ${what}`);
  const z = loadingZset();
  for (let i = 0; i < items.length; i += 2) {
    const score = parseScore(items[i + 1]);
    if (Number.isNaN(score)) throw new RdbError('format', `snapshot has an invalid score '${items[i + 1]}' in ${what}`);
    if (!z.set(items[i], score)) throw new RdbError('format', `snapshot has duplicate sorted set members in ${what}`);
  }
  z.settleEncoding();
  return z;
}

function toSet(items: string[], what: string): Set<string> {
  const s = new Set(items);
  if (s.size !== items.length) throw new RdbError('format', `snapshot has duplicate set members in ${what}`);
  return s;
}

function readObject(r: Reader, type: number, key: string): Value {
  if (type === T_STRING) return r.string();
  const what = `key ${describeKey(key)}`;
  switch (type) {
    case T_LIST: {
      const n = r.len();
      const d = new Deque<string>();
      for (let i = 0; i < n; i++) d.pushBack(r.string());
      return d;
    }
    case T_SET: {
      const n = r.len();
      const s = new Set<string>();
      for (let i = 0; i < n; i++) s.add(r.string());
      if (s.size !== n) throw new RdbError('format', `snapshot has duplicate set members in ${what}`);
      return s;
    }
    case T_ZSET:
    case T_ZSET_2: {
      const n = r.len();
      const z = loadingZset();
      for (let i = 0; i < n; i++) {
        const m = r.string();
        const score = type === T_ZSET_2 ? r.doubleLE() : r.doubleString();
        if (Number.isNaN(score)) throw new RdbError('format', `snapshot has a NaN score in ${what}`);
        if (!z.set(m, score)) throw new RdbError('format', `snapshot has duplicate sorted set members in ${what}`);
      }
      z.settleEncoding();
      return z;
    }
    case T_HASH: {
      const n = r.len();
      const h = new Map<string, string>();
      for (let i = 0; i < n; i++) {
        const f = r.string();
        h.set(f, r.string());
      }
      if (h.size !== n) throw new RdbError('format', `snapshot has duplicate hash fields in ${what}`);
      return h;
    }
    case T_LIST_QUICKLIST:
    case T_LIST_QUICKLIST_2: {
      const nodes = r.len();
      const d = new Deque<string>();
      for (let i = 0; i < nodes; i++) {
        const container = type === T_LIST_QUICKLIST_2 ? r.len() : QUICKLIST_NODE_PACKED;
        const blob: Blob = r.stringBytes();
        if (container === QUICKLIST_NODE_PLAIN) {
          d.pushBack(blob.buf.toString('latin1', blob.start, blob.end));
        } else if (container === QUICKLIST_NODE_PACKED) {
          const items = type === T_LIST_QUICKLIST_2 ? listpackEntries(blob.buf, blob.start, blob.end, what) : ziplistEntries(blob.buf, blob.start, blob.end, what);
          for (const x of items) d.pushBack(x);
        } else {
          throw new RdbError('format', `snapshot has an unknown quicklist node type ${container} in ${what}`);
        }
      }
      return d;
    }
    case T_LIST_ZIPLIST: {
      const b = r.stringBytes();
      return new Deque(ziplistEntries(b.buf, b.start, b.end, what));
    }
    case T_SET_INTSET: {
      const b = r.stringBytes();
      return toSet(intsetEntries(b.buf, b.start, b.end, what), what);
    }
    case T_SET_LISTPACK: {
      const b = r.stringBytes();
      return toSet(listpackEntries(b.buf, b.start, b.end, what), what);
    }
    case T_ZSET_ZIPLIST:
    case T_ZSET_LISTPACK: {
      const b = r.stringBytes();
      const items = type === T_ZSET_LISTPACK ? listpackEntries(b.buf, b.start, b.end, what) : ziplistEntries(b.buf, b.start, b.end, what);
      return pairsToZset(items, what);
    }
    case T_HASH_ZIPLIST:
    case T_HASH_LISTPACK: {
      const b = r.stringBytes();
      const items = type === T_HASH_LISTPACK ? listpackEntries(b.buf, b.start, b.end, what) : ziplistEntries(b.buf, b.start, b.end, what);
      return pairsToHash(items, what);
    }
    case T_MODULE:
    case T_MODULE_2:
      throw new RdbError('unsupported', `snapshot holds a module value at ${what}, which memlab cannot load`);
    case T_STREAM_LISTPACKS:
    case T_STREAM_LISTPACKS_2:
    case T_STREAM_LISTPACKS_3:
      throw new RdbError('unsupported', `snapshot holds a stream at ${what}; memlab does not support streams`);
    case T_HASH_ZIPMAP:
      throw new RdbError('unsupported', `snapshot holds a zipmap-encoded hash at ${what} (Redis < 2.6 format), which memlab cannot load`);
    default:
      throw new RdbError('format', `snapshot has an unknown value type ${type} at ${what}`);
  }
}

function isEmptyAggregate(v: Value): boolean {
  if (typeof v === 'string') return false;
  if (v instanceof Deque) return v.length === 0;
  return v.size === 0;
}

/**
 * Parse a snapshot, handing each key to the visitor; returns the version and the offset
 * just past the EOF opcode. Keys are delivered before the checksum is verified: callers
 * that apply them to a live keyspace should use decodeRdb.
 */
function parse(buf: Buffer, visitor: RdbVisitor): { version: number; eof: number } {
  if (buf.length < 9 || buf.toString('latin1', 0, 5) !== 'REDIS') throw new RdbError('format', 'snapshot is not an RDB file (no REDIS header)');
  const vs = buf.toString('latin1', 5, 9);
  if (!/^\d{4}$/.test(vs)) throw new RdbError('format', `snapshot has an invalid RDB version '${vs}'`);
  const version = Number(vs);
  if (version < 1 || version > 11) throw new RdbError('unsupported', `snapshot has RDB version ${version}; memlab reads versions 1 to 11`);
  const r = new Reader(buf, 9, buf.length);
  let db = 0;
  let expireAt = -1;
  for (;;) {
    const op = r.byte();
    switch (op) {
      case OP_EOF:
        return { version, eof: r.pos };
      case OP_SELECTDB:
        db = r.len();
        continue;
      case OP_RESIZEDB:
        r.len();
        r.len();
        continue;
      case OP_AUX: {
        const k = r.string();
        const v = r.string();
        visitor.aux?.(k, v);
        continue;
      }
      case OP_EXPIRETIME_MS:
        expireAt = r.int64LE();
        continue;
      case OP_EXPIRETIME: {
        r.need(4);
        expireAt = buf.readInt32LE(r.pos) * 1000;
        r.pos += 4;
        continue;
      }
      case OP_IDLE:
        r.len();
        continue;
      case OP_FREQ:
        r.byte();
        continue;
      case OP_MODULE_AUX:
        throw new RdbError('unsupported', 'snapshot holds module data, which memlab cannot load');
      case OP_FUNCTION:
      case OP_FUNCTION2:
        throw new RdbError('unsupported', 'snapshot holds Redis functions (FUNCTION LOAD), which memlab does not support');
      default: {
        const key = r.string();
        const value = readObject(r, op, key);
        if (!isEmptyAggregate(value)) visitor.key(db, key, value, expireAt);
        expireAt = -1;
      }
    }
  }
}

function hex64(v: bigint): string {
  return '0x' + v.toString(16).padStart(16, '0');
}

/**
 * Read a snapshot through a visitor. Structure errors, truncation and (after the last key)
 * a checksum mismatch throw RdbError.
 */
export function readRdb(buf: Buffer, visitor: RdbVisitor, opts: DecodeOptions = {}): { version: number; aux: Map<string, string> } {
  const aux = new Map<string, string>();
  const v: RdbVisitor = {
    aux: (k, x) => {
      aux.set(k, x);
      visitor.aux?.(k, x);
    },
    key: visitor.key,
  };
  let res: { version: number; eof: number };
  try {
    res = parse(buf, v);
  } catch (e) {
    const whole = buf.length >= 17 ? checkTail(buf) : null;
    if (e instanceof Truncated) {
      throw new RdbError('truncated', `snapshot truncated: it ends at byte ${buf.length}, inside a record`);
    }
    // Corruption usually shows up as a structure error; the checksum says which it is.
    if (e instanceof RdbError && e.kind === 'format' && whole && !whole.ok) {
      throw new RdbError('checksum', `snapshot checksum mismatch: stored ${hex64(whole.stored)}, computed ${hex64(whole.computed)} (${e.message})`);
    }
    throw e;
  }
  const { version, eof } = res;
  if (version >= 5) {
    if (eof + 8 > buf.length) throw new RdbError('truncated', `snapshot truncated: only ${buf.length - eof} of the 8 checksum bytes follow EOF`);
    const stored = buf.readBigUInt64LE(eof);
    if (stored === 0n) {
      if (opts.requireChecksum) throw new RdbError('checksum', 'snapshot checksum mismatch: the snapshot was written without a checksum (rdbchecksum no)');
    } else {
      const computed = new Crc64().update(buf, 0, eof).value;
      if (computed !== stored) throw new RdbError('checksum', `snapshot checksum mismatch: stored ${hex64(stored)}, computed ${hex64(computed)}`);
    }
    if (eof + 8 !== buf.length) throw new RdbError('format', `snapshot has ${buf.length - eof - 8} bytes of trailing data after its checksum`);
  } else if (eof !== buf.length) {
    throw new RdbError('format', `snapshot has ${buf.length - eof} bytes of trailing data after EOF`);
  }
  return { version, aux };
}

// Whether the last 8 bytes are the CRC64 of the rest (a well-formed snapshot's layout).
function checkTail(buf: Buffer): { ok: boolean; stored: bigint; computed: bigint } {
  const stored = buf.readBigUInt64LE(buf.length - 8);
  const computed = new Crc64().update(buf, 0, buf.length - 8).value;
  return { ok: stored === 0n || stored === computed, stored, computed };
}

/** Decode a whole snapshot into databases and AUX fields. */
export function decodeRdb(buf: Buffer, opts: DecodeOptions = {}): DecodedRdb {
  const byId = new Map<number, RdbDb>();
  const dbs: RdbDb[] = [];
  const { version, aux } = readRdb(
    buf,
    {
      key(id, key, value, expireAt) {
        let db = byId.get(id);
        if (!db) {
          db = { id, data: new Map(), expires: new Map() };
          byId.set(id, db);
          dbs.push(db);
        }
        const before = db.data.size;
        db.data.set(key, value);
        if (db.data.size === before) throw new RdbError('format', `snapshot holds key ${describeKey(key)} twice in DB ${id}`);
        if (expireAt !== -1) db.expires.set(key, expireAt);
      },
    },
    opts,
  );
  return { version, aux, dbs };
}
