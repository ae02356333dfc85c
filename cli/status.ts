import type { Command } from 'commander';
import { statusOf } from '../lab/cluster/index.js';
import { DEFAULT_STATE_PATH } from '../lab/cluster/state.js';
import { formatStatus } from '../lab/cluster/status.js';
import { fail } from './options.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('live roles, replication offsets or log indexes, lag, and the achieved cross-AZ round trip per link')
    .option('--state <path>', 'state file', DEFAULT_STATE_PATH)
    .option('--json', 'print JSON')
    .option('--no-probe', 'skip the per-link round-trip probes')
    .option('--count <n>', 'round trips per link probe', '100')
    .option('--cross-az', 'probe only the links between AZs')
    .action(async (o: { state: string; json?: boolean; probe: boolean; count: string; crossAz?: boolean }) => {
      if (!/^\d+$/.test(o.count) || Number(o.count) < 1) fail(`--count must be a positive integer, got '${o.count}'`);
      let st;
      try {
        st = await statusOf(o.state, { probe: o.probe, count: Number(o.count), crossAzOnly: o.crossAz === true });
      } catch (e) {
        fail((e as Error).message);
      }
      if (!st) {
        process.stderr.write(`memlab status: no cluster (no state file at ${o.state}); start one with memlab up\n`);
        process.exit(1);
      }
      process.stdout.write(o.json ? JSON.stringify(st, null, 2) + '\n' : formatStatus(st) + '\n');
    });
}
