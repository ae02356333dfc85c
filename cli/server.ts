import type { Command } from 'commander';
import { startEngineNode } from '../engine/server/node.js';
import { Config } from '../engine/server/config.js';
import { parsePort, parseConfigPairs, fail } from './options.js';
import { runInForeground } from './foreground.js';
import { durableFlags, durableFromFlags, type DurableFlags } from './durable-flags.js';

export function registerServer(program: Command): void {
  const cmd = program
    .command('server')
    .description('run one engine node in the foreground (Ctrl-C or SIGTERM stops it)')
    .option('-p, --port <port>', 'TCP port to listen on', '6379')
    .option('-b, --bind <addr>', 'address to bind (any 127.x.y.z works on loopback)', '127.0.0.1')
    .option('--name <id>', 'node id used in log lines', 'engine')
    .option('-c, --config <name=value...>', 'engine options as in redis.conf, e.g. -c requirepass=secret hz=50')
    .option('--source-addr <addr>', 'local address to dial peers from (replication, log), like Redis bind-source-addr')
    .option('--replicaof <host port...>', 'plain/wait mode: start as a replica of the primary at HOST PORT (also HOST:PORT)')
    .option('--exit-with-parent', 'exit when stdin closes: the lab supervisor holds the other end, so the node never outlives it')
    .addHelpText('after', '\nExample:\n  memlab server --port 7001 --bind 127.0.0.2 -c requirepass=s3cret\n')
    .action(async (opts: { port: string; bind: string; name: string; config?: string[]; sourceAddr?: string; exitWithParent?: boolean; replicaof?: string[] } & DurableFlags) => {
      const port = parsePort(opts.port, '--port');
      const config = parseConfigPairs(opts.config ?? []);
      for (const k of Object.keys(config)) {
        if (!Config.isKnown(k)) fail(`unknown engine option '${k}' in --config; see CONFIG GET * on a running node for the list`);
      }
      const replicaof = opts.replicaof ? parseReplicaOf(opts.replicaof) : undefined;
      let server;
      try {
        const durable = durableFromFlags(opts, opts.name);
        server = await startEngineNode({ port, bind: opts.bind, name: opts.name, config, replicaof, ...(opts.sourceAddr ? { sourceAddress: opts.sourceAddr } : {}), ...(durable ? { durable } : {}) });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRINUSE') fail(`cannot listen on ${opts.bind}:${port}: the port is in use; pick another with --port`);
        if (err.code === 'EADDRNOTAVAIL') fail(`cannot bind ${opts.bind}: no such local address; use 127.0.0.1 or another 127.x.y.z`);
        fail(`cannot start the engine: ${err.message}`);
      }
      // SHUTDOWN closes the engine; the process owner ends the process.
      server.onShutdown = () => process.exit(0);
      runInForeground(server, opts.exitWithParent);
    });
  durableFlags(cmd);
}

/** `--replicaof HOST PORT`, `--replicaof "HOST PORT"` or `--replicaof HOST:PORT`. */
function parseReplicaOf(parts: string[]): { host: string; port: number } {
  let words = parts.flatMap((p) => p.split(/\s+/)).filter((w) => w !== '');
  if (words.length === 1 && words[0].includes(':')) {
    const i = words[0].lastIndexOf(':');
    words = [words[0].slice(0, i), words[0].slice(i + 1)];
  }
  if (words.length !== 2) fail(`--replicaof expects HOST PORT (e.g. --replicaof 127.0.0.1 7001), got '${parts.join(' ')}'`);
  return { host: words[0], port: parsePort(words[1], '--replicaof') };
}
