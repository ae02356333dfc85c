import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ProfileError } from '../lab/profiles/load.js';
import { parseDuration } from '../lab/profiles/units.js';
import { MODES, resolveSpec, type Mode, type UpOverrides } from '../lab/cluster/profile.js';
import { Supervisor, ClusterError } from '../lab/cluster/supervisor.js';
import { DEFAULT_STATE_PATH, runDirFor, type ClusterState } from '../lab/cluster/state.js';
import { NetemUnavailableError } from '../lab/network/netem.js';
import { fail } from './options.js';

interface UpFlags {
  mode?: string;
  replicas?: string;
  azs?: string;
  rtt?: string;
  jitter?: string;
  net?: string;
  backend?: string;
  topology?: string;
  state: string;
  detach?: boolean;
  downAfter?: string;
  probeInterval?: string;
  basePort?: string;
  config?: string[];
  supervisorChild?: boolean;
}

function overrides(o: UpFlags): UpOverrides {
  const out: UpOverrides = {};
  if (o.topology) out.topology = o.topology;
  if (o.mode !== undefined) {
    if (!(MODES as readonly string[]).includes(o.mode)) fail(`--mode must be one of ${MODES.join(', ')}, got '${o.mode}'`);
    out.mode = o.mode as Mode;
  }
  const int = (v: string | undefined, flag: string, min: number, max: number) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) fail(`${flag} must be an integer ${min}-${max}, got '${v}'`);
    return Number(v);
  };
  const dur = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const d = parseDuration(v);
    if (d === null) fail(`${flag} must be a duration such as 1ms, 0.5ms or 250us, got '${v}'`);
    return d;
  };
  const r = int(o.replicas, '--replicas', 0, 15);
  if (r !== undefined) out.replicas = r;
  const a = int(o.azs, '--azs', 1, 16);
  if (a !== undefined) out.azs = a;
  const rtt = dur(o.rtt, '--rtt');
  if (rtt !== undefined) out.rttMs = rtt;
  const j = dur(o.jitter, '--jitter');
  if (j !== undefined) out.jitterMs = j;
  const da = dur(o.downAfter, '--down-after');
  if (da !== undefined) out.downAfterMs = da;
  const pi = dur(o.probeInterval, '--probe-interval');
  if (pi !== undefined) out.probeIntervalMs = pi;
  const bp = int(o.basePort, '--base-port', 1, 65000);
  if (bp !== undefined) out.basePort = bp;
  if (o.net !== undefined) {
    if (!['auto', 'netem', 'proxy', 'none'].includes(o.net)) fail(`--net must be auto, netem, proxy or none, got '${o.net}'`);
    out.net = o.net as UpOverrides['net'];
  }
  if (o.backend !== undefined) {
    if (!['process', 'docker'].includes(o.backend)) fail(`--backend must be process or docker, got '${o.backend}'`);
    out.backend = o.backend as UpOverrides['backend'];
  }
  if (o.config?.length) {
    const cfg: Record<string, string> = {};
    for (const p of o.config) {
      const i = p.indexOf('=');
      if (i <= 0) fail(`--config expects name=value, got '${p}'`);
      cfg[p.slice(0, i)] = p.slice(i + 1);
    }
    out.engineConfig = cfg;
  }
  return out;
}

/** What `memlab up` prints: every process, the addresses each AZ dials, the endpoints. */
export function describeCluster(s: ClusterState): string {
  const L: string[] = [];
  L.push(`memlab cluster up: mode ${s.mode}, ${s.spec.azs.length} AZs, net ${s.net.backend} (${s.net.reason})`);
  L.push(`  clients connect to  ${s.endpoint.host}:${s.endpoint.port}   (primary ${s.primary}, as seen from ${s.clientAz})`);
  L.push(`  sentinel            ${s.sentinel.host}:${s.sentinel.port}   (master name '${s.sentinel.masterName}')`);
  L.push(`  supervisor          pid ${s.supervisor.pid}, control ${s.supervisor.control.host}:${s.supervisor.control.port}, probes from ${s.supervisor.address} (${s.supervisor.az})`);
  if (s.proxy) L.push(`  delay line          pid ${s.proxy.pid}, control ${s.proxy.control.host}:${s.proxy.control.port}`);
  if (s.net.created.length) L.push(`  netem created       ${s.net.created.map((u) => u.slice(-1)[0]).join(', ')}`);
  L.push('');
  const azs = s.spec.azs;
  L.push(['id', 'kind', 'az', 'role', 'pid', 'binds', ...azs.map((a) => `from ${a}`)].map((x, i) => x.padEnd(i < 4 ? 8 : i === 4 ? 9 : 22)).join(''));
  for (const n of s.nodes) {
    L.push([n.id, n.kind, n.az, n.role, String(n.pid ?? '-'), `${n.host}:${n.port}`, ...azs.map((a) => `${n.views[a].host}:${n.views[a].port}`)].map((x, i) => x.padEnd(i < 4 ? 8 : i === 4 ? 9 : 22)).join(''));
  }
  L.push('');
  L.push(`  state file          ${s.statePath}`);
  for (const w of s.warnings) L.push(`  warning: ${w}`);
  return L.join('\n');
}

function failOn(e: unknown): never {
  if (e instanceof ProfileError || e instanceof ClusterError || e instanceof NetemUnavailableError) fail(e.message);
  fail((e as Error).message);
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start a lab cluster: one engine node per AZ, log replicas (durable), the delay line, and the supervisor')
    .option('--mode <mode>', `consistency mode: ${MODES.join(', ')}`)
    .option('--replicas <n>', 'engine replicas besides the primary')
    .option('--azs <n>', 'number of availability zones')
    .option('--rtt <d>', 'cross-AZ round trip, e.g. 1ms, 500us')
    .option('--jitter <d>', 'round-trip jitter, e.g. 0.1ms')
    .option('--net <kind>', 'auto (netem where it works, else proxy), netem, proxy, none')
    .option('--backend <kind>', 'process or docker')
    .option('--topology <name|file>', 'topology profile (profiles/topology/<name>.yaml or a path)', 'default')
    .option('--state <path>', 'state file', DEFAULT_STATE_PATH)
    .option('--detach', 'run the supervisor in the background and return once the cluster is ready')
    .option('--down-after <d>', "Sentinel's down-after: how long the primary may not answer before failover")
    .option('--probe-interval <d>', 'how often the supervisor probes every node')
    .option('--base-port <n>', 'node i listens on N+i-1 (default: free ports)')
    .option('-c, --config <name=value...>', 'engine options for every node, as memlab server -c')
    .addOption(new Option('--supervisor-child', 'the detached supervisor process (set by --detach)').hideHelp())
    .addHelpText(
      'after',
      `
Examples:
  memlab up                                   # plain mode, 3 AZs, 1 ms RTT, Ctrl-C stops it
  memlab up --mode wait --rtt 2ms --detach    # in the background; memlab status / down
  memlab up --topology ./my-topology.yaml     # copy profiles/topology/default.yaml to start
`,
    )
    .action(async (o: UpFlags) => {
      const ov = overrides(o);
      let spec;
      try {
        spec = resolveSpec(ov);
      } catch (e) {
        failOn(e);
      }
      if (o.detach) return detach(o);
      const child = o.supervisorChild === true && typeof process.send === 'function';
      let sup: Supervisor;
      try {
        sup = await Supervisor.start({ spec, statePath: o.state });
      } catch (e) {
        if (child) {
          process.send!({ error: (e as Error).message }, () => process.exit(2));
          return;
        }
        failOn(e);
      }
      const stop = () => void sup.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.once('SIGHUP', stop);
      if (child) {
        process.send!({ ready: true, state: sup.state }, () => process.disconnect());
      } else {
        process.stdout.write(describeCluster(sup.state) + '\n\nCtrl-C stops the cluster.\n');
      }
      await sup.stopped;
      process.exit(0);
    });
}

/** Start `memlab up --supervisor-child` detached; return once it reports ready (or why not). */
async function detach(o: UpFlags): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--detach');
  const runDir = runDirFor(o.state);
  mkdirSync(runDir, { recursive: true });
  const logFile = path.join(runDir, 'supervisor.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [process.argv[1], ...args, '--supervisor-child'], { detached: true, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd);
  const msg = await new Promise<{ ready?: boolean; state?: ClusterState; error?: string }>((resolve) => {
    child.once('message', (m) => resolve(m as { ready?: boolean; state?: ClusterState; error?: string }));
    child.once('exit', (code, sig) => resolve({ error: `the supervisor exited before the cluster was ready (${sig ?? `code ${code}`}); see ${logFile}` }));
  });
  if (msg.error) fail(msg.error);
  child.disconnect?.();
  child.unref();
  process.stdout.write(describeCluster(msg.state!) + `\n\nRunning in the background (supervisor log: ${logFile}). memlab status, memlab fault, memlab down.\n`);
}
