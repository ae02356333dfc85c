/**
 * npm run bench:replication — what replication costs a memlab primary, with 2 replicas on
 * loopback (separate `memlab server` processes):
 *
 *  1. Primary throughput with 2 replicas relative to a primary that never had one
 *     (redis-benchmark SET, alternating between the two primaries, median of rounds).
 *  2. Replication lag at a fixed write rate (open loop, default 20,000 SET/s): each write's
 *     stream offset is known (one writer, known encodings), each replica's applied offset is
 *     polled with ROLE; lag = when a replica was first seen past the write's offset minus
 *     the write's intended send time (so queueing is not hidden).
 *  3. WAIT 1 round trip (closed loop, one client): SET then WAIT 1 0, pipelined, from send
 *     to the WAIT reply; plain SET round trips alongside for reference.
 *
 *  4. Reference: measurement 1 again with Debian's redis-server (primary + 2 redis-server
 *     replicas), so the 0.85 target can be judged against real Redis on the same machine.
 *
 * With 2+ CPUs the primaries are pinned to CPU 0 and everything else (replicas, load
 * generators) to the others, so the primary's own cost is what is compared.
 *
 * Options: --quick, --rounds N (default 3), --requests N (redis-benchmark, default 300000),
 * --pipeline N (default 16), --clients N (default 50), --rate N (default 20000),
 * --seconds N (lag run, default 10), --waits N (default 5000), --no-pin, --no-redis,
 * --json FILE.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canPin, freePort, pinned, redisServerArgs } from './lib/servers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../cli/main.js');

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const quick = args.includes('--quick');
const rounds = Number(opt('--rounds', quick ? '1' : '3'));
const requests = Number(opt('--requests', quick ? '100000' : '300000'));
const pipeline = Number(opt('--pipeline', '16'));
const clients = Number(opt('--clients', '50'));
const rate = Number(opt('--rate', '20000'));
const seconds = Number(opt('--seconds', quick ? '3' : '10'));
const waits = Number(opt('--waits', quick ? '1000' : '5000'));
const jsonOut = opt('--json', '');
const cpus = os.cpus().length;
const pin = !args.includes('--no-pin') && canPin();
const PRIMARY_CPUS = '0';
const OTHER_CPUS = cpus > 2 ? `1-${cpus - 1}` : '1';

function die(msg: string): never {
  process.stderr.write(`bench:replication: ${msg}\n`);
  process.exit(1);
}

if (spawnSync('redis-benchmark', ['--version']).status !== 0) die('redis-benchmark is not installed (Debian: apt-get install redis-tools)');

/** redis-server's version, or why the redis reference is skipped. */
const redis: { version: string } | { skipped: string } = (() => {
  if (args.includes('--no-redis')) return { skipped: '--no-redis' };
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return { skipped: 'redis-server is not on PATH (Debian: apt-get install redis-server)' };
  return { version: /v=(\S+)/.exec(r.stdout)?.[1] ?? r.stdout.trim() };
})();

// ---- processes ----

const procs: ChildProcess[] = [];
// Replicas full-sync through an RDB file in --dir: keep it out of the working tree.
let redisDir = '';
process.on('exit', () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(130));

function launch(cmd: string, argv: string[], cpusList: string | null): ChildProcess {
  const [c, a] = pinned(cmd, argv, pin ? cpusList : null);
  const p = spawn(c, a, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  p.on('exit', (code) => {
    if (code && code !== 0 && !stopping) die(`${cmd} ${argv.join(' ')} exited with ${code}: ${err}`);
  });
  procs.push(p);
  return p;
}
let stopping = false;

/** The server process listening on each port. */
const servers = new Map<number, ChildProcess>();

/** CPU time (user + system, ms) a process used so far. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

type Engine = 'memlab' | 'redis';
const engineLabel: Record<Engine, string> = { memlab: 'memlab', redis: 'redis-server' };

/** One server of either engine, same settings; `replicaof` makes it a replica of that port. */
async function startServer(engine: Engine, name: string, cpusList: string, replicaof?: number): Promise<number> {
  const port = await freePort();
  let cmd: string;
  let a: string[];
  if (engine === 'memlab') {
    cmd = process.execPath;
    a = [cli, 'server', '--port', String(port), '--name', name, '-c', 'repl-ping-replica-period=30', 'save='];
  } else {
    if (!redisDir) redisDir = mkdtempSync(path.join(os.tmpdir(), 'memlab-bench-repl-'));
    cmd = 'redis-server';
    // No diskless-sync delay: the default waits 5 s for more replicas before syncing.
    a = [...redisServerArgs(port), '--dir', redisDir, '--dbfilename', `${name}.rdb`, '--repl-ping-replica-period', '30', '--repl-diskless-sync-delay', '0'];
  }
  if (replicaof) a.push('--replicaof', '127.0.0.1', String(replicaof));
  // taskset execs the command: the pid is the server's own.
  servers.set(port, launch(cmd, a, cpusList));
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      await command(port, ['PING']);
      return port;
    } catch {
      if (Date.now() > until) die(`${engineLabel[engine]} ${name} did not start on port ${port}`);
      await sleep(50);
    }
  }
}

interface Setup {
  engine: Engine;
  /** A primary that never has replicas. */
  alone: number;
  primary: number;
  replicas: number[];
}

/** Both primaries on the primary CPU, 2 replicas elsewhere, fully synced. */
async function startPrimaryWithReplicas(engine: Engine): Promise<Setup> {
  const alone = await startServer(engine, 'solo', PRIMARY_CPUS);
  const primary = await startServer(engine, 'n1', PRIMARY_CPUS);
  const replicas = [await startServer(engine, 'n2', OTHER_CPUS, primary), await startServer(engine, 'n3', OTHER_CPUS, primary)];
  await waitReplicasOnline(primary, 2, replicas);
  return { engine, alone, primary, replicas };
}

/** Kill a setup's servers and wait until they are gone, so they cost nothing later. */
async function stopSetup(s: Setup): Promise<void> {
  await Promise.all(
    [s.alone, s.primary, ...s.replicas].map((port) => {
      const p = servers.get(port)!;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      return gone;
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- a minimal RESP connection ----

function encode(argv: string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

/** Length of the first complete RESP reply in `s` from `i`, or -1. */
function replyEnd(s: string, i = 0): number {
  const nl = s.indexOf('\r\n', i);
  if (nl < 0) return -1;
  const t = s[i];
  if (t === '+' || t === '-' || t === ':') return nl + 2;
  const n = Number(s.slice(i + 1, nl));
  if (t === '$') return n < 0 ? nl + 2 : s.length >= nl + 2 + n + 2 ? nl + 2 + n + 2 : -1;
  if (t === '*') {
    let at = nl + 2;
    for (let k = 0; k < n; k++) {
      at = replyEnd(s, at);
      if (at < 0) return -1;
    }
    return at;
  }
  throw new Error(`unexpected reply byte ${JSON.stringify(t)}`);
}

class Conn {
  private buf = '';
  private waiting: ((r: string) => void)[] = [];
  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (;;) {
        const end = this.buf.length ? replyEnd(this.buf) : -1;
        if (end < 0) break;
        const r = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        this.waiting.shift()?.(r);
      }
    });
    socket.on('error', () => {});
  }
  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  /** Send raw commands; resolves with each reply, in order. */
  send(data: string, replies: number): Promise<string>[] {
    const out: Promise<string>[] = [];
    for (let i = 0; i < replies; i++) out.push(new Promise((r) => this.waiting.push(r)));
    this.socket.write(data, 'latin1');
    return out;
  }
  close(): void {
    this.socket.destroy();
  }
}

async function command(port: number, argv: string[]): Promise<string> {
  const c = await Conn.open(port);
  try {
    return await c.send(encode(argv), 1)[0];
  } finally {
    c.close();
  }
}

async function infoField(port: number, field: string): Promise<string | undefined> {
  const r = await command(port, ['INFO', 'replication']);
  return new RegExp(`\\r\\n${field}:([^\\r]*)`).exec(r)?.[1];
}

/** Until the primary has n online replicas and each has its link up and applied all it was sent. */
async function waitReplicasOnline(primary: number, n: number, replicas: number[]): Promise<void> {
  const until = Date.now() + 20_000;
  const field = (info: string, f: string) => new RegExp(`\\r\\n${f}:([^\\r]*)`).exec(info)?.[1];
  for (;;) {
    const r = await command(primary, ['INFO', 'replication']);
    const online = (r.match(/state=online/g) ?? []).length;
    if (online >= n && Number(field(r, 'connected_slaves')) >= n) {
      const off = Number(field(r, 'master_repl_offset'));
      const caught = await Promise.all(
        replicas.map(async (p) => {
          const ri = await command(p, ['INFO', 'replication']);
          return field(ri, 'master_link_status') === 'up' && Number(field(ri, 'slave_repl_offset')) >= off;
        }),
      );
      if (caught.every(Boolean)) return;
    }
    if (Date.now() > until) die(`replicas of ${primary} did not come online`);
    await sleep(50);
  }
}

// ---- statistics ----

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 50);
const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

// ---- 1. throughput ----

function redisBenchmark(port: number): number {
  const a = ['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-n', String(requests), '-c', String(clients), '-P', String(pipeline), '-r', '100000', '-d', '32', '--csv'];
  const r = spawnSync(...pinned('redis-benchmark', a, pin ? OTHER_CPUS : null), { encoding: 'utf8' });
  if (r.status !== 0) die(`redis-benchmark failed: ${r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('"SET"'));
  if (!line) die(`unexpected redis-benchmark output: ${r.stdout}`);
  return Number(line.split(',')[1].replace(/"/g, ''));
}

interface Throughput {
  base: number[];
  withRep: number[];
  catchUp: number[];
  // CPU time per SET (µs): on a shared machine the fairer measure of what replication costs.
  cpuAlone: number[];
  cpuWith: number[];
  cpuReplica: number[];
  ratio: number;
  cpuRatio: number;
}

/** redis-benchmark alternating between the lone primary and the one with replicas, `rounds` times. */
async function throughputRounds(s: Setup): Promise<Throughput> {
  const t: Throughput = { base: [], withRep: [], catchUp: [], cpuAlone: [], cpuWith: [], cpuReplica: [], ratio: NaN, cpuRatio: NaN };
  const cpuOf = (port: number) => cpuMs(servers.get(port)!.pid!);
  const replicaCpu = () => s.replicas.reduce((sum, p) => sum + cpuOf(p), 0);
  const label = s.engine === 'memlab' ? '' : `${engineLabel[s.engine]} `;
  for (let i = 0; i < rounds; i++) {
    let c0 = cpuOf(s.alone);
    t.base.push(redisBenchmark(s.alone));
    t.cpuAlone.push(((cpuOf(s.alone) - c0) * 1000) / requests);
    c0 = cpuOf(s.primary);
    const r0 = replicaCpu();
    t.withRep.push(redisBenchmark(s.primary));
    t.cpuWith.push(((cpuOf(s.primary) - c0) * 1000) / requests);
    const start = performance.now();
    await waitReplicasOnline(s.primary, s.replicas.length, s.replicas);
    t.catchUp.push(performance.now() - start);
    t.cpuReplica.push(((replicaCpu() - r0) * 1000) / requests / s.replicas.length);
    process.stdout.write(
      `  ${label}round ${i + 1}: no replicas ${fmt(t.base[i], 0)} SET/s (${fmt(t.cpuAlone[i], 2)} µs CPU/SET), 2 replicas ${fmt(t.withRep[i], 0)} SET/s (${fmt(t.cpuWith[i], 2)} µs CPU/SET; each replica ${fmt(t.cpuReplica[i], 2)}), caught up ${fmt(t.catchUp[i], 0)} ms after\n`,
    );
  }
  t.ratio = median(t.withRep) / median(t.base);
  t.cpuRatio = median(t.cpuAlone) / median(t.cpuWith);
  return t;
}

const target = (r: number) => fmt(r, 3) + (r >= 0.85 ? '  (target >= 0.85: met)' : '  (target >= 0.85: NOT met)');

function throughputJson(t: Throughput) {
  return { alone: t.base, withReplicas: t.withRep, ratio: t.ratio, cpuUsPerSetAlone: t.cpuAlone, cpuUsPerSetWithReplicas: t.cpuWith, cpuRatio: t.cpuRatio, replicaCpuUsPerSet: t.cpuReplica, catchUpMs: t.catchUp, clients, pipeline, requests };
}

// ---- 2. lag at a fixed rate ----

async function lagRun(primary: number, replicas: number[]): Promise<{ lags: number[]; acks: number[]; achieved: number; late: number }> {
  const writer = await Conn.open(primary);
  // One writer: the stream offset of every write is the previous one plus its encoding.
  await writer.send(encode(['SELECT', '0']), 1)[0];
  await writer.send(encode(['SET', 'lag:warm', 'x']), 1)[0];
  const base = Number(await infoField(primary, 'master_repl_offset'));
  const intended: number[] = [];
  const offsets: number[] = [];
  let offset = base;
  let replies = 0;
  const acks: number[] = [];
  const total = Math.round(rate * seconds);
  const t0 = performance.now() + 50;
  // Pollers: the replicas' applied offsets over time (ROLE is cheap and ends with it).
  const seen: { t: number; off: number }[][] = replicas.map(() => []);
  let polling = true;
  const pollers = replicas.map(async (port, k) => {
    const c = await Conn.open(port);
    const role = encode(['ROLE']);
    while (polling) {
      const r = await c.send(role, 1)[0];
      const t = performance.now();
      const m = /:(-?\d+)\r\n$/.exec(r);
      if (m) seen[k].push({ t, off: Number(m[1]) });
    }
    c.close();
  });
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) / 1000) * rate) + 1);
      let batch = '';
      let n = 0;
      for (; sent < due; sent++, n++) {
        const cmd = encode(['SET', `lag:${sent % 10000}`, String(sent).padStart(12, '0')]);
        intended.push(t0 + (sent * 1000) / rate);
        offset += cmd.length;
        offsets.push(offset);
        batch += cmd;
      }
      if (n) {
        const first = sent - n;
        writer.send(batch, n).forEach((p, k) =>
          void p.then(() => {
            replies++;
            acks.push(performance.now() - intended[first + k]);
          }),
        );
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 50);
  });
  const end = performance.now();
  while (replies < total) await sleep(5);
  // Let the replicas finish.
  const until = performance.now() + 10_000;
  while (seen.some((s) => !s.length || s[s.length - 1].off < offset) && performance.now() < until) await sleep(10);
  polling = false;
  await Promise.all(pollers);
  writer.close();
  const lags: number[] = [];
  let late = 0;
  for (const s of seen) {
    let j = 0;
    for (let i = 0; i < total; i++) {
      while (j < s.length && s[j].off < offsets[i]) j++;
      if (j >= s.length) {
        late++;
        continue;
      }
      lags.push(Math.max(0, s[j].t - intended[i]));
    }
  }
  lags.sort((a, b) => a - b);
  acks.sort((a, b) => a - b);
  return { lags, acks, achieved: total / ((end - t0) / 1000), late };
}

// ---- 3. WAIT round trips ----

async function waitRun(primary: number): Promise<{ wait: number[]; set: number[] }> {
  const c = await Conn.open(primary);
  const wait: number[] = [];
  const set: number[] = [];
  for (let i = 0; i < waits; i++) {
    const t = performance.now();
    const [, w] = c.send(encode(['SET', `w:${i % 1000}`, 'v']) + encode(['WAIT', '1', '0']), 2);
    const r = await w;
    wait.push(performance.now() - t);
    if (r !== ':1\r\n' && r !== ':2\r\n') die(`WAIT answered ${JSON.stringify(r)}`);
    const t2 = performance.now();
    await c.send(encode(['SET', `s:${i % 1000}`, 'v']), 1)[0];
    set.push(performance.now() - t2);
  }
  c.close();
  return { wait: wait.sort((a, b) => a - b), set: set.sort((a, b) => a - b) };
}

// ---- main ----

async function main(): Promise<void> {
  process.stdout.write(`bench:replication: ${cpus} CPUs; ${pin ? `primaries pinned to CPU ${PRIMARY_CPUS}, replicas and load to CPU ${OTHER_CPUS}` : 'no CPU pinning'}\n`);
  const m = await startPrimaryWithReplicas('memlab');
  const t = await throughputRounds(m);
  const [r1, r2] = m.replicas;
  const lag = await lagRun(m.primary, [r1, r2]);
  const w = await waitRun(m.primary);
  await stopSetup(m);

  // Same throughput measurement with real Redis, one engine at a time so they don't share CPUs.
  let ref: Throughput | null = null;
  if ('version' in redis) {
    process.stdout.write(`redis-server ${redis.version} reference, same setup:\n`);
    const r = await startPrimaryWithReplicas('redis');
    ref = await throughputRounds(r);
    await stopSetup(r);
  } else process.stdout.write(`redis-server reference skipped: ${redis.skipped}\n`);

  const rows: [string, string][] = [
    ['redis-benchmark', `SET -c ${clients} -P ${pipeline} -n ${requests} -d 32, median of ${rounds}`],
    ['primary alone (SET/s)', fmt(median(t.base), 0)],
    ['primary + 2 replicas (SET/s)', fmt(median(t.withRep), 0)],
    ['relative throughput (wall clock)', target(t.ratio)],
    ['primary CPU per SET alone / 2 replicas (µs)', `${fmt(median(t.cpuAlone), 2)} / ${fmt(median(t.cpuWith), 2)}`],
    ['relative throughput (CPU-bound estimate)', target(t.cpuRatio)],
    ['replica CPU per replicated SET (µs)', fmt(median(t.cpuReplica), 2)],
    ['replicas caught up after run (ms, max)', fmt(Math.max(...t.catchUp), 0)],
    [`lag @ ${rate} SET/s, ${seconds} s (achieved ${fmt(lag.achieved, 0)}/s)`, ''],
    ['  replication lag p50 (ms)', fmt(pct(lag.lags, 50), 3)],
    ['  replication lag p99 (ms)', fmt(pct(lag.lags, 99), 3)],
    ['  replication lag max (ms)', fmt(pct(lag.lags, 100), 3)],
    ['  write reply latency p50 / p99 (ms)', `${fmt(pct(lag.acks, 50), 3)} / ${fmt(pct(lag.acks, 99), 3)}`],
    ['  samples (writes x replicas)', `${lag.lags.length}${lag.late ? `, ${lag.late} never seen` : ''}`],
    [`SET + WAIT 1 0, closed loop, ${waits} times`, ''],
    ['  WAIT 1 round trip p50 (ms)', fmt(pct(w.wait, 50), 3)],
    ['  WAIT 1 round trip p99 (ms)', fmt(pct(w.wait, 99), 3)],
    ['  plain SET round trip p50 / p99 (ms)', `${fmt(pct(w.set, 50), 3)} / ${fmt(pct(w.set, 99), 3)}`],
  ];
  if (ref && 'version' in redis)
    rows.push(
      [`redis-server reference (${redis.version}, same setup)`, ''],
      ['  primary alone / + 2 replicas (SET/s)', `${fmt(median(ref.base), 0)} / ${fmt(median(ref.withRep), 0)}`],
      ['  relative throughput (wall clock)', target(ref.ratio)],
      ['  primary CPU per SET alone / 2 replicas (µs)', `${fmt(median(ref.cpuAlone), 2)} / ${fmt(median(ref.cpuWith), 2)}`],
      ['  relative throughput (CPU-bound estimate)', target(ref.cpuRatio)],
      ['  replica CPU per replicated SET (µs)', fmt(median(ref.cpuReplica), 2)],
    );
  else if ('skipped' in redis) rows.push(['redis-server reference', `skipped: ${redis.skipped}`]);
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write('\n');
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  if (jsonOut) {
    writeFileSync(
      jsonOut,
      JSON.stringify(
        {
          cpus,
          pinned: pin,
          throughput: throughputJson(t),
          lag: { rate, seconds, achieved: lag.achieved, p50: pct(lag.lags, 50), p99: pct(lag.lags, 99), max: pct(lag.lags, 100), samples: lag.lags.length, ackP50: pct(lag.acks, 50), ackP99: pct(lag.acks, 99) },
          wait: { n: waits, p50: pct(w.wait, 50), p99: pct(w.wait, 99), setP50: pct(w.set, 50), setP99: pct(w.set, 99) },
          redisReference: ref && 'version' in redis ? { version: redis.version, throughput: throughputJson(ref) } : { skipped: 'skipped' in redis ? redis.skipped : 'not run' },
        },
        null,
        2,
      ),
    );
  }
  stopping = true;
}

main().then(
  () => process.exit(0),
  (e: Error) => die(e.stack ?? e.message),
);
