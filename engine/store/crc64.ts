/**
 * CRC-64/Jones as Redis's crc64.c computes it (reflected polynomial 0x95ac9329ac4bc9b5,
 * init 0, no final xor): the checksum at the end of an RDB file. crc64("123456789") is
 * 0xe9c6d914c4b8d9ca.
 *
 * JS has no fast 64-bit integers, so the CRC is carried as two uint32 halves, and
 * slicing-by-8 (eight tables) keeps snapshot checksums near memory speed.
 */

const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

// T_HI[k * 256 + n], T_LO[...]: table k of slicing-by-8.
const T_HI = new Uint32Array(8 * 256);
const T_LO = new Uint32Array(8 * 256);

for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let b = 0; b < 8; b++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  T_HI[n] = hi;
  T_LO[n] = lo;
}
for (let k = 1; k < 8; k++) {
  for (let n = 0; n < 256; n++) {
    const phi = T_HI[(k - 1) * 256 + n];
    const plo = T_LO[(k - 1) * 256 + n];
    const i = plo & 0xff;
    T_HI[k * 256 + n] = (T_HI[i] ^ (phi >>> 8)) >>> 0;
    T_LO[k * 256 + n] = (T_LO[i] ^ ((plo >>> 8) | (phi << 24))) >>> 0;
  }
}

/** An incremental CRC64: feed chunks with `update`, read `value` (a bigint) at the end. */
export class Crc64 {
  private hi = 0;
  private lo = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let hi = this.hi;
    let lo = this.lo;
    let i = start;
    for (; i + 8 <= end; i += 8) {
      const a = lo ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
      const b = hi ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24));
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      hi = T_HI[i7] ^ T_HI[i6] ^ T_HI[i5] ^ T_HI[i4] ^ T_HI[i3] ^ T_HI[i2] ^ T_HI[i1] ^ T_HI[i0];
      lo = T_LO[i7] ^ T_LO[i6] ^ T_LO[i5] ^ T_LO[i4] ^ T_LO[i3] ^ T_LO[i2] ^ T_LO[i1] ^ T_LO[i0];
    }
    for (; i < end; i++) {
      const n = (lo ^ buf[i]) & 0xff;
      lo = (lo >>> 8) | (hi << 24);
      hi = hi >>> 8;
      hi ^= T_HI[n];
      lo ^= T_LO[n];
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  get value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** The CRC as Redis stores it after the RDB EOF opcode: 8 bytes little-endian. */
  bytes(): Buffer {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32LE(this.lo, 0);
    b.writeUInt32LE(this.hi, 4);
    return b;
  }
}

export function crc64(buf: Uint8Array, start = 0, end = buf.length): bigint {
  return new Crc64().update(buf, start, end).value;
}
