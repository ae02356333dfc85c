import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { COMPARE_COLUMNS, compareRuns, formatComparison } from '../lab/reports/compare.js';
import { formatCsv } from '../lab/reports/csv.js';
import { NotARunError, resolveRunDir } from '../lab/reports/run.js';
import { fail } from './options.js';

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('two runs side by side: B/A for rates, latencies and costs, B−A for counts such as lost writes')
    .argument('<run_a>', 'run directory or run id (the baseline)')
    .argument('<run_b>', 'run directory or run id')
    .option('--csv <file>', "also write the comparison as CSV ('-' for stdout instead of the table)")
    .option('--results <dir>', 'where run ids are looked up', 'results')
    .addHelpText(
      'after',
      `
Examples:
  memlab compare results/20261129-033518-cache-90-10 results/20261129-040102-cache-90-10
  memlab compare 20261129-033518-cache-90-10 20261129-040102-cache-90-10 --csv cmp.csv

Rows match by kind, mode, workload, scenario and op; when each run has a single mode (or
workload) that differs, they match across it (plain vs wait against the same target).`,
    )
    .action((a: string, b: string, o: { csv?: string; results: string }) => {
      let cmp;
      try {
        cmp = compareRuns(resolveRunDir(a, o.results), resolveRunDir(b, o.results));
      } catch (e) {
        if (e instanceof NotARunError) fail(e.message);
        throw e;
      }
      if (o.csv === '-') {
        process.stdout.write(formatCsv(COMPARE_COLUMNS, cmp.rows));
        return;
      }
      process.stdout.write(formatComparison(cmp));
      if (o.csv) writeFileSync(o.csv, formatCsv(COMPARE_COLUMNS, cmp.rows));
    });
}
