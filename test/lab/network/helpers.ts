import net from 'node:net';
import type { Endpoint } from '../../../lab/network/delay-line.js';
export { rng } from '../../helpers/rng.js';

/** Byte k of a test stream: a period (251) prime to every chunk size pattern. */
export const seqByte = (k: number) => k % 251;

export function seqChunk(offset: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = seqByte(offset + i);
  return b;
}

/** Checks that bytes arrive as the sequence 0,1,2,... (mod 251) with nothing missing or reordered. */
export class SeqChecker {
  received = 0;
  errors: string[] = [];
  push(d: Buffer): void {
    for (let i = 0; i < d.length; i++) {
      const want = seqByte(this.received + i);
      if (d[i] !== want) {
        if (this.errors.length < 5) this.errors.push(`byte ${this.received + i}: got ${d[i]}, want ${want}`);
        break;
      }
    }
    this.received += d.length;
  }
}

export function connect(ep: Endpoint, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: ep.host, port: ep.port, noDelay: true, ...(localAddress ? { localAddress } : {}) });
    s.once('connect', () => {
      s.removeListener('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export interface Sink {
  endpoint: Endpoint;
  /** Bytes received per connection, in accept order. */
  received: number[];
  remotes: string[];
  sockets: net.Socket[];
  ended: boolean[];
  close(): Promise<void>;
}

/** A server that counts what it receives and never answers. */
export async function startSink(host = '127.0.0.1'): Promise<Sink> {
  const sink: Sink = {
    endpoint: { host, port: 0 },
    received: [],
    remotes: [],
    sockets: [],
    ended: [],
    close: async () => {},
  };
  const server = net.createServer({ allowHalfOpen: true }, (c) => {
    const i = sink.received.length;
    sink.received.push(0);
    sink.ended.push(false);
    sink.remotes.push(c.remoteAddress ?? '');
    sink.sockets.push(c);
    c.on('data', (d) => (sink.received[i] += d.length));
    c.on('end', () => (sink.ended[i] = true));
    c.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  sink.endpoint.port = (server.address() as net.AddressInfo).port;
  sink.close = () =>
    new Promise<void>((r) => {
      for (const s of sink.sockets) s.destroy();
      server.close(() => r());
    });
  return sink;
}

/** Resolves with how a socket ended: 'reset' (ECONNRESET), 'end', or 'close'. */
export function outcome(s: net.Socket): Promise<'reset' | 'end' | 'close'> {
  return new Promise((resolve) => {
    let err: NodeJS.ErrnoException | null = null;
    s.on('error', (e: NodeJS.ErrnoException) => (err = e));
    s.on('end', () => resolve('end'));
    s.on('close', () => resolve(err?.code === 'ECONNRESET' ? 'reset' : 'close'));
  });
}
