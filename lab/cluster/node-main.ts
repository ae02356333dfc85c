/**
 * Entry point of the lab's node processes: `memlab server` and `memlab lognode` without the
 * rest of the CLI (bench, chaos, reports and their libraries), so each node starts in a
 * third of the CPU time. Same flags: node dist/lab/cluster/node-main.js server --port ...
 */
import { Command } from 'commander';
import { registerServer } from '../../cli/server.js';
import { registerLognode } from '../../cli/lognode.js';

const program = new Command();
program.name('memlab');
registerServer(program);
registerLognode(program);
program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`memlab: ${e.message}\n`);
  process.exit(1);
});
