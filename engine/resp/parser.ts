/**
 * Streaming RESP request parser (what a server reads from clients): multibulk arrays of
 * bulk strings and inline commands, over chunks split at any byte. Pull-based: `feed`
 * chunks, then call `next()` until it returns null, so a blocked client can stop halfway
 * through a pipeline and resume later with the rest still buffered.
 *
 * Arguments come out as binary strings (latin1, one char per byte).
 */

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface ParserLimits {
  /** proto-max-bulk-len: the largest bulk string accepted. */
  maxBulkLen: number;
  /** The largest element count of one multibulk request (Redis: 1024*1024). */
  maxMultibulkLen: number;
  /** client-query-buffer-limit: bytes buffered for one client before it is disconnected. */
  queryBufferLimit: number;
  /** The longest inline command, or header line. */
  maxInlineLen: number;
}

export const DEFAULT_LIMITS: ParserLimits = {
  maxBulkLen: 512 * 1024 * 1024,
  maxMultibulkLen: 1024 * 1024,
  queryBufferLimit: 1024 * 1024 * 1024,
  maxInlineLen: 64 * 1024,
};

/** Limits Redis applies to clients that have not authenticated yet. */
export const UNAUTHENTICATED_LIMITS = { maxBulkLen: 16384, maxMultibulkLen: 10 };

// Above this size a pending bulk is collected as a list of chunks, not by re-concatenating.
const BIG_BULK = 32 * 1024;

// Buffer#latin1Slice is Node's fast path behind toString('latin1'), without argument checks.
type Latin1 = { latin1Slice(start: number, end: number): string };
const latin1 = (b: Buffer, start: number, end: number): string => (b as unknown as Latin1).latin1Slice(start, end);

const CR = 13;
const LF = 10;

export class RequestParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  // Multibulk being assembled.
  private args: string[] | null = null;
  private remaining = 0;
  private bulkLen = -1;
  // Big bulk collection.
  private bigChunks: Buffer[] | null = null;
  private bigHave = 0;
  private failed: ProtocolError | null = null;
  limits: ParserLimits;
  /** When false, the stricter pre-authentication limits apply. */
  authenticated = true;

  constructor(limits: Partial<ParserLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Bytes received but not yet parsed into a complete command. */
  get buffered(): number {
    return this.buf.length - this.pos + this.bigHave;
  }

  /**
   * Bytes of input parsed so far. Read right after `next()` returned a command, the
   * difference from the previous such reading is that command's exact size (a replica
   * counts its offset with it); mid-command it also counts the partial command's bytes.
   */
  get consumed(): number {
    return this.fedBytes - this.buffered;
  }

  private fedBytes = 0;

  feed(chunk: Buffer): void {
    if (this.failed) return;
    this.fedBytes += chunk.length;
    if (this.bigChunks) {
      this.bigChunks.push(chunk);
      this.bigHave += chunk.length;
    } else if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
    if (this.buffered > this.limits.queryBufferLimit) {
      this.failed = new ProtocolError(
        `Protocol error: query buffer of ${this.buffered} bytes exceeds client-query-buffer-limit (${this.limits.queryBufferLimit})`,
      );
    }
  }

  /**
   * The next complete command, `null` when more bytes are needed. An empty array is never
   * returned (empty requests are skipped, as Redis does). Throws ProtocolError once the
   * stream is unusable; the caller replies with the message and closes the connection.
   */
  next(): string[] | null {
    if (this.failed) throw this.failed;
    try {
      return this.parse();
    } catch (e) {
      if (e instanceof ProtocolError) this.failed = e;
      throw e;
    }
  }

  private parse(): string[] | null {
    for (;;) {
      if (this.bigChunks) {
        if (!this.finishBigBulk()) return null;
        if (this.remaining === 0) return this.take();
        continue;
      }
      const buf = this.buf;
      if (this.args === null) {
        if (this.pos >= buf.length) return null;
        if (buf[this.pos] !== 42 /* '*' */) {
          const inline = this.parseInline();
          if (inline === null) return null;
          if (inline.length === 0) continue;
          return inline;
        }
        const n = this.readNumberLine(this.pos + 1, 'mbulk');
        if (n === null) return null;
        const [count, after] = n;
        const maxMb = this.authenticated ? this.limits.maxMultibulkLen : UNAUTHENTICATED_LIMITS.maxMultibulkLen;
        if (count > maxMb) throw new ProtocolError('Protocol error: invalid multibulk length');
        this.pos = after;
        if (count <= 0) continue;
        this.args = [];
        this.remaining = count;
        this.bulkLen = -1;
      }
      // Bulk strings of the current multibulk.
      while (this.remaining > 0) {
        if (this.bulkLen < 0) {
          if (this.pos >= buf.length) return null;
          if (buf[this.pos] !== 36 /* '$' */) {
            throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(buf[this.pos])}'`);
          }
          const n = this.readNumberLine(this.pos + 1, 'bulk');
          if (n === null) return null;
          const [len, after] = n;
          const maxBulk = this.authenticated ? this.limits.maxBulkLen : UNAUTHENTICATED_LIMITS.maxBulkLen;
          if (len < 0 || len > maxBulk) throw new ProtocolError('Protocol error: invalid bulk length');
          this.pos = after;
          this.bulkLen = len;
        }
        const need = this.bulkLen + 2;
        const have = buf.length - this.pos;
        if (have < need) {
          if (this.bulkLen >= BIG_BULK) {
            this.bigChunks = [buf.subarray(this.pos)];
            this.bigHave = have;
            this.buf = Buffer.alloc(0);
            this.pos = 0;
            return this.finishBigBulk() ? (this.remaining === 0 ? this.take() : this.parse()) : null;
          }
          return null;
        }
        const end = this.pos + this.bulkLen;
        if (buf[end] !== CR || buf[end + 1] !== LF) {
          throw new ProtocolError('Protocol error: bulk string is not terminated by CRLF');
        }
        this.args!.push(latin1(buf, this.pos, end));
        this.pos = end + 2;
        this.bulkLen = -1;
        this.remaining--;
      }
      return this.take();
    }
  }

  private take(): string[] {
    const args = this.args!;
    this.args = null;
    this.bulkLen = -1;
    if (this.pos >= this.buf.length) {
      this.buf = Buffer.alloc(0);
      this.pos = 0;
    }
    return args;
  }

  /** Completes a large bulk from collected chunks; true when it is done. */
  private finishBigBulk(): boolean {
    const need = this.bulkLen + 2;
    if (this.bigHave < need) return false;
    const all = Buffer.concat(this.bigChunks!, this.bigHave);
    this.bigChunks = null;
    this.bigHave = 0;
    if (all[this.bulkLen] !== CR || all[this.bulkLen + 1] !== LF) {
      throw new ProtocolError('Protocol error: bulk string is not terminated by CRLF');
    }
    this.args!.push(latin1(all, 0, this.bulkLen));
    this.buf = all.subarray(need);
    this.pos = 0;
    this.bulkLen = -1;
    this.remaining--;
    return true;
  }

  /** Parses `<digits>\r\n` starting at `from`; null when the line is incomplete. */
  private readNumberLine(from: number, what: 'mbulk' | 'bulk'): [number, number] | null {
    const buf = this.buf;
    let i = from;
    let neg = false;
    let n = 0;
    let digits = 0;
    if (i < buf.length && buf[i] === 45 /* '-' */) {
      neg = true;
      i++;
    }
    for (; i < buf.length; i++) {
      const c = buf[i];
      if (c >= 48 && c <= 57) {
        n = n * 10 + (c - 48);
        if (++digits > 18) throw new ProtocolError(`Protocol error: invalid ${what === 'mbulk' ? 'multibulk' : 'bulk'} length`);
      } else break;
    }
    if (i >= buf.length || (i + 1 >= buf.length && buf[i] === CR)) {
      if (buf.length - from > this.limits.maxInlineLen) {
        throw new ProtocolError(`Protocol error: too big ${what} count string`);
      }
      return null;
    }
    if (buf[i] !== CR || buf[i + 1] !== LF || digits === 0) {
      throw new ProtocolError(`Protocol error: invalid ${what === 'mbulk' ? 'multibulk' : 'bulk'} length`);
    }
    return [neg ? -n : n, i + 2];
  }

  private parseInline(): string[] | null {
    const buf = this.buf;
    const nl = buf.indexOf(LF, this.pos);
    if (nl < 0) {
      if (buf.length - this.pos > this.limits.maxInlineLen) {
        throw new ProtocolError('Protocol error: too big inline request');
      }
      return null;
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const text = latin1(buf, this.pos, end);
    this.pos = nl + 1;
    const args = splitArgs(text);
    if (args === null) throw new ProtocolError('Protocol error: unbalanced quotes in request');
    return args;
  }
}

function isHex(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

/**
 * Redis's sdssplitargs: whitespace-separated words, "double quotes" with \n \r \t \b \a
 * \\ \" and \xHH escapes, 'single quotes' with \'. Returns null on unbalanced quotes or a
 * closing quote not followed by a space.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const space = (c: string) => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
  for (;;) {
    while (i < n && space(line[i])) i++;
    if (i >= n) return out;
    let cur = '';
    let inq = false;
    let insq = false;
    for (;;) {
      if (inq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === '\\' && i + 3 < n && line[i + 1] === 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
          cur += String.fromCharCode(parseInt(line.substr(i + 2, 2), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i];
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !space(line[i + 1])) return null;
          inq = false;
          i++;
          break;
        } else cur += c;
        i++;
      } else if (insq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === '\\' && i + 1 < n && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !space(line[i + 1])) return null;
          insq = false;
          i++;
          break;
        } else cur += c;
        i++;
      } else {
        if (i >= n) break;
        const c = line[i];
        if (space(c)) break;
        if (c === '"') inq = true;
        else if (c === "'") insq = true;
        else cur += c;
        i++;
      }
    }
    out.push(cur);
  }
}
