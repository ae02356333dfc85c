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
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DelayLine, type DelayLineOptions, type DelayLineStats, type Direction, type Endpoint, type LinkOptions, type LinkStats } from './delay-line.js';
import { JsonLineClient, JsonLineServer } from './json-lines.js';
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

/** The delay line's control endpoint (JSON lines, see ./json-lines.ts); 'shutdown' calls onShutdown after its reply. */
export class ControlServer extends JsonLineServer {
  constructor(
    readonly line: DelayLine,
    onShutdown: () => void = () => {},
  ) {
    super(
      (cmd, args) => run(line, cmd, args),
      (cmd) => {
        if (cmd === 'shutdown') setImmediate(onShutdown);
      },
    );
  }
}

async function run(line: DelayLine, cmd: string, args: Record<string, unknown>): Promise<unknown> {
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
  private constructor(private readonly conn: JsonLineClient) {}

  get endpoint(): Endpoint {
    return this.conn.endpoint;
  }

  static async connect(endpoint: Endpoint, timeoutMs = 5000): Promise<ProxyClient> {
    return new ProxyClient(await JsonLineClient.connect(endpoint, 'delay line control', 'delay line control: error', timeoutMs));
  }

  call<C extends CommandName>(cmd: C, args: Commands[C]['args']): Promise<Commands[C]['result']> {
    return this.conn.call(cmd, args) as Promise<Commands[C]['result']>;
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
    this.conn.close();
  }
}

export interface SpawnProxyOptions {
  clock?: DelayLineOptions['clock'];
  coalesceMs?: number;
  /** Path of the compiled proxy-main.js; default: next to this file. */
  entry?: string;
  /** Start timeout, ms (default 10000). */
  timeoutMs?: number;
  /** Measure and subtract the per-hop transit at start (default true; see transit.ts). */
  calibrate?: boolean;
}

export interface ProxyProcess {
  pid: number;
  control: Endpoint;
  client: ProxyClient;
  child: ChildProcess;
  /** The per-hop transit it measured at start and subtracts from delays, ms. */
  transitMs: number;
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
  if (opts.calibrate === false) args.push('--no-calibrate');
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let transitMs = 0;
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
        const ready = JSON.parse(out.slice(0, nl)) as { control: Endpoint; transitMs?: number };
        transitMs = ready.transitMs ?? 0;
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
    transitMs,
    async stop(graceMs = 2000) {
      client.call('shutdown', {}).catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      client.close();
    },
  };
}
