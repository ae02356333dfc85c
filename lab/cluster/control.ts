/**
 * The supervisor's control endpoint: JSON lines on loopback, as the delay line's.
 *
 *   request  {"id":1,"cmd":"fault","args":{"kind":"cut","target":"n1"}}
 *   response {"id":1,"ok":true,"result":{...}}  |  {"id":1,"ok":false,"error":"..."}
 *
 * Commands: ping, state, status, fault, stop. `memlab status`, `memlab fault` and chaos
 * in other processes talk to a running cluster through it (ClusterControl).
 */
import net from 'node:net';
import type { Endpoint } from '../network/delay-line.js';

export type Handler = (cmd: string, args: Record<string, unknown>) => Promise<unknown>;

export class ControlServer {
  private server: net.Server | null = null;
  private readonly socks = new Set<net.Socket>();
  endpoint: Endpoint = { host: '127.0.0.1', port: 0 };

  constructor(public handler: Handler) {}

  async listen(host = '127.0.0.1', port = 0): Promise<Endpoint> {
    const server = net.createServer((s) => this.serve(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.endpoint = { host, port: (server.address() as net.AddressInfo).port };
    return this.endpoint;
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(s: net.Socket): void {
    this.socks.add(s);
    s.on('close', () => this.socks.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) void this.handle(s, line);
      }
    });
  }

  private async handle(s: net.Socket, line: string): Promise<void> {
    let id: unknown = null;
    try {
      const req = JSON.parse(line) as { id?: unknown; cmd?: string; args?: Record<string, unknown> };
      id = req.id ?? null;
      const result = await this.handler(req.cmd ?? '', req.args ?? {});
      if (!s.destroyed) s.write(JSON.stringify({ id, ok: true, result: result ?? null }) + '\n');
    } catch (e) {
      if (!s.destroyed) s.write(JSON.stringify({ id, ok: false, error: (e as Error).message }) + '\n');
    }
  }
}

/** Client of a supervisor's control endpoint. */
export class ClusterControl {
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    readonly endpoint: Endpoint,
    private readonly sock: net.Socket,
  ) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const r = JSON.parse(this.buf.slice(0, nl)) as { id: number; ok: boolean; result?: unknown; error?: string };
        this.buf = this.buf.slice(nl + 1);
        const p = this.pending.get(r.id);
        if (!p) continue;
        this.pending.delete(r.id);
        if (r.ok) p.resolve(r.result);
        else p.reject(new Error(r.error ?? 'supervisor: error'));
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('supervisor control connection closed'));
      this.pending.clear();
    });
  }

  static connect(endpoint: Endpoint, timeoutMs = 3000): Promise<ClusterControl> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`supervisor control ${endpoint.host}:${endpoint.port}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new ClusterControl(endpoint, s));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`supervisor control ${endpoint.host}:${endpoint.port}: ${e.message}`));
      });
    });
  }

  call<T = unknown>(cmd: string, args: object = {}): Promise<T> {
    if (this.sock.destroyed) return Promise.reject(new Error('supervisor control connection closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(JSON.stringify({ id, cmd, args }) + '\n');
    });
  }

  close(): void {
    this.sock.destroy();
  }
}
