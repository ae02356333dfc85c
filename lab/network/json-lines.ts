/**
 * A control channel of JSON lines over loopback TCP, one request or response a line:
 *
 *   request  {"id":1,"cmd":"...","args":{...}}
 *   response {"id":1,"ok":true,"result":...}  |  {"id":1,"ok":false,"error":"..."}
 *
 * The delay line's control endpoint (./control.ts) and the cluster supervisor's
 * (../cluster/control.ts) both speak it; each names its commands and what they do.
 */
import net from 'node:net';
import type { Endpoint } from './delay-line.js';

export type Handler = (cmd: string, args: Record<string, unknown>) => Promise<unknown>;

/** Serves requests with `handler`; `afterReply` runs once a successful reply is written. */
export class JsonLineServer {
  private server: net.Server | null = null;
  private readonly socks = new Set<net.Socket>();
  endpoint: Endpoint = { host: '127.0.0.1', port: 0 };

  constructor(
    public handler: Handler,
    private readonly afterReply: (cmd: string) => void = () => {},
  ) {}

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
      const cmd = req.cmd ?? '';
      const result = await this.handler(cmd, req.args ?? {});
      if (!s.destroyed) s.write(JSON.stringify({ id, ok: true, result: result ?? null }) + '\n');
      this.afterReply(cmd);
    } catch (e) {
      if (!s.destroyed) s.write(JSON.stringify({ id, ok: false, error: (e as Error).message }) + '\n');
    }
  }
}

/** One connection to a JsonLineServer; `name` (e.g. 'delay line control') prefixes its errors. */
export class JsonLineClient {
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    readonly endpoint: Endpoint,
    private readonly name: string,
    private readonly errorText: string,
    private readonly sock: net.Socket,
  ) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} connection closed`));
      this.pending.clear();
    });
  }

  /** `errorText`: the message of a failed reply that carries none. */
  static connect(endpoint: Endpoint, name: string, errorText: string, timeoutMs: number): Promise<JsonLineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`${name} ${endpoint.host}:${endpoint.port}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new JsonLineClient(endpoint, name, errorText, s));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`${name} ${endpoint.host}:${endpoint.port}: ${e.message}`));
      });
    });
  }

  private onData(d: string): void {
    this.buf += d;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const r = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; error?: string };
      const p = this.pending.get(r.id);
      if (!p) continue;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else p.reject(new Error(r.error ?? this.errorText));
    }
  }

  call(cmd: string, args: object): Promise<unknown> {
    if (this.sock.destroyed) return Promise.reject(new Error(`${this.name} connection closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.write(JSON.stringify({ id, cmd, args }) + '\n');
    });
  }

  close(): void {
    this.sock.destroy();
  }
}
