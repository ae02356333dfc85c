/**
 * npm run bench:net — the delay line's accuracy and cost under an engine workload.
 *
 * Starts one engine node per link (`memlab server`, separate processes), drives each at a
 * fixed rate (open loop, default 10,000 requests/s per link, SET and GET of 100-byte
 * values over 4 connections per link) through a delay line process, and prints per
 * configured RTT and wake-up mechanism: achieved round trip p50/p99/p99.9 against the
 * configured one, the delay line's CPU time against the engines', and CPU per request.
 * A "direct" row (no delay line) gives the machine's own floor.
 *
 * First, at rest: ping-pong PINGs over one connection per RTT and clock (the delay line's
 * own accuracy, little disturbed by load).
 *
 * Options: --quick, --seconds N (measured per row, default 5), --links N (default 3),
 * --rate N (per link, default 10000), --rtts 0.5,1,2, --clocks worker,timer,immediate,naive,
 * --coalesce MS (the delay line's release window), --rest-only, --load-only, --json FILE.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createClock, type FireResult } from '../lab/network/clock.js';
import { spawnProxy, type ProxyProcess } from '../lab/network/control.js';
import type { Endpoint } from '../lab/network/delay-line.js';
import { Histogram } from '../lab/network/histogram.js';
import { probe } from '../lab/network/probe.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../cli/main.js');
const proxyEntry = path.resolve(here, '../lab/network/proxy-main.js');

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const quick = args.includes('--quick');
const seconds = Number(opt('--seconds', quick ? '2' : '5'));
const nLinks = Number(opt('--links', '3'));
const rate = Number(opt('--rate', '10000'));
const rtts = opt('--rtts', '0.5,1,2').split(',').map(Number);
const clocks = opt('--clocks', quick ? 'worker,timer' : 'worker,timer,immediate,naive').split(',');
const jsonOut = opt('--json', '');
const coalesce = opt('--coalesce', '');
const restOnly = args.includes('--rest-only');
const loadOnly = args.includes('--load-only');
const CONNS_PER_LINK = 4;
const WARMUP_S = 1;

// ---- processes and their CPU time ----

const CLK_TCK = 100;
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime + stime, all threads
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitPort(ep: Endpoint): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(ep.port, ep.host, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${ep.host}:${ep.port}`);
}

const children: ChildProcess[] = [];
function track(c: ChildProcess): ChildProcess {
  children.push(c);
  return c;
}
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function startEngines(): Promise<{ pids: number[]; endpoints: Endpoint[] }> {
  if (!existsSync(cli)) throw new Error(`${cli} not found: build first (npx tsc -p .)`);
  const endpoints: Endpoint[] = [];
  const pids: number[] = [];
  for (let i = 1; i <= nLinks; i++) {
    const host = `127.0.${i}.${i}`;
    const port = await freePort(host);
    const c = track(spawn(process.execPath, [cli, 'server', '--port', String(port), '--bind', host, '--name', `n${i}`, '-c', 'loglevel=warning'], { stdio: ['ignore', 'ignore', 'inherit'] }));
    pids.push(c.pid!);
    endpoints.push({ host, port });
  }
  for (const ep of endpoints) await waitPort(ep);
  return { pids, endpoints };
}

/** The naive design the worker clock replaces: one setTimeout per chunk. */
const NAIVE_PROXY = `
const net = require('node:net');
const links = JSON.parse(process.argv[1]);
let ready = 0;
for (const l of links) {
  const server = net.createServer({ noDelay: true }, (c) => {
    const t = net.connect({ host: l.target.host, port: l.target.port, noDelay: true });
    c.on('data', (d) => setTimeout(() => t.write(d), l.delayMs));
    t.on('data', (d) => setTimeout(() => c.write(d), l.delayMs));
    c.on('error', () => {}); t.on('error', () => {});
    c.on('close', () => t.destroy()); t.on('close', () => c.destroy());
  });
  server.listen(l.listen.port, l.listen.host, () => { if (++ready === links.length) console.log('ready'); });
}
`;

interface Proxy {
  pid: number;
  listens: Endpoint[];
  stop(): Promise<void>;
  lateP99?: () => Promise<number>;
  wakeups?: () => Promise<number>;
}

async function startProxy(clock: string, rttMs: number, targets: Endpoint[]): Promise<Proxy> {
  const links = await Promise.all(
    targets.map(async (t, i) => {
      const host = `127.1.${i + 1}.${i + 1}`;
      return { id: `az-a->n${i + 1}`, listen: { host, port: await freePort(host) }, target: t, delayMs: rttMs / 2 };
    }),
  );
  if (clock === 'naive') {
    const c = track(spawn(process.execPath, ['-e', NAIVE_PROXY, JSON.stringify(links)], { stdio: ['ignore', 'pipe', 'inherit'] }));
    await new Promise<void>((resolve) => c.stdout!.once('data', () => resolve()));
    return {
      pid: c.pid!,
      listens: links.map((l) => l.listen),
      stop: async () => {
        c.kill('SIGKILL');
      },
    };
  }
  const p: ProxyProcess = await spawnProxy({ clock: clock as 'worker', entry: proxyEntry, ...(coalesce ? { coalesceMs: Number(coalesce) } : {}) });
  track(p.child);
  const added = await p.client.addLinks(links);
  return {
    pid: p.pid,
    listens: added.map((a) => a.listen),
    stop: () => p.stop(),
    lateP99: async () => Math.max(...(await p.client.stats()).links.flatMap((l) => [l.forward.late.p99, l.backward.late.p99])),
    wakeups: async () => (await p.client.stats()).process.line.wakeups,
  };
}

// ---- the load: open loop, SET/GET with 100-byte values ----

const VALUE = 'v'.repeat(100);
function command(i: number): Buffer {
  const key = `key:${i % 10_000}`;
  return i % 2 === 0
    ? Buffer.from(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${VALUE.length}\r\n${VALUE}\r\n`)
    : Buffer.from(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`);
}

/** Counts complete replies (+, -, :, $) in a stream. */
class ReplyCounter {
  private buf = Buffer.alloc(0);
  count(d: Buffer): number {
    let b = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let n = 0;
    let pos = 0;
    for (;;) {
      const nl = b.indexOf('\r\n', pos);
      if (nl < 0) break;
      if (b[pos] === 0x24) {
        const len = Number(b.toString('latin1', pos + 1, nl));
        const end = len < 0 ? nl + 2 : nl + 2 + len + 2;
        if (end > b.length) break;
        pos = end;
      } else pos = nl + 2;
      n++;
    }
    b = b.subarray(pos);
    this.buf = b.length ? Buffer.from(b) : Buffer.alloc(0);
    return n;
  }
}

interface LoadResult {
  hist: Histogram;
  sent: number;
  answered: number;
}

/** Drives every endpoint at `rate` requests/s for warm-up + `seconds`; round trips from the actual send. */
async function drive(endpoints: Endpoint[], onMeasureStart: () => void): Promise<LoadResult> {
  const hist = new Histogram();
  const conns: { s: net.Socket; sentAt: number[]; head: number }[] = [];
  let measuring = false;
  let answered = 0;
  for (const ep of endpoints) {
    for (let k = 0; k < CONNS_PER_LINK; k++) {
      const s = await new Promise<net.Socket>((resolve, reject) => {
        const c = net.connect({ host: ep.host, port: ep.port, noDelay: true }, () => resolve(c));
        c.once('error', reject);
      });
      const conn = { s, sentAt: [] as number[], head: 0 };
      const rc = new ReplyCounter();
      s.on('data', (d: Buffer) => {
        const now = performance.now();
        for (let n = rc.count(d); n > 0; n--) {
          const t = conn.sentAt[conn.head++];
          if (t >= 0 && measuring) {
            hist.recordMs(now - t);
            answered++;
          }
        }
        if (conn.head > 4096) {
          conn.sentAt.splice(0, conn.head);
          conn.head = 0;
        }
      });
      s.on('error', () => {});
      conns.push(conn);
    }
  }
  const total = endpoints.length * rate;
  const interval = 1000 / total;
  let i = 0;
  let sent = 0;
  let start = 0;
  let measureFrom = 0;
  let end = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const clock = createClock('worker', tick);
  function tick(): FireResult {
    const now = performance.now();
    const before = i;
    if (!measuring && now >= measureFrom) {
      measuring = true;
      onMeasureStart();
    }
    // Every request whose intended time has come goes out, each in its own write.
    while (start + i * interval <= now && start + i * interval < end) {
      const c = conns[i % conns.length];
      c.sentAt.push(measuring ? performance.now() : -1);
      c.s.write(command(i));
      if (measuring) sent++;
      i++;
    }
    if (start + i * interval >= end) {
      void clock.close().then(() => setTimeout(finished, 200));
      return 'idle';
    }
    clock.arm(start + i * interval);
    return i > before ? 'released' : 'early';
  }
  await clock.ready();
  start = performance.now();
  measureFrom = start + WARMUP_S * 1000;
  end = measureFrom + seconds * 1000;
  clock.arm(start);
  await done;
  for (const c of conns) c.s.destroy();
  return { hist, sent, answered };
}

/** CPU time of one timed sleep on this machine: the floor under every wake-up of any clock. */
async function wakeCostUs(): Promise<number> {
  const n = 2000;
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads'); const a = new Int32Array(new SharedArrayBuffer(4));
     const c0 = process.cpuUsage(); for (let i = 0; i < ${n}; i++) Atomics.wait(a, 0, 0, 0.2);
     const c = process.cpuUsage(c0); parentPort.postMessage((c.user + c.system) / ${n});`,
    { eval: true },
  );
  const us = await new Promise<number>((resolve) => w.once('message', resolve));
  await w.terminate();
  return us;
}

// ---- rows ----

interface Row {
  config: string;
  rttMs: number | null;
  p50: number;
  p99: number;
  p999: number;
  sent: number;
  answered: number;
  proxyCpuMsPerS: number | null;
  engineCpuMsPerS: number;
  proxyVsEngines: number | null;
  proxyUsPerRequest: number | null;
  lateP99: number | null;
  wakeupsPerS: number | null;
}

async function measure(config: string, rttMs: number | null, endpoints: Endpoint[], enginePids: number[], proxy: Proxy | null): Promise<Row> {
  let e0 = 0;
  let p0 = 0;
  let w0 = 0;
  let t0 = 0;
  const load = await drive(endpoints, () => {
    t0 = performance.now();
    e0 = enginePids.reduce((a, pid) => a + cpuMs(pid), 0);
    p0 = proxy ? cpuMs(proxy.pid) : 0;
    if (proxy?.wakeups) void proxy.wakeups().then((w) => (w0 = w));
  });
  const wall = (performance.now() - t0) / 1000;
  const engineCpu = enginePids.reduce((a, pid) => a + cpuMs(pid), 0) - e0;
  const proxyCpu = proxy ? cpuMs(proxy.pid) - p0 : null;
  const s = load.hist.summary();
  return {
    config,
    rttMs,
    p50: s.p50,
    p99: s.p99,
    p999: s.p999,
    sent: load.sent,
    answered: load.answered,
    proxyCpuMsPerS: proxyCpu === null ? null : proxyCpu / wall,
    engineCpuMsPerS: engineCpu / wall,
    proxyVsEngines: proxyCpu === null ? null : proxyCpu / engineCpu,
    proxyUsPerRequest: proxyCpu === null ? null : (proxyCpu * 1000) / Math.max(1, load.sent),
    lateP99: proxy?.lateP99 ? await proxy.lateP99() : null,
    wakeupsPerS: proxy?.wakeups ? ((await proxy.wakeups()) - w0) / wall : null,
  };
}

function fmt(v: number | null, digits = 3): string {
  return v === null || Number.isNaN(v) ? '-' : v.toFixed(digits);
}

function table(rows: Row[]): string {
  // The delay line's batching makes the engines cheaper per request, so also compare with the engines' CPU without it.
  const directEngines = rows.find((r) => r.config === 'direct')?.engineCpuMsPerS ?? NaN;
  const head = ['config', 'rtt ms', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'p50 ok', 'p99 ok', 'proxy CPU ms/s', 'engines CPU ms/s', 'proxy/engines', 'proxy/direct engines', 'proxy us/req', 'late p99 ms', 'wakeups/s'];
  const lines = rows.map((r) => {
    const ok50 = r.rttMs === null ? '-' : Math.abs(r.p50 - r.rttMs) <= Math.max(0.1, 0.1 * r.rttMs) ? 'yes' : 'no';
    const ok99 = r.rttMs === null ? '-' : r.p99 - r.rttMs <= 0.5 ? 'yes' : 'no';
    return [r.config, r.rttMs === null ? '-' : String(r.rttMs), fmt(r.answered / seconds, 0), fmt(r.p50), fmt(r.p99), fmt(r.p999), ok50, ok99, fmt(r.proxyCpuMsPerS, 0), fmt(r.engineCpuMsPerS, 0), r.proxyVsEngines === null ? '-' : `${(r.proxyVsEngines * 100).toFixed(0)}%`, r.proxyCpuMsPerS === null ? '-' : `${((r.proxyCpuMsPerS / directEngines) * 100).toFixed(0)}%`, fmt(r.proxyUsPerRequest, 1), fmt(r.lateP99), fmt(r.wakeupsPerS, 0)];
  });
  return simpleTable(head, lines);
}

function simpleTable(head: string[], lines: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(w[i])).join(' | ') + ' |';
  return [row(head), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...lines.map(row)].join('\n');
}

async function main(): Promise<void> {
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`bench:net: ${nLinks} links x ${rate} req/s (SET/GET 100 B, ${CONNS_PER_LINK} connections each), ${seconds} s measured per row after ${WARMUP_S} s warm-up`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${load()} (other processes skew both latency and CPU time)`);
  console.log(`wake-up cost here: ${(await wakeCostUs()).toFixed(1)} us of CPU per Atomics.wait(0.2 ms) cycle in a worker (whole process; bare metal is a few us)`);
  const engines = await startEngines();
  // At rest: one connection, PING ping-pong.
  const pingRows: string[][] = [];
  const directPing = await probe(engines.endpoints[0], { count: 2000, warmup: 200 });
  pingRows.push(['direct', '-', fmt(directPing.p50), '-', '-', '-', fmt(directPing.p99), fmt(directPing.p999)]);
  // Raw: the PING through the link (includes the engine's own reply time, the direct row);
  // added: what the link adds to it, the quantity netem's delay would set.
  const ok = (got: number, rtt: number) => (Math.abs(got - rtt) <= Math.max(0.1, 0.1 * rtt) ? 'yes' : 'no');
  for (const clock of loadOnly ? [] : clocks) {
    for (const rtt of rtts) {
      const proxy = await startProxy(clock, rtt, engines.endpoints.slice(0, 1));
      try {
        const r = await probe(proxy.listens[0], { count: 2000, warmup: 200 });
        const added = r.p50 - directPing.p50;
        pingRows.push([clock, String(rtt), fmt(r.p50), ok(r.p50, rtt), fmt(added), ok(added, rtt), fmt(r.p99), fmt(r.p999)]);
      } catch (e) {
        pingRows.push([clock, String(rtt), `failed: ${(e as Error).message}`, '', '', '', '', '']);
      } finally {
        await proxy.stop();
      }
    }
  }
  console.log('\nat rest: PING ping-pong over one connection, 2000 round trips');
  console.log(simpleTable(['config', 'rtt ms', 'p50 ms', 'p50 ok', 'added p50 ms', 'added ok', 'p99 ms', 'p99.9 ms'], pingRows));
  console.log('p50 ok: within max(0.1 ms, 10%) of the configured RTT; added = p50 minus the direct p50 (the engine\'s own PING time).');
  console.log(`load average now ${load()}`);

  const rows: Row[] = [];
  if (restOnly) {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    return;
  }
  console.log(`\nunder load: ${nLinks} links x ${rate} req/s`);
  const direct = await measure('direct', null, engines.endpoints, engines.pids, null);
  rows.push(direct);
  console.log(table(rows));
  for (const clock of clocks) {
    for (const rtt of rtts) {
      const proxy = await startProxy(clock, rtt, engines.endpoints);
      try {
        rows.push(await measure(clock, rtt, proxy.listens, engines.pids, proxy));
      } finally {
        await proxy.stop();
      }
      console.log(table(rows).split('\n').at(-1));
    }
  }
  console.log(`\n${table(rows)}\n`);
  console.log(`p50 ok: within max(0.1 ms, 10%) of the configured RTT; p99 ok: at most 0.5 ms above it. node ${process.version}, ${process.arch}; load average at the end ${load()}.`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ links: nLinks, rate, seconds, atRest: pingRows, rows }, null, 2));
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
