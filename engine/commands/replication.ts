import { ErrorReply, RawReply } from '../resp/reply.js';
import { command } from './define.js';
import { SYNTAX } from './errors.js';
import type { CommandSpec, CommandGroup } from './types.js';
import { NO_REPLY, replicationOf } from '../replication/replication.js';
import { parseLong } from '../replication/primary.js';

const meta = (summary: string, since: string, complexity = 'O(1)', syntax?: string, group: CommandGroup = 'server') => ({
  group,
  summary,
  since,
  complexity,
  syntax,
});

const OK = new RawReply('+OK\r\n', '+OK\r\n');
const ALREADY = new RawReply('+OK Already connected to specified master\r\n', '+OK Already connected to specified master\r\n');
const NOT_FOR_REPLICA = new ErrorReply('ERR Command is not valid when client is a replica.');
const BAD_PORT = new ErrorReply('ERR Invalid master port');
const NOT_INTEGER = new ErrorReply('ERR value is not an integer or out of range');
const WAIT_ON_REPLICA = new ErrorReply(
  'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
);

function replicaof(name: string): CommandSpec {
  return command(name, 3, ['admin', 'noscript', 'stale'], [0, 0, 0], meta('Make the server a replica of another instance, or promote it as master.', name === 'slaveof' ? '1.0.0' : '5.0.0', 'O(1)', 'host port'), (ctx, argv) => {
    if (ctx.client.role === 'replica') return NOT_FOR_REPLICA;
    const rep = replicationOf(ctx.server);
    if (argv[1].toLowerCase() === 'no' && argv[2].toLowerCase() === 'one') {
      if (ctx.server.role === 'replica') {
        rep.promote();
        ctx.server.log.info(`MASTER MODE enabled (user request from 'id=${ctx.client.id} addr=${ctx.client.addr}')`);
      }
      return OK;
    }
    const port = parseLong(argv[2]);
    if (port === null || port < 0 || port > 65535) return BAD_PORT;
    const l = rep.link;
    if (ctx.server.role === 'replica' && l && l.config.host.toLowerCase() === argv[1].toLowerCase() && l.config.port === port) {
      ctx.server.log.info('REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.');
      return ALREADY;
    }
    rep.replicaOf(argv[1], port, true);
    ctx.server.log.info(`REPLICAOF ${argv[1]}:${port} enabled (user request from 'id=${ctx.client.id} addr=${ctx.client.addr}')`);
    return OK;
  });
}

const psync = command('psync', -3, ['admin', 'noscript', 'no_multi'], [0, 0, 0], meta('An internal command used in replication', '2.8.0', undefined, 'replicationid offset'), (ctx, argv) =>
  replicationOf(ctx.server).sync(ctx.client, argv),
);

const sync = command('sync', 1, ['admin', 'noscript', 'no_multi'], [0, 0, 0], meta('An internal command used in replication', '1.0.0'), (ctx, argv) =>
  replicationOf(ctx.server).sync(ctx.client, argv),
);

const replconf = command('replconf', -1, ['admin', 'noscript', 'loading', 'stale', 'allow_busy'], [0, 0, 0], meta('An internal command for configuring the replication stream', '3.0.0'), (ctx, argv) => {
  if (argv.length % 2 === 0) return SYNTAX;
  if (argv.length === 1) return OK;
  return replicationOf(ctx.server).replconf(ctx.client, argv.slice(1));
});

const wait = command(
  'wait',
  3,
  ['noscript'],
  [0, 0, 0],
  meta('Wait for the synchronous replication of all the write commands sent in the context of the current connection', '3.0.0', 'O(1)', 'numreplicas timeout', 'generic'),
  (ctx, argv) => {
    if (ctx.server.role === 'replica') return WAIT_ON_REPLICA;
    const n = parseLong(argv[1]);
    if (n === null) return NOT_INTEGER;
    const t = parseLong(argv[2]);
    if (t === null) return new ErrorReply('ERR timeout is not an integer or out of range');
    if (t < 0) return new ErrorReply('ERR timeout is negative');
    return replicationOf(ctx.server).wait(ctx.client, n, t, ctx.noBlock);
  },
);

const role = command('role', 1, ['noscript', 'loading', 'stale', 'fast'], [0, 0, 0], meta('Return the role of the instance in the context of replication', '2.8.12'), (ctx) =>
  replicationOf(ctx.server).role(),
);

export const replicationCommands: CommandSpec[] = [replicaof('replicaof'), replicaof('slaveof'), psync, sync, replconf, wait, role];

