/**
 * A small RESP2 client for the supervisor and `memlab status`: one connection, pipelined
 * calls answered in order, dialed from a chosen local address (the lab filters faults on
 * it). ioredis would hide reconnects and queue commands while a node is down, which is
 * exactly what a failure detector must not do.
 */
import net from 'node:net';
import { encodeCommand } from '../../engine/resp/encoder.js';
import type { Endpoint } from '../network/delay-line.js';

export type RespValue = string | number | null | RespError | RespValue[];

export class RespError {
  constructor(readonly message: string) {}
}

/** Incremental RESP2 reply parser over latin1 strings. */
export class ReplyParser {
  private buf = '';
  private pos = 0;

  feed(chunk: Buffer): void {
    this.buf = this.buf.slice(this.pos) + chunk.toString('latin1');
    this.pos = 0;
  }

  /** The next complete reply, or undefined when more bytes are needed. */
  next(): RespValue | undefined {
    const start = this.pos;
    const v = this.parse();
    if (v === undefined) this.pos = start;
    return v;
  }

  private line(): string | undefined {
    const nl = this.buf.indexOf('\r\n', this.pos);
    if (nl < 0) return undefined;
    const l = this.buf.slice(this.pos, nl);
    this.pos = nl + 2;
    return l;
  }

  private parse(): RespValue | undefined {
    if (this.pos >= this.buf.length) return undefined;
    const t = this.buf[this.pos];
    const save = this.pos;
    this.pos++;
    const l = this.line();
    if (l === undefined) {
      this.pos = save;
      return undefined;
    }
    switch (t) {
      case '+':
        return l;
      case '-':
        return new RespError(l);
      case ':':
        return Number(l);
      case '$': {
        const n = Number(l);
        if (n < 0) return null;
        if (this.buf.length < this.pos + n + 2) return undefined;
        const s = this.buf.slice(this.pos, this.pos + n);
        this.pos += n + 2;
        return s;
      }
      case '*': {
        const n = Number(l);
        if (n < 0) return null;
        const out: RespValue[] = [];
        for (let i = 0; i < n; i++) {
          const v = this.parse();
          if (v === undefined) return undefined;
          out.push(v);
        }
        return out;
      }
      default:
        throw new Error(`unexpected RESP type byte ${JSON.stringify(t)}`);
    }
  }
}

export interface RespConnectOptions {
  localAddress?: string;
  timeoutMs?: number;
}

export class RespClient {
  private readonly pending: { resolve: (v: RespValue) => void; reject: (e: Error) => void; sentAt: number }[] = [];
  private readonly parser = new ReplyParser();
  closed = false;

  private constructor(
    readonly endpoint: Endpoint,
    private readonly sock: net.Socket,
  ) {
    sock.on('data', (d: Buffer) => {
      this.parser.feed(d);
      for (let v = this.parser.next(); v !== undefined; v = this.parser.next()) this.pending.shift()?.resolve(v);
    });
    sock.on('error', () => {});
    sock.on('close', () => this.fail(new Error(`connection to ${endpoint.host}:${endpoint.port} closed`)));
  }

  static connect(endpoint: Endpoint, opts: RespConnectOptions = {}): Promise<RespClient> {
    const timeoutMs = opts.timeoutMs ?? 2000;
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`cannot connect to ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new RespClient(endpoint, s));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${endpoint.host}:${endpoint.port}: ${e.message}`));
      });
    });
  }

  /** Send one command; resolves with its reply (errors resolve as RespError). */
  call(argv: readonly string[]): Promise<RespValue> {
    if (this.closed) return Promise.reject(new Error(`connection to ${this.endpoint.host}:${this.endpoint.port} closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject, sentAt: performance.now() });
      this.sock.write(encodeCommand(argv), 'latin1');
    });
  }

  /** As call, rejecting after `timeoutMs` (the connection is then unusable: close it). */
  callTimeout(argv: readonly string[], timeoutMs: number): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${argv[0]} to ${this.endpoint.host}:${this.endpoint.port}: no reply within ${timeoutMs} ms`)), timeoutMs);
      this.call(argv).then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  }

  /** Age (ms) of the oldest unanswered call, 0 when none. */
  oldestPendingMs(): number {
    return this.pending.length ? performance.now() - this.pending[0].sentAt : 0;
  }

  get inFlight(): number {
    return this.pending.length;
  }

  close(): void {
    this.sock.destroy();
    this.fail(new Error(`connection to ${this.endpoint.host}:${this.endpoint.port} closed`));
  }

  private fail(e: Error): void {
    this.closed = true;
    for (const p of this.pending.splice(0)) p.reject(e);
  }
}

/** One command on a fresh connection. */
export async function respOnce(endpoint: Endpoint, argv: string[], opts: RespConnectOptions = {}): Promise<RespValue> {
  const c = await RespClient.connect(endpoint, opts);
  try {
    return await c.callTimeout(argv, opts.timeoutMs ?? 2000);
  } finally {
    c.close();
  }
}
