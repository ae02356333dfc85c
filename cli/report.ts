import type { Command } from 'commander';
import { NotARunError, resolveRunDir } from '../lab/reports/run.js';
import { fail } from './options.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write RUN_DIR/report.html: a self-contained page with the run\'s charts, tables and configuration')
    .argument('<run_dir...>', 'run directories (or run ids under --results)')
    .option('--results <dir>', 'where run ids are looked up', 'results')
    .option('-o, --out <file>', 'write the page here instead of RUN_DIR/report.html (one run only)')
    .addHelpText(
      'after',
      `
Examples:
  memlab report results/20261129-033518-cache-90-10
  memlab report 20261129-033518-cache-90-10 --out /tmp/report.html

The page opens offline: charts are inline SVG rendered by Vega-Lite, no scripts, no links
out. Bench and chaos write it at the end of every run; this command rewrites it.
docs/results-format.md lists the files it reads.`,
    )
    .action(async (dirs: string[], o: { results: string; out?: string }) => {
      if (o.out && dirs.length > 1) fail('--out takes one run directory');
      // Vega is loaded only when a report is written, not on every memlab command.
      const { writeReport } = await import('../lab/reports/report.js');
      let failed = 0;
      for (const arg of dirs) {
        let dir: string;
        try {
          dir = resolveRunDir(arg, o.results);
        } catch (e) {
          if (e instanceof NotARunError) fail(e.message);
          throw e;
        }
        try {
          // An old run's machine is unknown: never record this machine for it.
          const r = await writeReport(dir, { recordMachine: false, out: o.out });
          process.stdout.write(`${r.file}\n`);
          for (const p of r.problems) process.stderr.write(`memlab report: ${dir}: ${p}\n`);
          if (r.problems.length) failed++;
        } catch (e) {
          if (e instanceof NotARunError) fail(e.message);
          throw e;
        }
      }
      if (failed) process.exitCode = 1;
    });
}
