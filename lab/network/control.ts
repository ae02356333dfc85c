/**
 * The delay line as a process the supervisor owns: a control protocol (JSON lines over a
 * loopback TCP port, so `memlab status` and `memlab fault` can reach it from other
 * processes), its client, and `spawnProxy` that starts `proxy-main.js` and waits for it.
 *
 *   request  {"id":1,"cmd":"cut","args":{"id":"az-a->n2","direction":"both"}}
 *   response {"id":1,"ok":true,"result":null}  |  {"id":1,"ok":false,"error":"no link 'x'"}
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DelayLine, type DelayLineOptions, type DelayLineStats, type Direction, type Endpoint, type LinkOptions, type LinkStats } from './delay-line.js';
import type { LinkAction } from './topology.js';

export interface ProcessStats {
  pid: number;
  /** process.cpuUsage() of the proxy process, microseconds. */
  cpu: { user: number; system: number };
  uptimeMs: number;
  rssBytes: number;
  line: DelayLineStats;
}

export type FaultKind = 'cut' | 'heal' | 'crash' | 'reset';

/** The commands, their arguments and results. */
export interface Commands {
  ping: { args: Record<string, never>; result: 'pong' };
  addLinks: { args: { links: LinkOptions[] }; result: { id: string; listen: Endpoint }[] };
  removeLink: { args: { id: string }; result: null };
  setDelay: { args: { id: string; delayMs: number; jitterMs?: number }; result: null };
  /** Several links at once, in the same event-loop turn (a crash hits all links together). */
  fault: { args: { kind: FaultKind; actions: LinkAction[]; direction?: Direction; resetNow?: boolean }; result: null };
  stats: { args: { id?: string }; result: { process: ProcessStats; links: LinkStats[] } };
  resetDelayStats: { args: { id?: string }; result: null };
  shutdown: { args: Record<string, never>; result: null };
}

export type CommandName = keyof Commands;

/** Apply one fault to a set of links of a delay line. */
export function applyFault(line: DelayLine, kind: FaultKind, actions: LinkAction[], opts: { direction?: Direction; resetNow?: boolean } = {}): void {
  const links = actions.map((a) => ({ a, link: line.link(a.link) })); // all or nothing: check names first
  for (const { a, link } of links) {
    const filter = a.sources ? { sources: a.sources } : {};
    if (kind === 'cut') link.cut(opts.direction ?? 'both', filter);
    else if (kind === 'heal') link.heal(filter);
    else if (kind === 'crash') link.crash({ ...filter, resetNow: opts.resetNow });
    else link.resetConnections(filter);
  }
}

export class ControlServer {
  private server: net.Server | null = null;
  private readonly socks = new Set<net.Socket>();
  endpoint: Endpoint = { host: '127.0.0.1', port: 0 };

  constructor(
    readonly line: DelayLine,
    private readonly onShutdown: () => void = () => {},
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
      const result = await this.run(req.cmd ?? '', req.args ?? {});
      s.write(JSON.stringify({ id, ok: true, result: result ?? null }) + '\n');
      if (req.cmd === 'shutdown') setImmediate(this.onShutdown);
    } catch (e) {
      s.write(JSON.stringify({ id, ok: false, error: (e as Error).message }) + '\n');
    }
  }

  private async run(cmd: string, args: Record<string, unknown>): Promise<unknown> {
    const line = this.line;
    switch (cmd as CommandName) {
      case 'ping':
        return 'pong';
      case 'addLinks': {
        const a = args as Commands['addLinks']['args'];
        const out: { id: string; listen: Endpoint }[] = [];
        for (const o of a.links) {
          const l = await line.addLink(o);
          out.push({ id: l.id, listen: l.listen });
        }
        return out;
      }
      case 'removeLink':
        return line.link((args as Commands['removeLink']['args']).id).close();
      case 'setDelay': {
        const a = args as Commands['setDelay']['args'];
        line.link(a.id).setDelay(a.delayMs, a.jitterMs);
        return null;
      }
      case 'fault': {
        const a = args as Commands['fault']['args'];
        if (!['cut', 'heal', 'crash', 'reset'].includes(a.kind)) throw new Error(`unknown fault '${a.kind}'`);
        applyFault(line, a.kind, a.actions, a);
        return null;
      }
      case 'stats': {
        const a = args as Commands['stats']['args'];
        const links = a.id ? [line.link(a.id)] : line.all();
        return { process: processStats(line), links: links.map((l) => l.stats()) };
      }
      case 'resetDelayStats': {
        const a = args as Commands['resetDelayStats']['args'];
        for (const l of a.id ? [line.link(a.id)] : line.all()) l.resetDelayStats();
        return null;
      }
      case 'shutdown':
        return null;
      default:
        throw new Error(`unknown command '${cmd}'`);
    }
  }
}

export function processStats(line: DelayLine): ProcessStats {
  return {
    pid: process.pid,
    cpu: process.cpuUsage(),
    uptimeMs: process.uptime() * 1000,
    rssBytes: process.memoryUsage.rss(),
    line: line.stats(),
  };
}

/** Talks to a ControlServer (in this process or a proxy process). */
export class ProxyClient {
  private sock: net.Socket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private buf = '';

  private constructor(readonly endpoint: Endpoint) {}

  static async connect(endpoint: Endpoint, timeoutMs = 5000): Promise<ProxyClient> {
    const c = new ProxyClient(endpoint);
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`delay line control ${endpoint.host}:${endpoint.port}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        c.sock = s;
        resolve();
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`delay line control ${endpoint.host}:${endpoint.port}: ${e.message}`));
      });
    });
    const s = c.sock!;
    s.setEncoding('utf8');
    s.on('data', (d: string) => c.onData(d));
    s.on('error', () => {});
    s.on('close', () => c.failAll(new Error('delay line control connection closed')));
    return c;
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
      else p.reject(new Error(r.error ?? 'delay line control: error'));
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  call<C extends CommandName>(cmd: C, args: Commands[C]['args']): Promise<Commands[C]['result']> {
    const s = this.sock;
    if (!s || s.destroyed) return Promise.reject(new Error('delay line control connection closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      s.write(JSON.stringify({ id, cmd, args }) + '\n');
    });
  }

  addLinks(links: LinkOptions[]) {
    return this.call('addLinks', { links });
  }
  setDelay(id: string, delayMs: number, jitterMs?: number) {
    return this.call('setDelay', { id, delayMs, ...(jitterMs === undefined ? {} : { jitterMs }) });
  }
  cut(actions: LinkAction[], direction: Direction = 'both') {
    return this.call('fault', { kind: 'cut', actions, direction });
  }
  heal(actions: LinkAction[]) {
    return this.call('fault', { kind: 'heal', actions });
  }
  crash(actions: LinkAction[], resetNow = false) {
    return this.call('fault', { kind: 'crash', actions, resetNow });
  }
  stats(id?: string) {
    return this.call('stats', id ? { id } : {});
  }

  close(): void {
    this.sock?.destroy();
  }
}

export interface SpawnProxyOptions {
  clock?: DelayLineOptions['clock'];
  coalesceMs?: number;
  /** Path of the compiled proxy-main.js; default: next to this file. */
  entry?: string;
  /** Start timeout, ms (default 10000). */
  timeoutMs?: number;
}

export interface ProxyProcess {
  pid: number;
  control: Endpoint;
  client: ProxyClient;
  child: ChildProcess;
  /** Ask it to exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function defaultProxyEntry(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.join(here, 'proxy-main.js');
}

/**
 * Start a delay line process. It exits when its stdin closes, so it never outlives the
 * process that started it (the supervisor), even after a SIGKILL of the latter.
 */
export async function spawnProxy(opts: SpawnProxyOptions = {}): Promise<ProxyProcess> {
  const entry = opts.entry ?? defaultProxyEntry();
  if (!existsSync(entry)) throw new Error(`delay line: ${entry} not found (run the build: npx tsc -p .)`);
  const args = [entry, '--exit-with-stdin'];
  if (opts.clock) args.push('--clock', opts.clock);
  if (opts.coalesceMs !== undefined) args.push('--coalesce', String(opts.coalesceMs));
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const control = await new Promise<Endpoint>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`delay line process did not report ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`delay line process exited at start (${sig ?? code}): ${out.trim()}`));
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        const ready = JSON.parse(out.slice(0, nl)) as { control: Endpoint };
        resolve(ready.control);
      } catch {
        reject(new Error(`delay line process: unexpected output ${out.slice(0, 200)}`));
      }
    });
  });
  const client = await ProxyClient.connect(control);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    pid: child.pid!,
    control,
    client,
    child,
    async stop(graceMs = 2000) {
      client.call('shutdown', {}).catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      client.close();
    },
  };
}
