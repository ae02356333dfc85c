import { Deque } from './deque.js';
import { SortedSet } from './sorted-set.js';
import type { Value } from './value.js';
import type { KeyspaceView } from './key-table.js';
import { formatDouble17g } from '../commands/args.js';

/**
 * Redis's DEBUG DIGEST (debug.c, 7.0), byte for byte, so that a memlab node and a real
 * redis-server holding the same data report the same 40 hex chars. Per key, a 20-byte
 * digest mixes the key, the type and the value (ordered parts mixed in order, unordered
 * parts XORed so iteration order does not matter) plus "!!expire!!" if it has a TTL; the
 * dataset digest XORs the key digests of each db after mixing in the db number.
 */

export const EMPTY_DIGEST = '0'.repeat(40);

const TYPE_STRING = 0;
const TYPE_LIST = 1;
const TYPE_SET = 2;
const TYPE_ZSET = 3;
const TYPE_HASH = 4;

// SHA1 in JS: the digest hashes millions of tiny inputs, where crypto.createHash's
// per-call cost (~3 us) dominates; this runs about ten times faster on them.
const W = new Int32Array(80);
const H = new Int32Array(5);
const SCRATCH = new Uint8Array(20);

function sha1Block(): void {
  for (let i = 16; i < 80; i++) {
    const t = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
    W[i] = (t << 1) | (t >>> 31);
  }
  let a = H[0];
  let b = H[1];
  let c = H[2];
  let d = H[3];
  let e = H[4];
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
}

/** SHA1 of a binary string or bytes into out[0..20). `out` may be the input. */
export function sha1Into(data: string | Uint8Array, out: Uint8Array): void {
  const len = data.length;
  const str = typeof data === 'string';
  const blocks = ((len + 8) >>> 6) + 1;
  H[0] = 0x67452301;
  H[1] = 0xefcdab89 | 0;
  H[2] = 0x98badcfe | 0;
  H[3] = 0x10325476;
  H[4] = 0xc3d2e1f0 | 0;
  for (let blk = 0; blk < blocks; blk++) {
    const base = blk * 64;
    if (base + 64 <= len) {
      if (str) {
        const s = data as string;
        for (let i = 0, p = base; i < 16; i++, p += 4) W[i] = (s.charCodeAt(p) << 24) | (s.charCodeAt(p + 1) << 16) | (s.charCodeAt(p + 2) << 8) | s.charCodeAt(p + 3);
      } else {
        const u = data as Uint8Array;
        for (let i = 0, p = base; i < 16; i++, p += 4) W[i] = (u[p] << 24) | (u[p + 1] << 16) | (u[p + 2] << 8) | u[p + 3];
      }
    } else {
      // The tail: data, the 0x80 marker, zeros, and in the last block the bit length.
      for (let i = 0; i < 16; i++) {
        let w = 0;
        for (let k = 0, p = base + i * 4; k < 4; k++, p++) {
          const byte = p < len ? (str ? (data as string).charCodeAt(p) : (data as Uint8Array)[p]) : p === len ? 0x80 : 0;
          w = (w << 8) | byte;
        }
        W[i] = w;
      }
      if (blk === blocks - 1) {
        W[14] = Math.floor(len / 0x20000000);
        W[15] = (len * 8) | 0;
      }
    }
    sha1Block();
  }
  for (let i = 0; i < 5; i++) {
    const h = H[i];
    out[i * 4] = h >>> 24;
    out[i * 4 + 1] = (h >>> 16) & 0xff;
    out[i * 4 + 2] = (h >>> 8) & 0xff;
    out[i * 4 + 3] = h & 0xff;
  }
}

function xorDigest(digest: Uint8Array, data: string | Uint8Array): void {
  sha1Into(data, SCRATCH);
  for (let j = 0; j < 20; j++) digest[j] ^= SCRATCH[j];
}

function mixDigest(digest: Uint8Array, data: string | Uint8Array): void {
  xorDigest(digest, data);
  sha1Into(digest, digest);
}

function u32be(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

const TYPE_BYTES = [TYPE_STRING, TYPE_LIST, TYPE_SET, TYPE_ZSET, TYPE_HASH].map(u32be);

/** Redis's xorObjectDigest: folds a value (and whether it has a TTL) into `digest`. */
function xorObjectDigest(digest: Uint8Array, v: Value, hasExpire: boolean): void {
  if (typeof v === 'string') {
    mixDigest(digest, TYPE_BYTES[TYPE_STRING]);
    mixDigest(digest, v);
  } else if (v instanceof Deque) {
    mixDigest(digest, TYPE_BYTES[TYPE_LIST]);
    for (const x of v) mixDigest(digest, x);
  } else if (v instanceof Set) {
    mixDigest(digest, TYPE_BYTES[TYPE_SET]);
    for (const x of v) xorDigest(digest, x);
  } else if (v instanceof SortedSet) {
    mixDigest(digest, TYPE_BYTES[TYPE_ZSET]);
    const ele = new Uint8Array(20);
    for (const [m, score] of v.entries()) {
      ele.fill(0);
      mixDigest(ele, m);
      mixDigest(ele, formatDouble17g(score));
      xorDigest(digest, ele);
    }
  } else if (v instanceof Map) {
    mixDigest(digest, TYPE_BYTES[TYPE_HASH]);
    const ele = new Uint8Array(20);
    for (const [f, x] of v) {
      ele.fill(0);
      mixDigest(ele, f);
      mixDigest(ele, x);
      xorDigest(digest, ele);
    }
  } else {
    throw new Error('invariant: unknown value type in keyspace');
  }
  if (hasExpire) xorDigest(digest, '!!expire!!');
}

/** DEBUG DIGEST-VALUE for one value: 40 hex chars (40 zeros for a missing key). */
export function valueDigest(v: Value | undefined, hasExpire: boolean): string {
  const d = Buffer.alloc(20);
  if (v !== undefined) xorObjectDigest(d, v, hasExpire);
  return d.toString('hex');
}

/** What the digest needs of a database: Database and RdbDb satisfy it. */
export interface DigestDb {
  readonly id: number;
  readonly data: KeyspaceView<Value>;
  readonly expires: ReadonlyMap<string, number>;
}

/**
 * DEBUG DIGEST over all databases. Like Redis it sees every stored key, including ones
 * whose TTL has passed but that were not deleted yet.
 */
export function datasetDigestBytes(dbs: Iterable<DigestDb>): Buffer {
  const final = Buffer.alloc(20);
  const d = Buffer.alloc(20);
  // Redis walks dbs in id order and the db id is mixed in, so order matters.
  const sorted = [...dbs].sort((a, b) => a.id - b.id);
  for (const db of sorted) {
    if (db.data.size === 0) continue;
    mixDigest(final, u32be(db.id));
    for (const [key, v] of db.data) {
      d.fill(0);
      mixDigest(d, key);
      xorObjectDigest(d, v, db.expires.has(key));
      xorDigest(final, d);
    }
  }
  return final;
}

export function datasetDigest(dbs: Iterable<DigestDb>): string {
  return datasetDigestBytes(dbs).toString('hex');
}
