/**
 * LZF (liblzf 3.x), the compression Redis applies to RDB strings longer than 20 bytes when
 * `rdbcompression` is on. The format: a control byte below 32 starts a run of ctrl+1
 * literal bytes; otherwise its top 3 bits are a match length - 2 (7 means an extra length
 * byte follows) and its low 5 bits plus the next byte are the back offset - 1.
 */

const HLOG = 14;
const HSIZE = 1 << HLOG;
const MAX_LIT = 32;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

// Reused between calls: the encoder runs synchronously, one string at a time. Slots hold
// `base + position`; a slot below the current call's base is stale, so the table never
// needs clearing (a 64 KiB fill per short string would dominate).
const htab = new Int32Array(HSIZE);
let base = 0;

function hashAt(b: Uint8Array, i: number): number {
  const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
  return (Math.imul(v, 0x9e3779b1) >>> (32 - HLOG)) & (HSIZE - 1);
}

/**
 * Compress `input` into `out`; returns the compressed length, or 0 if it does not fit in
 * `out` (Redis then stores the string raw).
 */
export function lzfCompress(input: Uint8Array, out: Uint8Array): number {
  const inEnd = input.length;
  const outEnd = out.length;
  if (inEnd === 0) return 0;
  if (base + inEnd + 1 > 0x7fffffff - 1) {
    htab.fill(0);
    base = 0;
  }
  const b0 = base + 1;
  base = b0 + inEnd;
  let ip = 0;
  let op = 1; // reserved: length byte of the current literal run
  let lit = 0;
  while (ip < inEnd - 2) {
    const h = hashAt(input, ip);
    const ref = htab[h] - b0;
    htab[h] = b0 + ip;
    const off = ip - ref - 1;
    if (ref >= 0 && off < MAX_OFF && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return 0;
      out[op - lit - 1] = lit - 1; // close the literal run
      if (lit === 0) op--; // an empty run takes no byte
      do len++;
      while (len < maxlen && input[ref + len] === input[ip + len]);
      const matched = len;
      len -= 2;
      if (len < 7) {
        out[op++] = (off >> 8) + (len << 5);
      } else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++;
      // Index the positions inside the match so later data can refer to them.
      const next = ip + matched;
      for (let p = ip + 1; p < next && p < inEnd - 2; p++) htab[hashAt(input, p)] = b0 + p;
      ip = next;
    } else {
      if (op >= outEnd) return 0;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return 0;
  while (ip < inEnd) {
    if (op >= outEnd) return 0;
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return op;
}

/**
 * Decompress exactly `outLen` bytes from input[start, end). Throws (message without
 * context; the RDB reader adds it) if the data is malformed or does not decode to outLen.
 */
export function lzfDecompress(input: Uint8Array, start: number, end: number, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > outLen) throw new Error('LZF data decodes to more bytes than announced');
      if (ip + n > end) throw new Error('LZF literal run runs past the end of the data');
      for (let k = 0; k < n; k++) out[op++] = input[ip++];
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= end) throw new Error('LZF data ends inside a back reference');
        len += input[ip++];
      }
      if (ip >= end) throw new Error('LZF data ends inside a back reference');
      let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
      len += 2;
      if (ref < 0) throw new Error('LZF back reference points before the start of the data');
      if (op + len > outLen) throw new Error('LZF data decodes to more bytes than announced');
      // Byte by byte: a reference may overlap the bytes it produces (run-length style).
      for (let k = 0; k < len; k++) out[op++] = out[ref++];
    }
  }
  if (op !== outLen) throw new Error(`LZF data decodes to ${op} bytes, ${outLen} announced`);
  return out;
}
