/**
 * A minimal RESP2 client for the chaos harness's own connections (supervisor probes,
 * failover commands, the final read-back). ioredis cannot pick its source address, and
 * the lab's faults tell processes apart by source address, so these dial with
 * `localAddress`. Replies come back in order; an error reply resolves to a RespError
 * (it is an answer, not a transport failure); transport failures reject.
 */
import net from 'node:net';

export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

export type RespValue = string | number | null | RespError | RespValue[];

interface Pending {
  resolve: (v: RespValue) => void;
  reject: (e: Error) => void;
}

export function encodeCommand(args: readonly (string | number)[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) {
    const v = String(a);
    s += `$${Buffer.byteLength(v)}\r\n${v}\r\n`;
  }
  return s;
}

/** Parse one reply from `buf` at `pos`; null when incomplete. */
export function parseReply(buf: Buffer, pos: number): { value: RespValue; end: number } | null {
  if (pos >= buf.length) return null;
  const nl = buf.indexOf('\r\n', pos);
  if (nl < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, nl);
  const next = nl + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return null;
      return { value: buf.toString('utf8', next, next + n), end: next + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (!r) return null;
        items.push(r.value);
        p = r.end;
      }
      return { value: items, end: p };
    }
    default:
      throw new Error(`RESP: unexpected reply type byte 0x${buf[pos].toString(16)}`);
  }
}

export interface RespConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
  timeoutMs?: number;
}

export class RespConnection {
  private buf: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private closedError: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('connection closed')));
  }

  static connect(o: RespConnectOptions): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: o.host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
      sock.setNoDelay(true);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect ${o.host}:${o.port}: timed out after ${o.timeoutMs ?? 1000} ms`));
      }, o.timeoutMs ?? 1000);
      sock.once('connect', () => {
        clearTimeout(timer);
        resolve(new RespConnection(sock));
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Send a command; rejects on transport failure or after `timeoutMs` (the connection is then destroyed: its reply order is lost). */
  call(args: readonly (string | number)[], timeoutMs = 1000): Promise<RespValue> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.destroy(new Error(`${String(args[0])}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sock.write(encodeCommand(args));
    });
  }

  destroy(reason: Error = new Error('connection closed')): void {
    this.fail(reason);
    this.sock.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let pos = 0;
    for (;;) {
      const r = parseReply(this.buf, pos);
      if (!r) break;
      pos = r.end;
      const p = this.pending.shift();
      if (!p) {
        this.destroy(new Error('RESP: reply without a request'));
        return;
      }
      p.resolve(r.value);
    }
    this.buf = pos === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
  }

  private fail(e: Error): void {
    if (!this.closedError) this.closedError = e;
    while (this.pending.length) this.pending.shift()!.reject(this.closedError);
  }
}

/** INFO text into key/value pairs. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
