/**
 * A durable-mode cluster of real processes on loopback for the tests: `memlab lognode` ×
 * L and `memlab server --mode durable` × N, free ports, a temp dir, output captured per
 * process. Every process has a stdin pipe (--exit-with-parent), so none outlives the test;
 * signals go to the PIDs we spawned, nothing else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI_ENTRY } from '../../../lab/cluster/paths.js';
import { parseInfo } from '../../../lab/cluster/info.js';
import { RespClient, RespError, respOnce, type RespValue } from '../../../lab/cluster/resp.js';
import { requestStats } from '../../../engine/log/node/stats-request.js';

export { RespClient, RespError, type RespValue };

export function requireBuilt(): void {
  if (!existsSync(CLI_ENTRY)) throw new Error(`${CLI_ENTRY} is not built: run npx tsc -p . first`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

export class Proc {
  child: ChildProcess | null = null;
  output = '';
  constructor(
    readonly id: string,
    readonly port: number,
    readonly args: () => string[],
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }
  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.alive) throw new Error(`${this.id} is already running`);
    const child = spawn(process.execPath, [CLI_ENTRY, ...this.args()], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => {});
    const add = (d: Buffer) => {
      this.output += d.toString('utf8');
      if (process.env.MEMLAB_TEST_LOG) process.stderr.write(d);
    };
    child.stdout!.on('data', add);
    child.stderr!.on('data', add);
    this.child = child;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) process.kill(this.pid, sig);
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || !this.alive) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    process.kill(c.pid!, 'SIGKILL');
    await gone;
  }

  get endpoint(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }
}

export interface ClusterOptions {
  engines?: number;
  logs?: number;
  leaseMs?: number;
  /** Followers snapshot every n entries into a shared dir; 0 or absent: no snapshot dir. */
  snapshotEvery?: number;
}

export class DurableCluster {
  readonly dir: string;
  readonly logs: Proc[] = [];
  readonly engines: Proc[] = [];
  readonly leaseMs: number;
  readonly snapshotDir: string | null;
  private readonly clients: RespClient[] = [];

  private constructor(opts: ClusterOptions, logPorts: number[], enginePorts: number[]) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-durable-'));
    this.leaseMs = opts.leaseMs ?? 1000;
    this.snapshotDir = opts.snapshotEvery ? path.join(this.dir, 'snapshots') : null;
    logPorts.forEach((port, i) => {
      const id = `l${i + 1}`;
      this.logs.push(new Proc(id, port, () => ['lognode', '--id', id, '--port', String(port), '--bind', '127.0.0.1', '--dir', this.logDir(id), '--lease-ms', String(this.leaseMs), '--exit-with-parent']));
    });
    const list = this.logs.map((l) => `${l.id}=127.0.0.1:${l.port}`).join(',');
    enginePorts.forEach((port, i) => {
      const id = `n${i + 1}`;
      this.engines.push(
        new Proc(id, port, () => [
          'server',
          '--mode',
          'durable',
          '--name',
          id,
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--log',
          list,
          // As the lab runs them: each node reads the log from "its AZ's" replica.
          ...(i < logPorts.length ? ['--log-local', `l${i + 1}`] : []),
          '--lease-ms',
          String(this.leaseMs),
          '--exit-with-parent',
          '-c',
          'loglevel=notice',
          ...(this.snapshotDir ? ['--snapshot-dir', this.snapshotDir, '--snapshot-every', String(opts.snapshotEvery)] : []),
        ]),
      );
    });
  }

  static async start(opts: ClusterOptions = {}): Promise<DurableCluster> {
    requireBuilt();
    const lp: number[] = [];
    for (let i = 0; i < (opts.logs ?? 3); i++) lp.push(await freePort());
    const ep: number[] = [];
    for (let i = 0; i < (opts.engines ?? 3); i++) ep.push(await freePort());
    const c = new DurableCluster(opts, lp, ep);
    for (const l of c.logs) l.start();
    for (const e of c.engines) e.start();
    await c.primary(60000);
    return c;
  }

  logDir(id: string): string {
    return path.join(this.dir, id);
  }

  async info(p: Proc): Promise<Record<string, string>> {
    const v = await respOnce(p.endpoint, ['INFO', 'replication'], { timeoutMs: 1000 });
    if (typeof v !== 'string') throw new Error(`INFO from ${p.id}: ${JSON.stringify(v)}`);
    return parseInfo(v);
  }

  /** The engine node that is serving as the log's writer. */
  async primary(timeoutMs = 20000, not?: Proc): Promise<Proc> {
    return until(
      'a serving primary',
      async () => {
        for (const e of this.engines) {
          if (!e.alive || e === not) continue;
          try {
            const i = await this.info(e);
            if (i.log_serving === '1') return e;
          } catch {
            // down or starting
          }
        }
        return null;
      },
      timeoutMs,
      100,
    );
  }

  async connect(p: Proc): Promise<RespClient> {
    const c = await until(`a connection to ${p.id}`, () => RespClient.connect(p.endpoint, { timeoutMs: 1000 }), 20000);
    this.clients.push(c);
    return c;
  }

  async digest(p: Proc): Promise<string> {
    const v = await respOnce(p.endpoint, ['DEBUG', 'DIGEST'], { timeoutMs: 2000 });
    return String(v);
  }

  /** Wait until every live engine has the same digest; returns it. */
  async converge(timeoutMs = 20000): Promise<string> {
    return until(
      'the engines to reach the same digest',
      async () => {
        const ds = new Set<string>();
        for (const e of this.engines) if (e.alive) ds.add(await this.digest(e));
        return ds.size === 1 ? [...ds][0] : null;
      },
      timeoutMs,
      100,
    );
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    for (const p of [...this.engines, ...this.logs]) {
      p.signal('SIGCONT');
      await p.kill();
    }
    if (!process.env.MEMLAB_TEST_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

export function isErr(v: RespValue | undefined): v is RespError {
  return v instanceof RespError;
}

/** A log replica's counters (the transport's `stats` request). */
export function logStats(p: Proc): Promise<Record<string, unknown>> {
  return requestStats({ id: p.id, host: '127.0.0.1', port: p.port, from: 'test', timeoutMs: 2000 });
}

export type Outcome = 'ok' | 'unknown' | 'fail';

/**
 * Writers of unique keys against whoever serves: each key is written once; the outcome
 * says what the client may conclude (ok: acknowledged; fail: a definite error, nothing
 * executed; unknown: a timeout, a closed connection or -UNKNOWN).
 */
export class WriteLoad {
  readonly outcomes = new Map<string, Outcome>();
  readonly errors = new Map<string, number>();
  private running = true;
  private readonly done: Promise<void>[] = [];

  constructor(
    private readonly cluster: DurableCluster,
    workers: number,
    private readonly prefix: string,
  ) {
    for (let w = 0; w < workers; w++) this.done.push(this.worker(w));
  }

  get acked(): string[] {
    return [...this.outcomes].filter(([, o]) => o === 'ok').map(([k]) => k);
  }
  count(o: Outcome): number {
    let n = 0;
    for (const v of this.outcomes.values()) if (v === o) n++;
    return n;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.done);
  }

  private note(e: string): void {
    const k = e.split(' ')[0];
    this.errors.set(k, (this.errors.get(k) ?? 0) + 1);
  }

  private async worker(w: number): Promise<void> {
    let i = 0;
    let c: RespClient | null = null;
    while (this.running) {
      if (!c || c.closed) {
        try {
          const p = await this.cluster.primary(30000);
          c = await RespClient.connect(p.endpoint, { timeoutMs: 1000 });
        } catch {
          c = null;
          await sleep(50);
          continue;
        }
      }
      const key = `${this.prefix}:${w}:${i++}`;
      let v: RespValue;
      try {
        v = await c.callTimeout(['SET', key, key], 10000);
      } catch {
        this.outcomes.set(key, 'unknown');
        this.note('closed');
        c.close();
        c = null;
        continue;
      }
      if (v === 'OK') this.outcomes.set(key, 'ok');
      else if (v instanceof RespError && /^(TRYAGAIN|READONLY)/.test(v.message)) {
        this.outcomes.set(key, 'fail');
        this.note(v.message);
        c.close();
        c = null;
        await sleep(20);
      } else {
        this.outcomes.set(key, 'unknown');
        this.note(v instanceof RespError ? v.message : `reply ${JSON.stringify(v)}`);
        c.close();
        c = null;
      }
    }
    c?.close();
  }
}

/** Values of `keys` on node p (MGET in chunks). */
export async function readAll(p: Proc, keys: string[]): Promise<Map<string, string | null>> {
  const c = await RespClient.connect(p.endpoint, { timeoutMs: 2000 });
  const out = new Map<string, string | null>();
  try {
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const v = await c.callTimeout(['MGET', ...chunk], 10000);
      if (!Array.isArray(v)) throw new Error(`MGET on ${p.id}: ${JSON.stringify(v)}`);
      chunk.forEach((k, j) => out.set(k, v[j] as string | null));
    }
  } finally {
    c.close();
  }
  return out;
}
