import type { Command } from 'commander';
import { startEngineNode } from '../engine/server/node.js';
import { Config } from '../engine/server/config.js';
import { parsePort, parseConfigPairs, fail } from './options.js';

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run one engine node in the foreground (Ctrl-C or SIGTERM stops it)')
    .option('-p, --port <port>', 'TCP port to listen on', '6379')
    .option('-b, --bind <addr>', 'address to bind (any 127.x.y.z works on loopback)', '127.0.0.1')
    .option('--name <id>', 'node id used in log lines', 'engine')
    .option('-c, --config <name=value...>', 'engine options as in redis.conf, e.g. -c requirepass=secret hz=50')
    .addHelpText('after', '\nExample:\n  memlab server --port 7001 --bind 127.0.0.2 -c requirepass=s3cret\n')
    .action(async (opts: { port: string; bind: string; name: string; config?: string[] }) => {
      const port = parsePort(opts.port, '--port');
      const config = parseConfigPairs(opts.config ?? []);
      for (const k of Object.keys(config)) {
        if (!Config.isKnown(k)) fail(`unknown engine option '${k}' in --config; see CONFIG GET * on a running node for the list`);
      }
      let server;
      try {
        server = await startEngineNode({ port, bind: opts.bind, name: opts.name, config });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRINUSE') fail(`cannot listen on ${opts.bind}:${port}: the port is in use; pick another with --port`);
        if (err.code === 'EADDRNOTAVAIL') fail(`cannot bind ${opts.bind}: no such local address; use 127.0.0.1 or another 127.x.y.z`);
        fail(`cannot start the engine: ${err.message}`);
      }
      const stop = (signal: string) => {
        server.log.info(`received ${signal}, shutting down`);
        server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
