import type { Command } from 'commander';
import { LogNode } from '../engine/log/node/lognode.js';
import { runInForeground } from './foreground.js';
import { fail, parsePort } from './options.js';

export function registerLognode(program: Command): void {
  program
    .command('lognode')
    .description('run one durable-log replica in the foreground (durable mode; Ctrl-C or SIGTERM stops it)')
    .requiredOption('--id <id>', 'replica id (l1, l2, ...): engines name it in --log id=host:port')
    .requiredOption('-p, --port <port>', 'TCP port to listen on')
    .option('-b, --bind <addr>', 'address to bind (any 127.x.y.z works on loopback)', '127.0.0.1')
    .requiredOption('--dir <dir>', 'directory of the log file (log.dat); created if missing')
    .option('--lease-ms <ms>', 'lease granted per append; must equal the engines\' --lease-ms', '2000')
    .option('--fsync <where>', 'inline (block the loop for each group fdatasync) or pool (libuv thread pool)', 'inline')
    .option('--exit-with-parent', 'exit when stdin closes: the lab supervisor holds the other end')
    .addHelpText('after', '\nExample:\n  memlab lognode --id l1 --port 7101 --bind 127.0.1.4 --dir /tmp/lab/l1\n')
    .action(async (opts: { id: string; port: string; bind: string; dir: string; leaseMs: string; fsync: string; exitWithParent?: boolean }) => {
      const port = parsePort(opts.port, '--port');
      const leaseMs = Number(opts.leaseMs);
      if (!Number.isFinite(leaseMs) || leaseMs < 10) fail(`--lease-ms must be a number of milliseconds >= 10, got '${opts.leaseMs}'`);
      if (opts.fsync !== 'inline' && opts.fsync !== 'pool') fail(`--fsync must be inline or pool, got '${opts.fsync}'`);
      let node: LogNode;
      try {
        node = await LogNode.start({ id: opts.id, port, bind: opts.bind, dir: opts.dir, leaseMs, fsync: opts.fsync as 'inline' | 'pool' });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRINUSE') fail(`cannot listen on ${opts.bind}:${port}: the port is in use; pick another with --port`);
        if (err.code === 'EADDRNOTAVAIL') fail(`cannot bind ${opts.bind}: no such local address; use 127.0.0.1 or another 127.x.y.z`);
        if (err.code === 'EACCES' || err.code === 'ENOTDIR') fail(`cannot use --dir ${opts.dir}: ${err.message}`);
        throw e;
      }
      runInForeground(node, opts.exitWithParent);
    });
}
