/**
 * Latency probe: the achieved round trip of a link, measured end to end by ping-pong over
 * one TCP connection through it, against an echo server or an engine node (RESP PING).
 * `memlab status` shows this next to the configured RTT.
 */
import net from 'node:net';
import { Histogram, type Summary } from './histogram.js';
import type { Endpoint } from './delay-line.js';

export interface ProbeOptions {
  /** 'resp' sends PING and expects +PONG (an engine node or redis); 'echo' expects its bytes back. */
  protocol?: 'resp' | 'echo';
  /** Round trips measured (after warm-up). Default 200. */
  count?: number;
  /** Unmeasured round trips first (connection setup, JIT). Default 20. */
  warmup?: number;
  /** Pause between round trips, ms (0 = back to back). Default 0. */
  intervalMs?: number;
  /** Echo payload size in bytes. Default 16. */
  size?: number;
  /** Give up when a round trip (or the connection) takes longer than this, ms. Default 10000. */
  timeoutMs?: number;
  /** Local address to dial from. */
  localAddress?: string;
}

export interface ProbeResult extends Summary {
  endpoint: Endpoint;
  protocol: 'resp' | 'echo';
}

const PING = Buffer.from('*1\r\n$4\r\nPING\r\n');
const PONG = Buffer.from('+PONG\r\n');
const CRLF = Buffer.from('\r\n');

/** Ping-pong through `endpoint` and summarise the round trips (ms). */
export async function probe(endpoint: Endpoint, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const protocol = opts.protocol ?? 'resp';
  const count = opts.count ?? 200;
  const warmup = opts.warmup ?? 20;
  const interval = opts.intervalMs ?? 0;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const msg = protocol === 'resp' ? PING : Buffer.alloc(opts.size ?? 16, 0x61);
  const expect = protocol === 'resp' ? PONG : msg;
  const hist = new Histogram();

  const sock = await connect(endpoint, opts.localAddress, timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      let got = 0;
      let sentAt = 0;
      let timer: NodeJS.Timeout | null = null;
      const fail = (e: Error) => {
        if (timer) clearTimeout(timer);
        reject(e);
      };
      const send = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => fail(new Error(`probe of ${endpoint.host}:${endpoint.port}: no answer within ${timeoutMs} ms (after ${done} of ${warmup + count} round trips)`)), timeoutMs);
        sentAt = performance.now();
        sock.write(msg);
      };
      sock.on('data', (d: Buffer) => {
        const now = performance.now();
        got += d.length;
        if (got < expect.length) return;
        if (got > expect.length || (protocol === 'resp' && !d.subarray(d.length - 2).equals(CRLF))) {
          return fail(new Error(`probe of ${endpoint.host}:${endpoint.port}: unexpected reply ${JSON.stringify(d.toString('latin1').slice(0, 60))}`));
        }
        got = 0;
        if (done >= warmup) hist.recordMs(now - sentAt);
        done++;
        if (done === warmup + count) {
          if (timer) clearTimeout(timer);
          resolve();
        } else if (interval > 0) {
          if (timer) clearTimeout(timer);
          setTimeout(send, interval);
        } else send();
      });
      sock.on('error', fail);
      sock.on('close', () => fail(new Error(`probe of ${endpoint.host}:${endpoint.port}: connection closed after ${done} round trips`)));
      send();
    });
  } finally {
    sock.destroy();
  }
  return { endpoint: { ...endpoint }, protocol, ...hist.summary() };
}

function connect(endpoint: Endpoint, localAddress: string | undefined, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true, ...(localAddress ? { localAddress } : {}) });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`probe: cannot connect to ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`probe: cannot connect to ${endpoint.host}:${endpoint.port}: ${e.message}`));
    });
  });
}

export interface EchoServer {
  endpoint: Endpoint;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A TCP echo server (tests, the benchmark, and probing a link with no engine behind it). */
export async function startEchoServer(host = '127.0.0.1', port = 0): Promise<EchoServer> {
  const socks = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: false, noDelay: true }, (c) => {
    accepted++;
    socks.add(c);
    c.on('data', (d) => c.write(d));
    c.on('error', () => {});
    c.on('close', () => socks.delete(c));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    endpoint: { host, port: (server.address() as net.AddressInfo).port },
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of socks) s.destroy();
        server.close(() => resolve());
      }),
  };
}
