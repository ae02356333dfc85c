#!/usr/bin/env node
import { Command } from 'commander';
import { registerServer } from './server.js';
import { registerLognode } from './lognode.js';
import { registerBench } from './bench.js';
import { registerReport } from './report.js';
import { registerExport } from './export.js';
import { registerCompare } from './compare.js';
import { registerChaos } from './chaos.js';
import { registerCheck } from './check.js';
import { registerUp } from './up.js';
import { registerDown } from './down.js';
import { registerStatus } from './status.js';
import { registerFault } from './fault.js';
import { MEMLAB_VERSION } from '../engine/server/version.js';

const program = new Command();
program
  .name('memlab')
  .description('measure what strong consistency costs an in-memory Redis-style database')
  .version(MEMLAB_VERSION)
  .showHelpAfterError('(run memlab --help for the list of commands)');

registerServer(program);
registerLognode(program);
registerBench(program);
registerReport(program);
registerExport(program);
registerCompare(program);
registerChaos(program);
registerCheck(program);
registerUp(program);
registerDown(program);
registerStatus(program);
registerFault(program);

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`memlab: ${e.message}\n`);
  process.exit(1);
});
