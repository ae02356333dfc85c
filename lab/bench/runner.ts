/**
 * `runBench`: the bench as a library function (the CLI, chaos and tests call it).
 *
 * For each mode: get an endpoint (the `--target` URL, or a cluster from the injected
 * ClusterProvider), start worker threads that prefill and then drive the workload, merge
 * their per-second interval histograms, measure the bench's own CPU, compute cost, and
 * write results/<run>/ when `outDir` is given.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { decodeHistogram, summarize } from '../metrics/hdr.js';
import { fromWire, SeriesAggregator, type OpInterval } from '../metrics/series.js';
import { computeCost, serviceFor } from '../cost/cost.js';
import type { Pricing } from '../cost/pricing.js';
import { isWriteOp } from '../workloads/ops.js';
import type { Workload, WorkloadProfile } from '../workloads/profile.js';
import type { LoadConfig, LoadFinal } from './load.js';
import { redactUrl } from './load.js';
import { writeResults } from './output.js';
import { Progress, type ProgressStyle } from './progress.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { MODES, type BenchResult, type ClientStats, type ClusterHandle, type ClusterProvider, type Mode, type ModeResult, type OpResult, type TopologyOverrides } from './types.js';

export interface BenchOptions {
  workload: Workload;
  /** The resolved profile, written as profile.yaml. */
  profile?: WorkloadProfile;
  /** Cluster modes to run in turn (without `target`); default all three. */
  modes?: Mode[];
  /** redis://[user:pass@]HOST:PORT[/db] or rediss://...: run against this endpoint instead of a cluster. */
  target?: string;
  /** How to drive `target` (wait: WAIT after every write); default plain. */
  targetMode?: Mode;
  tlsInsecure?: boolean;
  /** Load worker threads; default min(cores, 4), at most one per connection. */
  workers?: number;
  /** Results root (a run goes to <outDir>/<runId>/); nothing is written when absent. */
  outDir?: string;
  label?: string;
  /** The exact command line, for command.txt. */
  command?: string;
  pricing?: Pricing;
  pricingPath?: string;
  /** Node type per pricing service (e.g. { memorydb: 'db.r6g.large' }). */
  nodeTypes?: Record<string, string>;
  /** Nodes billed for a `target` (its topology is unknown to the bench); default 3. */
  nodes?: number;
  /** Passed to ClusterProvider.up; default { rttMs: 1 }. */
  topology?: TopologyOverrides;
  progress?: ProgressStyle;
  /** Keep every latency sample (tests: checks percentiles against raw data). */
  keepRawSamples?: boolean;
  /** Warnings and plain progress lines; default stderr. */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** How long to wait for outstanding replies after the window; default 5 s + WAIT timeout. */
  drainTimeoutMs?: number;
  /** Called as each mode finishes (e.g. to print as you go). */
  onModeDone?: (r: ModeResult) => void;
  /** For tests: called once the measured window of a mode has started. */
  onWindowStart?: (mode: Mode, startEpochMs: number) => void;
  /** Write report.html (and machine.json) into the run dir at the end; default true. */
  report?: boolean;
}

export class NoClusterError extends Error {
  constructor() {
    super(
      'no lab cluster provider could be loaded (dist/lab/cluster/bench-provider.js; run `npx tsc -p .`): ' +
        'or pass --target redis://HOST:PORT to run against an endpoint, e.g. one started with `memlab server --port 7001`',
    );
    this.name = 'NoClusterError';
  }
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism(), 4));
}

function workerUrl(): URL {
  const sibling = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  // Running from the TypeScript sources (vitest): worker threads need the compiled file.
  const dist = new URL('../../dist/lab/bench/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(dist))) return dist;
  throw new Error('the bench worker is not compiled (dist/lab/bench/worker.js): run `npx tsc -p .` first');
}

export function makeRunId(label: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const ts = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const safe = label.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40);
  return safe ? `${ts}-${safe}` : ts;
}

export async function runBench(options: BenchOptions, provider?: ClusterProvider): Promise<BenchResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  if (!options.target && !provider) throw new NoClusterError();
  const modes: Mode[] = options.target ? [options.targetMode ?? 'plain'] : (options.modes ?? [...MODES]);
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode '${m}' (known: ${MODES.join(', ')})`);
  if (options.target && !/^rediss?:\/\//.test(options.target)) throw new Error(`--target must be redis://HOST:PORT or rediss://HOST:PORT, got '${options.target}'`);

  const runId = makeRunId(options.label ?? options.workload.name);
  let dir: string | undefined;
  if (options.outDir) {
    dir = path.join(options.outDir, runId);
    for (let i = 2; existsSync(dir); i++) dir = path.join(options.outDir, `${runId}-${i}`);
  }
  // Created once a mode has results, so a run that fails to start leaves nothing behind.
  const write = () => {
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    writeResults(dir, result, options);
  };
  const result: BenchResult = { runId: dir ? path.basename(dir) : runId, dir, modes: [], warnings: [] };
  if (options.pricing && !options.pricing.verified) {
    result.warnings.push(`pricing profile '${options.pricing.name}' is not verified (${options.pricing.note ?? 'figures not re-checked'}): treat costs as estimates`);
  }

  for (const mode of modes) {
    if (options.signal?.aborted) break;
    let handle: ClusterHandle | undefined;
    let url: string;
    try {
      if (options.target) url = options.target;
      else {
        handle = await provider!.up(mode, options.topology ?? { rttMs: 1 });
        const e = handle.endpoint;
        const auth = e.password ? `:${encodeURIComponent(e.password)}@` : '';
        url = `${e.tls ? 'rediss' : 'redis'}://${auth}${e.host}:${e.port}`;
      }
      const r = await runMode(mode, url, handle, options, log);
      result.modes.push(r);
      for (const w of r.warnings) log(`memlab bench: warning (${mode}): ${w}`);
      options.onModeDone?.(r);
      write();
    } finally {
      if (handle) await handle.down();
    }
  }
  if (result.modes.length) write();
  else result.dir = undefined;
  if (result.dir && options.report !== false) await writeRunReport(result.dir, log);
  return result;
}

/** report.html and machine.json (lab/reports); a failed report must not lose the run's results. */
async function writeRunReport(dir: string, log: (l: string) => void): Promise<void> {
  try {
    const { writeReport } = await import('../reports/report.js');
    const r = await writeReport(dir);
    for (const p of r.problems) log(`memlab bench: report: ${p}`);
  } catch (e) {
    log(`memlab bench: report.html not written: ${(e as Error).message}`);
  }
}

interface WorkerState {
  worker: Worker;
  ready: Promise<void>;
  done: Promise<LoadFinal>;
}

function startWorker(cfg: LoadConfig, onInterval: (second: number, ops: Record<string, OpInterval>) => void): WorkerState {
  const worker = new Worker(workerUrl(), { workerData: cfg });
  let readyResolve!: () => void;
  let doneResolve!: (f: LoadFinal) => void;
  let fail!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    fail = rej;
  });
  const done = new Promise<LoadFinal>((res, rej) => {
    doneResolve = res;
    const prev = fail;
    fail = (e) => {
      prev(e);
      rej(e);
    };
  });
  // Nobody may await one of them when the other fails.
  ready.catch(() => {});
  done.catch(() => {});
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'ready') readyResolve();
    else if (m.type === 'interval') {
      const ops: Record<string, OpInterval> = {};
      for (const [op, w] of Object.entries(m.ops)) ops[op] = fromWire(w);
      onInterval(m.second, ops);
    } else if (m.type === 'done') doneResolve(m.final);
    else if (m.type === 'error') fail(new Error(m.message));
  });
  worker.on('error', (e) => fail(e));
  worker.on('exit', (code) => fail(new Error(`bench worker exited (code ${code}) before finishing`)));
  return { worker, ready, done };
}

async function runMode(mode: Mode, url: string, handle: ClusterHandle | undefined, options: BenchOptions, log: (l: string) => void): Promise<ModeResult> {
  const w = options.workload;
  const cores = os.availableParallelism();
  const nWorkers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), w.connections));
  const series = new SeriesAggregator();
  const drainTimeoutMs = options.drainTimeoutMs ?? 5000 + (mode === 'wait' ? w.wait.timeoutMs : 0);
  const rawParts: Record<string, number[]>[] = [];

  const states: WorkerState[] = [];
  for (let i = 0; i < nWorkers; i++) {
    const connections = Math.floor(w.connections / nWorkers) + (i < w.connections % nWorkers ? 1 : 0);
    const cfg: LoadConfig = {
      workerIndex: i,
      workerCount: nWorkers,
      url,
      tlsInsecure: options.tlsInsecure ?? false,
      workload: w,
      mode,
      connections,
      rate: w.rate === null ? null : (w.rate * connections) / w.connections,
      rateOffsetMs: w.rate === null ? 0 : (i * 1000) / w.rate,
      prefill: true,
      keepRaw: options.keepRawSamples ?? false,
      drainTimeoutMs,
    };
    states.push(
      startWorker(cfg, (second, ops) => {
        for (const [op, iv] of Object.entries(ops)) series.add(op, second, iv);
      }),
    );
  }
  const terminateAll = () => Promise.all(states.map((s) => s.worker.terminate()));
  try {
    await Promise.all(states.map((s) => s.ready));
  } catch (e) {
    await terminateAll();
    throw e;
  }

  const startAtEpochMs = performance.timeOrigin + performance.now() + 100;
  const measureStartEpoch = startAtEpochMs + w.warmupMs;
  const endEpoch = measureStartEpoch + w.durationMs;
  const untilEpoch = (t: number) => Math.max(0, t - (performance.timeOrigin + performance.now()));

  let cpu0: NodeJS.CpuUsage | undefined;
  let cpu1: NodeJS.CpuUsage | undefined;
  let t0 = 0;
  let t1 = 0;
  let elu0: EventLoopUtilization[] = [];
  let elu1: EventLoopUtilization[] = [];
  let stats0: Promise<{ logBytes?: number }> | undefined;
  const atStart = setTimeout(() => {
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    elu0 = states.map((s) => s.worker.performance.eventLoopUtilization());
    if (handle) stats0 = handle.stats().catch(() => ({}));
    options.onWindowStart?.(mode, measureStartEpoch);
  }, untilEpoch(measureStartEpoch));
  const takeEnd = () => {
    if (t1) return;
    t1 = performance.now();
    cpu1 = process.cpuUsage();
    elu1 = states.map((s, i) => s.worker.performance.eventLoopUtilization(elu0[i]));
  };
  const atEnd = setTimeout(takeEnd, untilEpoch(endEpoch));

  const progress = new Progress(options.progress ?? 'auto', mode, w.warmupMs, w.durationMs, measureStartEpoch, series, log);
  const onAbort = () => states.forEach((s) => s.worker.postMessage({ type: 'stop' } satisfies ToWorker));
  options.signal?.addEventListener('abort', onAbort);

  let finals: LoadFinal[];
  try {
    for (const s of states) s.worker.postMessage({ type: 'start', startAtEpochMs } satisfies ToWorker);
    progress.start();
    finals = await Promise.all(states.map((s) => s.done));
    // Workers can finish a hair before the end-of-window timer fires.
    takeEnd();
  } catch (e) {
    await terminateAll();
    throw e;
  } finally {
    progress.stop();
    clearTimeout(atStart);
    clearTimeout(atEnd);
    options.signal?.removeEventListener('abort', onAbort);
  }
  // Workers close their connections and exit by themselves; don't wait on slow QUITs.
  for (const s of states) s.worker.unref();
  setTimeout(() => void terminateAll(), 2000).unref();

  const stats1 = handle ? await handle.stats().catch(() => ({}) as { logBytes?: number }) : undefined;
  const s0 = stats0 ? await stats0 : undefined;
  const logBytes = s0?.logBytes !== undefined && stats1?.logBytes !== undefined ? stats1.logBytes - s0.logBytes : undefined;

  for (const f of finals) if (f.raw) rawParts.push(f.raw);

  // Aborted runs have a shorter window.
  const durationSec = (t1 && t0 ? t1 - t0 : w.durationMs) / 1000;
  const toResult = (op: string, kind: OpResult['kind'], iv: OpInterval): OpResult => ({
    op,
    kind,
    count: iv.count,
    errors: iv.errorCount,
    errorKinds: { ...iv.errors },
    acked: iv.acked,
    underAcked: iv.underAcked,
    nil: iv.nil,
    throughput: iv.count / durationSec,
    latencyUs: summarize(iv.hist),
    bytesWritten: iv.bytes,
  });
  const mixOps = w.mix.map((m) => m.op);
  const ops = [...new Set([...mixOps, ...series.ops()])].map((op) => toResult(op, isWriteOp(op) ? 'write' : 'read', series.total(op)));
  const all = toResult('all', 'all', series.grandTotal());

  // Client CPU: the whole process (main thread + workers) over the window.
  const wallUs = (t1 - t0) * 1000;
  const cpuUs = cpu0 && cpu1 ? cpu1.user - cpu0.user + (cpu1.system - cpu0.system) : 0;
  const cpuCores = wallUs > 0 ? cpuUs / wallUs : 0;
  const usable = Math.min(cores, nWorkers + 1);
  const workerElu = elu1.map((e) => Math.round(e.utilization * 1000) / 1000);
  const lagHists = finals.filter((f) => f.sendLag).map((f) => decodeHistogram(f.sendLag!));
  let sendLagUs;
  if (lagHists.length) {
    const h = lagHists[0];
    for (const o of lagHists.slice(1)) h.add(o);
    sendLagUs = summarize(h);
  }
  const client: ClientStats = {
    workers: nWorkers,
    cores,
    cpuCores: Math.round(cpuCores * 100) / 100,
    cpuPct: Math.round((cpuCores / usable) * 1000) / 10,
    workerElu,
    sendLagUs,
    unsent: finals.reduce((a, f) => a + f.unsent, 0),
    warmupOps: finals.reduce((a, f) => a + f.warmupOps, 0),
    connectionErrors: finals.reduce((a, f) => a + f.connectionErrors, 0),
    saturated: false,
  };
  const warnings: string[] = [];
  if (w.rate === null) {
    // Open-loop workers spin in the last millisecond before each send, so their CPU and ELU
    // are high by design; there the send lag below tells whether the client keeps up.
    if (client.cpuPct > 85 || workerElu.some((u) => u > 0.85)) {
      client.saturated = true;
      warnings.push(
        `the client may be the bottleneck: it used ${client.cpuCores} of the ${usable} cores it can use (${client.cpuPct}%), worker event loops ${workerElu.map((u) => Math.round(u * 100) + '%').join(', ')} busy; ` +
          `throughput understates the server: use fewer connections, more --workers or a bigger client machine`,
      );
    }
  } else if (sendLagUs && sendLagUs.p99 > 1000) {
    client.saturated = true;
    warnings.push(
      `open loop: requests went out late (send lag p99 ${(sendLagUs.p99 / 1000).toFixed(2)} ms, max ${(sendLagUs.max / 1000).toFixed(1)} ms): ` +
        `the client could not keep the schedule, or maxInFlight (${w.maxInFlight} per connection) was reached; latency still counts from the intended time`,
    );
  }
  if (client.unsent > 0) warnings.push(`${client.unsent} open-loop requests due in the window were never sent (drain timeout ${drainTimeoutMs} ms)`);
  if (all.errors > 0) warnings.push(`${all.errors} operations failed: ${Object.entries(all.errorKinds).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (all.underAcked > 0) warnings.push(`${all.underAcked} writes were under-acknowledged (WAIT ${w.wait.replicas} ${w.wait.timeoutMs} returned fewer replicas)`);
  if (all.count === 0) warnings.push('no operation succeeded in the measured window');
  if (options.signal?.aborted) warnings.push(`stopped early: measured ${durationSec.toFixed(1)} s of ${w.durationMs / 1000} s`);

  const nodes = handle?.nodes ?? options.nodes ?? 3;
  let cost;
  if (options.pricing) {
    const service = serviceFor(options.pricing, mode);
    const writeOps = ops.filter((o) => o.kind === 'write');
    cost = computeCost({
      pricing: options.pricing,
      mode,
      nodes,
      nodeType: options.nodeTypes?.[service],
      durationSec,
      writes: writeOps.reduce((a, o) => a + o.count, 0),
      payloadBytes: writeOps.reduce((a, o) => a + o.bytesWritten, 0),
      logBytes,
    });
  }

  let raw: Record<string, number[]> | undefined;
  if (options.keepRawSamples) {
    raw = {};
    for (const part of rawParts) {
      for (const [op, xs] of Object.entries(part)) {
        const into = (raw[op] ??= []);
        for (const x of xs) into.push(x);
      }
    }
  }

  return {
    mode,
    target: redactUrl(url),
    workload: w.name,
    loop: w.rate === null ? 'closed' : 'open',
    rate: w.rate,
    connections: w.connections,
    pipeline: w.pipeline,
    startedAtMs: measureStartEpoch,
    durationSec,
    ops,
    all,
    series,
    client,
    logBytes,
    nodes,
    cost,
    warnings,
    raw,
  };
}
