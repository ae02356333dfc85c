import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatCsv } from '../lab/reports/csv.js';
import { EXPORT_COLUMNS, exportJson, exportRows } from '../lab/reports/export.js';
import { listRuns, NotARunError, resolveRunDir } from '../lab/reports/run.js';
import { fail } from './options.js';

function write(file: string, text: string): void {
  if (file === '-') process.stdout.write(text);
  else writeFileSync(file, text);
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('all runs\' summaries in one CSV or JSON file with stable columns (docs/results-format.md)')
    .argument('[run_dir...]', 'run directories or run ids (default: every run under --results)')
    .option('--csv <file>', "write CSV here ('-' for stdout)")
    .option('--json <file>', "write JSON here ('-' for stdout)")
    .option('--results <dir>', 'results root', 'results')
    .addHelpText(
      'after',
      `
Examples:
  memlab export --csv all-runs.csv
  memlab export results/20261129-033518-cache-90-10 results/20261129-040102-cache-90-10 --json two.json
  memlab export --csv - | column -s, -t

One row per mode and op of each bench run, per mode and scenario of each chaos run. Without
--csv or --json, CSV goes to stdout.`,
    )
    .action((args: string[], o: { csv?: string; json?: string; results: string }) => {
      let dirs: string[];
      try {
        dirs = args.length ? args.map((a) => resolveRunDir(a, o.results)) : listRuns(o.results);
      } catch (e) {
        if (e instanceof NotARunError) fail(e.message);
        throw e;
      }
      if (!dirs.length) fail(`no runs under ${o.results}/ (a run directory has summary.csv or chaos.csv)`);
      let rows;
      try {
        rows = exportRows(dirs);
      } catch (e) {
        if (e instanceof NotARunError) fail(e.message);
        throw e;
      }
      if (o.csv) write(o.csv, formatCsv(EXPORT_COLUMNS, rows));
      if (o.json) write(o.json, exportJson(rows));
      if (!o.csv && !o.json) write('-', formatCsv(EXPORT_COLUMNS, rows));
      if (o.csv !== '-' && o.json !== '-' && (o.csv || o.json)) {
        process.stderr.write(`memlab export: ${rows.length} rows from ${dirs.length} run${dirs.length === 1 ? '' : 's'}\n`);
      }
    });
}
