import type { Command } from 'commander';
import { ProfileError, listProfiles } from '../lab/profiles/load.js';
import { parseDuration } from '../lab/profiles/units.js';
import { MODES, type ChaosClusterProvider, type Mode } from '../lab/chaos/cluster-api.js';
import { LabClusterProvider } from '../lab/chaos/lab-cluster.js';
import { LocalClusterProvider, type ServerKind } from '../lab/chaos/local-cluster.js';
import { ChaosOutput, formatChaosTable } from '../lab/chaos/output.js';
import { runChaos, summarize, type RoundResult } from '../lab/chaos/runner.js';
import { loadScenario, loadScenarios, type Scenario } from '../lab/chaos/scenario.js';
import { fail } from './options.js';

interface ChaosFlags {
  modes: string;
  scenario: string;
  rounds: string;
  duration?: string;
  clients?: string;
  out: string;
  label: string;
  backend: string;
  server: string;
  seed: string;
  maxSteps?: string;
  list?: boolean;
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) fail(`${flag} must be a positive integer, got '${text}'`);
  return Number(text);
}

async function chooseProvider(backend: string, server: string): Promise<ChaosClusterProvider> {
  if (!['lab', 'local'].includes(backend)) fail(`--backend must be lab or local, got '${backend}'`);
  if (!['redis', 'engine'].includes(server)) fail(`--server must be redis or engine, got '${server}'`);
  if (backend === 'lab') return await LabClusterProvider.create();
  return new LocalClusterProvider(server as ServerKind);
}

export function registerChaos(program: Command): void {
  program
    .command('chaos')
    .description('inject failovers under a write workload in each mode; count lost acknowledged writes and check every history for linearizability')
    .option('--modes <list>', 'modes to run, comma-separated', MODES.join(','))
    .option('--scenario <name|all>', 'scenario profile(s): a name from profiles/chaos, a file, a comma-separated list, or all', 'all')
    .option('--rounds <n>', 'rounds per mode and scenario, each on a fresh cluster', '3')
    .option('--duration <d>', "round length, overriding the scenarios' (faults must fall inside it)")
    .option('--clients <n>', "concurrent clients, overriding the scenarios'")
    .option('--out <dir>', 'results root; the run goes to <dir>/<run-id>/', 'results')
    .option('--label <text>', 'label in the run id', 'chaos')
    .option('--backend <b>', "lab (the cluster of memlab up: memlab server nodes, log replicas in durable mode) or local (three nodes and a Sentinel-rule supervisor built here, plain and wait only)", 'lab')
    .option('--server <s>', "local backend: redis (Debian's redis-server, the reference) or engine (memlab server)", 'redis')
    .option('--seed <n>', 'workload seed', '1')
    .option('--max-steps <n>', 'linearizability search budget per key (default 5,000,000)')
    .option('--list', 'list the scenarios and exit')
    .addHelpText(
      'after',
      `
Examples:
  memlab chaos --scenario kill-primary --rounds 1 --modes plain
  memlab chaos --backend local --server redis --modes plain,wait --rounds 20
  memlab check results/<run>/history/plain-crash-primary-1.jsonl

Scenarios: ${listProfiles('chaos').join(', ')}
`,
    )
    .action(async (o: ChaosFlags) => {
      if (o.list) {
        for (const name of listProfiles('chaos')) {
          try {
            const s = loadScenario(name);
            const skips = Object.keys(s.profile.skip);
            process.stdout.write(`${name.padEnd(24)} ${s.profile.description ?? ''}${skips.length ? ` [not in ${skips.join(', ')}]` : ''}\n`);
          } catch (e) {
            process.stdout.write(`${name.padEnd(24)} INVALID: ${(e as Error).message}\n`);
          }
        }
        return;
      }
      const modes = o.modes.split(',').map((m) => m.trim()).filter(Boolean);
      for (const m of modes) if (!(MODES as readonly string[]).includes(m)) fail(`--modes: unknown mode '${m}' (known: ${MODES.join(', ')})`);
      if (!modes.length) fail('--modes needs at least one mode');
      const rounds = positiveInt(o.rounds, '--rounds')!;
      const clients = positiveInt(o.clients, '--clients');
      const maxSteps = positiveInt(o.maxSteps, '--max-steps');
      const seed = positiveInt(o.seed, '--seed')!;
      let roundMs: number | undefined;
      if (o.duration !== undefined) {
        const d = parseDuration(o.duration);
        if (d === null || d <= 0) fail(`--duration must be a duration such as 8s, got '${o.duration}'`);
        roundMs = d;
      }
      let scenarios: Scenario[];
      try {
        scenarios = loadScenarios(o.scenario, { ...(roundMs ? { roundMs } : {}), ...(clients ? { clients } : {}) });
      } catch (e) {
        if (e instanceof ProfileError) fail(e.message);
        throw e;
      }
      const provider = await chooseProvider(o.backend, o.server);
      const command = ['memlab', ...process.argv.slice(2)].map(shellQuote).join(' ');
      const out = new ChaosOutput(o.out, o.label, {
        command,
        profile: { backend: provider.name, rounds, modes, scenarios: scenarios.map((s) => ({ ...s.profile, ...(roundMs ? { round: `${roundMs}ms` } : {}) })) },
      });
      const log = (l: string) => process.stderr.write(l + '\n');
      log(`memlab chaos: ${modes.join(', ')} x ${scenarios.map((s) => s.name).join(', ')} x ${rounds} rounds on backend ${provider.name}; results in ${out.dir}`);
      const abort = new AbortController();
      process.once('SIGINT', () => {
        log('\nmemlab chaos: stopping after this round (Ctrl-C again to quit at once)');
        abort.abort();
        process.once('SIGINT', () => process.exit(130));
      });
      const done: RoundResult[] = [];
      const waitOf = (r: RoundResult) => (r.mode === 'wait' ? (scenarios.find((s) => s.name === r.scenario)?.workload.wait.replicas ?? 1) : null);
      const partial = () => {
        const keys = [...new Set(done.map((r) => `${r.mode}\u0000${r.scenario}`))];
        return keys.map((k) => {
          const [m, s] = k.split('\u0000');
          return summarize(m as Mode, s, done.filter((r) => r.mode === m && r.scenario === s));
        });
      };
      const result = await runChaos({
        modes: modes as Mode[],
        scenarios,
        rounds,
        provider,
        seed,
        ...(maxSteps ? { maxSteps } : {}),
        log,
        signal: abort.signal,
        onRound: (r) => {
          r.historyFile = out.round(r, waitOf(r));
          done.push(r);
          out.write(partial(), []);
        },
      });
      out.write(result.summaries, result.warnings);
      const clusterLine = done[0]?.cluster;
      process.stdout.write('\n' + (clusterLine ? `cluster: ${clusterLine}\n` : '') + formatChaosTable(result.summaries));
      for (const r of result.rounds) {
        if (r.checkReport && r.analysis.linearizable === 'no') {
          // The first failing key, each line cut short: set states can be long.
          const lines = r.checkReport.split('\n');
          const second = lines.indexOf('', 2);
          const first = (second > 0 ? lines.slice(0, second) : lines.slice(0, 14)).map((l) => (l.length > 200 ? l.slice(0, 197) + '...' : l));
          process.stdout.write(`\n${r.mode} ${r.scenario} round ${r.round} (${r.historyFile}):\n${first.join('\n')}\n`);
          break;
        }
      }
      for (const w of result.warnings.slice(0, 10)) process.stdout.write(`note: ${w}\n`);
      if (result.warnings.length > 10) process.stdout.write(`note: ${result.warnings.length - 10} more in chaos.json\n`);
      await writeReportIfAvailable(out.dir);
      process.stdout.write(`results: ${out.dir}\n`);
    });
}

/** The reports module renders report.html when it is there; chaos results never depend on it. */
async function writeReportIfAvailable(dir: string): Promise<void> {
  const url = new URL('../lab/reports/report.js', import.meta.url);
  try {
    const mod = (await import(url.href)) as { writeReport?: (runDir: string) => Promise<unknown> };
    if (typeof mod.writeReport === 'function') await mod.writeReport(dir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ERR_MODULE_NOT_FOUND') process.stderr.write(`memlab chaos: report.html not written: ${err.message}\n`);
  }
}
