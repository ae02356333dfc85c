import type { Command } from 'commander';
import { down } from '../lab/cluster/down.js';
import { DEFAULT_STATE_PATH } from '../lab/cluster/state.js';
import { fail } from './options.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('stop the cluster of a state file: exactly its processes (by PID), its namespaces and qdiscs; safe to run twice')
    .option('--state <path>', 'state file', DEFAULT_STATE_PATH)
    .option('--keep', 'keep the run directory (node logs and data) next to the state file')
    .action(async (o: { state: string; keep?: boolean }) => {
      let r;
      try {
        r = await down(o.state, { keepRunDir: o.keep === true });
      } catch (e) {
        fail((e as Error).message);
      }
      if (!r.found) {
        process.stdout.write(`memlab down: no cluster (no state file at ${o.state}); nothing to do\n`);
        return;
      }
      if (r.stopped.length) process.stdout.write(`memlab down: stopped ${r.stopped.join(', ')}\n`);
      if (r.gone.length) process.stdout.write(`memlab down: already gone: ${r.gone.join(', ')}\n`);
      if (r.netUndone) process.stdout.write(`memlab down: removed ${r.netUndone} network namespaces/devices\n`);
      for (const e of r.netErrors) process.stderr.write(`memlab down: could not undo ${e}\n`);
      process.stdout.write(`memlab down: removed ${o.state}\n`);
      if (r.netErrors.length) process.exit(1);
    });
}
