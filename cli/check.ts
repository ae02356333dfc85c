import type { Command } from 'commander';
import { readHistory } from '../lab/checker/history.js';
import { checkHistory, formatResult } from '../lab/checker/linearizability.js';
import { fail } from './options.js';

/** Exit codes: 0 linearizable, 1 not linearizable, 2 unreadable input, 3 no verdict (search budget exhausted). */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check a saved history (JSON lines, one operation each) for linearizability')
    .argument('<history>', 'a history file, e.g. results/<run>/history/plain-crash-primary-1.jsonl')
    .option('--max-steps <n>', 'search steps per key before giving up (default 5,000,000)')
    .addHelpText('after', '\nExit status: 0 linearizable, 1 not linearizable, 2 bad input, 3 no verdict within --max-steps.\n')
    .action((file: string, o: { maxSteps?: string }) => {
      let maxSteps: number | undefined;
      if (o.maxSteps !== undefined) {
        if (!/^\d+$/.test(o.maxSteps) || Number(o.maxSteps) < 1) fail(`--max-steps must be a positive integer, got '${o.maxSteps}'`);
        maxSteps = Number(o.maxSteps);
      }
      let ops;
      try {
        ops = readHistory(file);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        fail(err.code === 'ENOENT' ? `${file}: no such file` : err.message);
      }
      const r = checkHistory(ops, maxSteps ? { maxSteps } : {});
      process.stdout.write(formatResult(r) + '\n');
      process.exitCode = !r.linearizable ? 1 : r.incomplete ? 3 : 0;
    });
}
