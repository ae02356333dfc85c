#!/usr/bin/env node
import { Command } from 'commander';
import { registerServer } from './server.js';
import { registerBench } from './bench.js';
import { MEMLAB_VERSION } from '../engine/server/version.js';

const program = new Command();
program
  .name('memlab')
  .description('measure what strong consistency costs an in-memory Redis-style database')
  .version(MEMLAB_VERSION)
  .showHelpAfterError('(run memlab --help for the list of commands)');

registerServer(program);
registerBench(program);

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`memlab: ${e.message}\n`);
  process.exit(1);
});
