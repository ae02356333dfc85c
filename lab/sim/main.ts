/**
 * The durable log's deterministic simulator.
 *
 *   node dist/lab/sim/main.js --seeds N [--start S] [--bug NAME] [--length X]
 *   node dist/lab/sim/main.js --verbose SEED [--bug NAME]     replay one seed with its trace
 *   --history-only: judge by the client history alone (no oracle checks)
 *
 * Exits 1 if any seed fails; a failing seed replays exactly with --verbose.
 */
import type { Bugs } from '../../engine/log/types.js';
import { formatFailure, formatStats, runSeed, shrink, type RunOptions } from './run.js';

interface Args {
  seeds: number;
  start: number;
  verbose: number | null;
  bugs: Bugs | undefined;
  length: number;
  traceLines: number;
  quiet: boolean;
  historyOnly: boolean;
}

const BUGS = ['commitOnMinority', 'skipLeaseWait', 'noLeaseCheck', 'noFence', 'ackBeforeFsync', 'serveBeforeReplay', 'readUncommitted', 'noAdopt'];

function parse(argv: string[]): Args {
  const a: Args = { seeds: 100, start: 1, verbose: null, bugs: undefined, length: 1, traceLines: 200, quiet: false, historyOnly: false };
  const num = (i: number, name: string) => {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v)) throw new Error(`${name} needs a number, got ${JSON.stringify(argv[i + 1])}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--seeds':
        a.seeds = num(i++, '--seeds');
        break;
      case '--start':
        a.start = num(i++, '--start');
        break;
      case '--verbose':
        a.verbose = num(i++, '--verbose');
        break;
      case '--length':
        a.length = num(i++, '--length');
        break;
      case '--trace-lines':
        a.traceLines = num(i++, '--trace-lines');
        break;
      case '--quiet':
        a.quiet = true;
        break;
      case '--history-only':
        a.historyOnly = true;
        break;
      case '--bug': {
        const b = argv[++i];
        if (!BUGS.includes(b)) throw new Error(`--bug must be one of ${BUGS.join(', ')}, got ${JSON.stringify(b)}`);
        a.bugs = { ...a.bugs, [b]: true };
        break;
      }
      case '-h':
      case '--help':
        console.log('usage: sim --seeds N [--start S] [--length X] [--bug NAME] [--history-only] [--quiet] | --verbose SEED [--trace-lines N]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(argv[i])}`);
    }
  }
  return a;
}

/** Keep faults, roles and checks; of the client operations only those on the keys a violation names. */
function minimalTrace(trace: string[], violation: string, lines: number): string[] {
  const keys = [...violation.matchAll(/key "([^"]+)"/g)].map((m) => m[1]);
  const ops = new Set([...violation.matchAll(/op (\d+)/g)].map((m) => m[1]));
  const kept = trace.filter((l) => {
    const m = /(?:op|executes op) (\d+) \S+ (\S+)/.exec(l);
    if (!m) return true;
    return ops.has(m[1]) || keys.includes(m[2]);
  });
  return kept.slice(-lines);
}

function verbose(seed: number, opts: RunOptions, lines: number): number {
  const r = runSeed(seed, { ...opts, trace: true });
  if (r.ok) {
    const tail = r.trace.slice(-lines);
    if (tail.length < r.trace.length) console.log(`... (${r.trace.length - tail.length} earlier trace lines omitted)`);
    for (const l of tail) console.log(l);
    console.log('\n' + formatStats(r.stats));
    console.log(`seed ${seed} ok (${r.operations} operations${r.incomplete ? '; linearizability search incomplete on some key' : ''})`);
    return 0;
  }
  // Shrink the schedule, then show the trace of the smallest run that still fails.
  const small = shrink(seed, opts);
  const m = runSeed(seed, { ...opts, faults: small, trace: true });
  const shown = m.ok ? r : m;
  console.log(`trace of the ${m.ok ? 'full' : 'shrunk'} schedule (faults, roles, and the operations the violation names):`);
  for (const l of minimalTrace(shown.trace, shown.violations[0].msg, lines)) console.log(l);
  console.log('\n' + formatStats(r.stats));
  console.log(formatFailure(r, small));
  return 1;
}

function main(): number {
  let a: Args;
  try {
    a = parse(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const opts: RunOptions = { bugs: a.bugs, length: a.length, historyOnly: a.historyOnly };
  if (a.verbose !== null) return verbose(a.verbose, opts, a.traceLines);
  const t0 = performance.now();
  const failed: number[] = [];
  let incomplete = 0;
  let ops = 0;
  let failovers = 0;
  for (let s = a.start; s < a.start + a.seeds; s++) {
    const r = runSeed(s, opts);
    ops += r.operations;
    failovers += r.stats.failovers;
    if (r.incomplete) incomplete++;
    if (!r.ok) {
      failed.push(s);
      console.log(formatFailure(r));
      const flags = `${a.bugs ? Object.keys(a.bugs).map((b) => ` --bug ${b}`).join('') : ''}${a.length !== 1 ? ` --length ${a.length}` : ''}${a.historyOnly ? ' --history-only' : ''}`;
      console.log(`replay: node dist/lab/sim/main.js --verbose ${s}${flags}\n`);
    } else if (!a.quiet && (s - a.start + 1) % 500 === 0) {
      console.log(`... ${s - a.start + 1} seeds, ${failed.length} failed`);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${a.seeds} seeds (${a.start}..${a.start + a.seeds - 1}) in ${secs.toFixed(1)}s: ${failed.length} failed` +
      `${failed.length ? ` (${failed.slice(0, 20).join(', ')}${failed.length > 20 ? ', ...' : ''})` : ''}; ` +
      `${ops} client operations, ${failovers} promotions${incomplete ? `, ${incomplete} seeds with an incomplete linearizability search` : ''}`,
  );
  return failed.length ? 1 : 0;
}

process.exitCode = main();
