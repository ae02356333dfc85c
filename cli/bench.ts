import type { Command } from 'commander';
import { ProfileError, listProfiles } from '../lab/profiles/load.js';
import { parseDuration } from '../lab/profiles/units.js';
import { loadPricing } from '../lab/cost/pricing.js';
import { loadWorkload, parseMix } from '../lab/workloads/profile.js';
import { loadClusterProvider } from '../lab/bench/provider.js';
import { NoClusterError, runBench, defaultWorkers } from '../lab/bench/runner.js';
import { formatTable } from '../lab/bench/table.js';
import { MODES, type Mode } from '../lab/bench/types.js';
import { fail } from './options.js';

interface BenchFlags {
  workload: string;
  modes?: string;
  target?: string;
  mode?: string;
  duration?: string;
  warmup?: string;
  rate?: string;
  connections?: string;
  pipeline?: string;
  keys?: string;
  distribution?: string;
  valueSize?: string;
  mix?: string;
  waitReplicas?: string;
  waitTimeout?: string;
  set: string[];
  workers?: string;
  out: string;
  label?: string;
  pricing: string;
  nodeType: string[];
  nodes?: string;
  rtt: string;
  topology?: string;
  sameAz: string;
  tlsInsecure?: boolean;
  progress: string;
  list?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function parseModes(text: string, flag: string): Mode[] {
  const modes = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of modes) if (!(MODES as readonly string[]).includes(m)) fail(`${flag}: unknown mode '${m}' (known: ${MODES.join(', ')})`);
  if (modes.length === 0) fail(`${flag} needs at least one mode`);
  return modes as Mode[];
}

function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) fail(`${flag} must be a positive integer, got '${text}'`);
  return Number(text);
}

/** Dedicated flags, applied after --set (so they win). */
function flagOverrides(o: BenchFlags): string[] {
  const out: string[] = [];
  const put = (v: string | undefined, path: string) => v !== undefined && out.push(`${path}=${v}`);
  put(o.duration, 'duration');
  put(o.warmup, 'warmup');
  put(o.rate, 'rate');
  put(o.connections, 'connections');
  put(o.pipeline, 'pipeline');
  put(o.keys, 'keys.count');
  put(o.distribution, 'keys.distribution');
  put(o.waitReplicas, 'wait.replicas');
  put(o.waitTimeout, 'wait.timeoutMs');
  if (o.valueSize !== undefined) {
    const m = /^([^-]+)(?:-(.+))?$/.exec(o.valueSize);
    if (!m) fail(`--value-size expects SIZE or MIN-MAX, e.g. 100 or 64-1kb, got '${o.valueSize}'`);
    out.push(`values.min=${m[1]}`, `values.max=${m[2] ?? m[1]}`);
  }
  if (o.mix !== undefined) {
    const mix = parseMix(o.mix);
    out.push(`ops={${Object.entries(mix).map(([k, v]) => `${k}: ${v}`).join(', ')}}`);
  }
  return out;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('drive a workload against a cluster in each mode (or any --target) and report latency, throughput and cost side by side')
    .option('-w, --workload <name|file>', 'workload profile (profiles/workloads/<name>.yaml or a path)', 'cache-90-10')
    .option('--modes <list>', 'cluster modes to run in turn, without --target (default plain,wait,durable)')
    .option('--target <url>', 'run against this endpoint instead of a lab cluster: redis://[user:pass@]HOST:PORT[/db] or rediss://...')
    .option('--mode <mode>', 'how to drive --target: plain, wait (WAIT after every write) or durable (default plain)')
    .option('--duration <d>', 'measured window, e.g. 10s (overrides duration)')
    .option('--warmup <d>', 'warm-up before the window, e.g. 2s (overrides warmup)')
    .option('--rate <ops>', "open-loop target rate, e.g. 20000, 20k/s; 'closed' for closed-loop (overrides rate)")
    .option('--connections <n>', 'total connections over all workers (overrides connections)')
    .option('--pipeline <n>', 'closed-loop requests in flight per connection (overrides pipeline)')
    .option('--keys <n>', 'key count (overrides keys.count)')
    .option('--distribution <d>', 'uniform, zipfian or sequential (overrides keys.distribution)')
    .option('--value-size <size>', 'value size or range, e.g. 100 or 64-1kb (overrides values.min/max)')
    .option('--mix <ops>', 'operation mix replacing the profile one, e.g. get=90,set=10')
    .option('--wait-replicas <n>', 'WAIT numreplicas in wait mode (overrides wait.replicas)')
    .option('--wait-timeout <ms>', 'WAIT timeout in ms in wait mode (overrides wait.timeoutMs)')
    .option('--set <path=value>', 'override any profile field, repeatable: --set keys.theta=0.8 --set ops.get=80', collect, [])
    .option('--workers <n>', `load worker threads (default min(cores, 4) = ${defaultWorkers()})`)
    .option('--out <dir>', 'results root; the run goes to <dir>/<run-id>/', 'results')
    .option('--label <text>', 'short label in the run id (default: the workload name)')
    .option('--pricing <name|file>', 'pricing profile for the cost columns', 'aws-us-east-1')
    .option('--node-type <type>', 'price this node type instead of the default, e.g. db.r6g.large (repeatable)', collect, [])
    .option('--nodes <n>', 'nodes billed for --target (primary + replicas; default 3)')
    .option('--rtt <d>', 'cross-AZ round trip of the lab cluster', '1ms')
    .option('--topology <name|file>', 'topology profile for the lab cluster')
    .option(
      '--same-az <kind>',
      "lab cluster's same-AZ paths, clients to the primary included: direct (no proxy CPU on the client path; the bench injects no faults) or proxy (a zero-delay link, as memlab up)",
      'direct',
    )
    .option('--tls-insecure', 'with rediss://, do not verify the server certificate')
    .option('--progress <style>', 'auto, tty (bar), plain (lines) or none', 'auto')
    .option('--list', 'list the workload profiles and exit')
    .addHelpText(
      'after',
      `
Examples:
  memlab bench                                          # default cluster, all three modes
  memlab bench --target redis://127.0.0.1:6379 --duration 5s
  memlab bench --target redis://127.0.0.1:6379 --mode wait --wait-replicas 1 --wait-timeout 50
  memlab bench -w session-50-50 --rate 20k/s --set keys.distribution=zipfian --set keys.theta=0.9

--set and the dedicated flags take profile field paths (docs/bench.md lists them); the
dedicated flags are applied after --set. Workloads: ${listProfiles('workloads').join(', ')}
`,
    )
    .action(async (o: BenchFlags, cmd: Command) => {
      if (o.list) {
        for (const name of listProfiles('workloads')) {
          const { profile } = loadWorkload(name);
          process.stdout.write(`${name.padEnd(20)} ${profile.description ?? ''}\n`);
        }
        return;
      }
      if (!['auto', 'tty', 'plain', 'none'].includes(o.progress)) fail(`--progress must be auto, tty, plain or none, got '${o.progress}'`);
      const workers = positiveInt(o.workers, '--workers');
      const nodes = positiveInt(o.nodes, '--nodes');
      const rttMs = parseDuration(o.rtt);
      if (rttMs === null) fail(`--rtt must be a duration such as 1ms or 500us, got '${o.rtt}'`);
      if (o.sameAz !== 'direct' && o.sameAz !== 'proxy') fail(`--same-az must be direct or proxy, got '${o.sameAz}'`);

      let targetMode: Mode | undefined;
      let modes: Mode[] | undefined;
      if (o.target) {
        if (cmd.getOptionValueSource('modes') === 'cli') fail('--modes is for lab clusters; with --target use --mode to say how to drive the endpoint');
        const m = parseModes(o.mode ?? 'plain', '--mode');
        if (m.length !== 1) fail('--mode takes one mode');
        targetMode = m[0];
        if (!/^rediss?:\/\/[^/]+/.test(o.target)) fail(`--target must be redis://HOST:PORT or rediss://HOST:PORT, got '${o.target}'`);
      } else {
        modes = parseModes(o.modes ?? o.mode ?? MODES.join(','), o.modes ? '--modes' : '--mode');
      }

      let loaded, pricing;
      try {
        loaded = loadWorkload(o.workload, [...o.set, ...flagOverrides(o)]);
        pricing = loadPricing(o.pricing);
      } catch (e) {
        if (e instanceof ProfileError) fail(e.message);
        throw e;
      }
      const nodeTypes: Record<string, string> = {};
      for (const t of o.nodeType) {
        const svc = Object.entries(pricing.pricing.services).find(([, s]) => s.nodeTypes[t]);
        if (!svc) fail(`--node-type ${t}: not in ${pricing.path} (known: ${Object.values(pricing.pricing.services).flatMap((s) => Object.keys(s.nodeTypes)).join(', ')})`);
        nodeTypes[svc[0]] = t;
      }

      const provider = o.target ? undefined : await loadClusterProvider();
      if (!o.target && !provider) fail(new NoClusterError().message);

      const command = ['memlab', ...process.argv.slice(2)].map(shellQuote).join(' ');
      // First Ctrl-C: stop issuing, drain, write what was measured. Second: quit.
      const abort = new AbortController();
      process.once('SIGINT', () => {
        process.stderr.write('\nmemlab bench: stopping (Ctrl-C again to quit at once)\n');
        abort.abort();
        process.once('SIGINT', () => process.exit(130));
      });
      const result = await runBench(
        {
          workload: loaded.workload,
          profile: loaded.profile,
          modes,
          target: o.target,
          targetMode,
          tlsInsecure: o.tlsInsecure,
          workers,
          outDir: o.out,
          label: o.label,
          command,
          pricing: pricing.pricing,
          pricingPath: pricing.path,
          nodeTypes,
          nodes,
          topology: { rttMs: rttMs!, sameAz: o.sameAz as 'direct' | 'proxy', ...(o.topology ? { profile: o.topology } : {}) },
          progress: o.progress as 'auto',
          signal: abort.signal,
        },
        provider,
      );
      process.stdout.write('\n' + formatTable(result.modes));
      for (const w of result.warnings) process.stdout.write(`note: ${w}\n`);
      if (result.dir) process.stdout.write(`results: ${result.dir}\n`);
    });
}
