import { ErrorReply, MapReply, OK, type Reply, SetReply, SimpleString, VerbatimReply } from '../resp/reply.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { parseInt64 } from './args.js';
import { validClientName } from './connection.js';
import { command } from './define.js';
import { cArg, NOT_INTEGER, SYNTAX } from './errors.js';
import type { CommandContext, CommandSpec } from './types.js';

const meta = (summary: string, since: string, syntax?: string, complexity = 'O(1)') => ({
  group: 'connection' as const,
  summary,
  since,
  complexity,
  syntax,
});

const BAD_NAME = new ErrorReply('ERR Client names cannot contain spaces, newlines or special characters.');
const UNBLOCKED = new ErrorReply('UNBLOCKED client unblocked via CLIENT UNBLOCK');
const ZERO_ID = new ErrorReply('ERR client-id should be greater than 0');

type ClientType = 'normal' | 'master' | 'slave' | 'pubsub';

/** getClientTypeByName: `replica` and `slave` are the same type. */
function typeByName(name: string): ClientType | null {
  const n = name.toLowerCase();
  if (n === 'normal' || n === 'master' || n === 'pubsub') return n;
  if (n === 'slave' || n === 'replica') return 'slave';
  return null;
}

function typeOf(c: Client): ClientType {
  if (c.role === 'primary') return 'master';
  if (c.role === 'replica') return 'slave';
  if (c.inPubSub) return 'pubsub';
  return 'normal';
}

function flagsOf(c: Client): string {
  let f = '';
  if (c.monitoring) f += 'O';
  else if (c.role === 'replica') f += 'S';
  if (c.role === 'primary') f += 'M';
  if (c.inPubSub) f += 'P';
  if (c.multi) f += 'x';
  if (c.blocked || c.postponed) f += 'b';
  if (c.watchDirty) f += 'd';
  if (c.closeAfterReply) f += 'c';
  if (c.noEvict) f += 'e';
  return f || 'N';
}

/** One CLIENT LIST / CLIENT INFO line, in Redis 7.0.15's field order. */
export function clientInfoLine(c: Client, now = Date.now()): string {
  let multiMem = 0;
  if (c.multi) for (const q of c.multi.queue) for (const a of q.argv) multiMem += a.length;
  const qbuf = c.parser.buffered;
  const omem = c.pendingOutput;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name}` +
    ` age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)}` +
    ` flags=${flagsOf(c)} db=${c.dbIndex} sub=${c.subscriptions.size} psub=${c.patterns.size} ssub=${c.shardSubscriptions.size}` +
    ` multi=${c.multi ? c.multi.queue.length : -1} qbuf=${qbuf} qbuf-free=0 argv-mem=0 multi-mem=${multiMem}` +
    ` rbs=${omem} rbp=0 obl=${omem} oll=${c.heldCount} omem=${omem} tot-mem=${qbuf + omem + multiMem}` +
    ` events=r${omem ? 'w' : ''} cmd=${c.lastCommand} user=default redir=-1 resp=${c.proto}`
  );
}

const text = (ctx: CommandContext, s: string): Reply => (ctx.client.proto === 3 ? new VerbatimReply('txt', s) : s);

const list = command(
  'client|list',
  -2,
  ['admin', 'noscript', 'loading', 'stale'],
  [0, 0, 0],
  meta('Get the list of client connections', '2.4.0', '[TYPE (NORMAL | MASTER | REPLICA | PUBSUB)] [ID client-id [client-id ...]]', 'O(N) where N is the number of client connections'),
  (ctx, argv) => {
    const server = ctx.server;
    const now = Date.now();
    let out = '';
    if (argv.length === 4 && argv[2].toLowerCase() === 'type') {
      const type = typeByName(argv[3]);
      if (!type) return new ErrorReply(`ERR Unknown client type '${argv[3]}'`);
      for (const c of server.clients.values()) if (typeOf(c) === type) out += clientInfoLine(c, now) + '\n';
    } else if (argv.length > 3 && argv[2].toLowerCase() === 'id') {
      const ids: number[] = [];
      for (let i = 3; i < argv.length; i++) {
        const id = parseInt64(argv[i]);
        if (id === null) return new ErrorReply('ERR Invalid client ID');
        ids.push(Number(id));
      }
      for (const id of ids) {
        const c = server.clients.get(id);
        if (c) out += clientInfoLine(c, now) + '\n';
      }
    } else if (argv.length !== 2) {
      return SYNTAX;
    } else {
      for (const c of server.clients.values()) out += clientInfoLine(c, now) + '\n';
    }
    return text(ctx, out);
  },
);

const info = command(
  'client|info',
  2,
  ['noscript', 'loading', 'stale'],
  [0, 0, 0],
  meta('Returns information about the current client connection.', '6.2.0'),
  (ctx) => text(ctx, clientInfoLine(ctx.client) + '\n'),
);

/** Close another client at once, or this one after its reply (Redis's CLIENT_CLOSE_AFTER_REPLY). */
function kill(server: Server, self: Client, target: Client): void {
  if (target === self) {
    self.closeAfterReply = true;
    return;
  }
  target.close();
  server.disconnect(target);
}

const killCmd = command(
  'client|kill',
  -3,
  ['admin', 'noscript', 'loading', 'stale'],
  [0, 0, 0],
  meta(
    'Kill the connection of a client',
    '2.4.0',
    'ip:port | ([ID client-id] | [TYPE (NORMAL | MASTER | SLAVE | REPLICA | PUBSUB)] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME yes/no]) ...',
    'O(N) where N is the number of client connections',
  ),
  (ctx, argv) => {
    const server = ctx.server;
    const self = ctx.client;
    if (argv.length === 3) {
      // Old form: CLIENT KILL addr, which may kill the caller too.
      const target = [...server.clients.values()].find((c) => c.addr === argv[2]);
      if (!target) return new ErrorReply('ERR No such client');
      kill(server, self, target);
      return OK;
    }
    let addr: string | null = null;
    let laddr: string | null = null;
    let type: ClientType | null = null;
    let id = 0;
    let skipme = true;
    for (let i = 2; i < argv.length; i += 2) {
      const opt = argv[i].toLowerCase();
      if (i + 1 >= argv.length) return SYNTAX;
      const val = argv[i + 1];
      if (opt === 'id') {
        const n = parseInt64(val);
        if (n === null || n < 1) return ZERO_ID;
        id = Number(n);
      } else if (opt === 'type') {
        type = typeByName(val);
        if (!type) return new ErrorReply(`ERR Unknown client type '${val}'`);
      } else if (opt === 'addr') {
        addr = val;
      } else if (opt === 'laddr') {
        laddr = val;
      } else if (opt === 'user') {
        if (val !== 'default') return new ErrorReply(`ERR No such user '${val}'`);
      } else if (opt === 'skipme') {
        const v = val.toLowerCase();
        if (v === 'yes') skipme = true;
        else if (v === 'no') skipme = false;
        else return SYNTAX;
      } else {
        return SYNTAX;
      }
    }
    let killed = 0;
    for (const c of [...server.clients.values()]) {
      if (addr !== null && c.addr !== addr) continue;
      if (laddr !== null && c.laddr !== laddr) continue;
      if (type !== null && typeOf(c) !== type) continue;
      if (id !== 0 && c.id !== id) continue;
      if (c === self && skipme) continue;
      kill(server, self, c);
      killed++;
    }
    return killed;
  },
);

const setname = command('client|setname', 3, ['noscript', 'loading', 'stale'], [0, 0, 0], meta('Set the current connection name', '2.6.9', 'connection-name'), (ctx, argv) => {
  if (!validClientName(argv[2])) return BAD_NAME;
  ctx.client.name = argv[2];
  return OK;
});

const getname = command('client|getname', 2, ['noscript', 'loading', 'stale'], [0, 0, 0], meta('Get the current connection name', '2.6.9'), (ctx) =>
  ctx.client.name === '' ? null : ctx.client.name,
);

const id = command('client|id', 2, ['noscript', 'loading', 'stale'], [0, 0, 0], meta('Returns the client ID for the current connection', '5.0.0'), (ctx) => ctx.client.id);

const reply = command('client|reply', 3, ['noscript', 'loading', 'stale'], [0, 0, 0], meta('Instruct the server whether to reply to commands', '3.2.0', 'ON | OFF | SKIP'), (ctx, argv) => {
  const mode = argv[2].toLowerCase();
  const c = ctx.client;
  if (mode === 'on') {
    c.replyMode = 'on';
    c.skipLeft = 0;
  } else if (mode === 'off') {
    c.replyMode = 'off';
  } else if (mode === 'skip') {
    // Neither this reply nor the next command's is sent (unless OFF is already on).
    if (c.replyMode !== 'off') {
      c.replyMode = 'skip';
      c.skipLeft = 2;
    }
  } else {
    return SYNTAX;
  }
  return OK;
});

const unblock = command(
  'client|unblock',
  -3,
  ['admin', 'noscript', 'loading', 'stale'],
  [0, 0, 0],
  meta('Unblock a client blocked in a blocking command from a different connection', '5.0.0', 'client-id [TIMEOUT | ERROR]', 'O(log N) where N is the number of client connections'),
  (ctx, argv) => {
    if (argv.length > 4) return subcommandSyntax(argv);
    let asError = false;
    if (argv.length === 4) {
      const why = argv[3].toLowerCase();
      if (why === 'error') asError = true;
      else if (why !== 'timeout') return new ErrorReply('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
    }
    const n = parseInt64(argv[2]);
    if (n === null) return NOT_INTEGER;
    const target = ctx.server.clients.get(Number(n));
    const st = target?.blocked;
    if (!target || !st) return 0;
    ctx.server.unblock(target, asError ? UNBLOCKED : st.block.timeoutReply);
    return 1;
  },
);

function subcommandSyntax(argv: string[]): ErrorReply {
  return new ErrorReply(`ERR unknown subcommand or wrong number of arguments for '${cArg(argv[1])}'. Try CLIENT HELP.`);
}

const pause = command(
  'client|pause',
  -3,
  ['admin', 'noscript', 'loading', 'stale'],
  [0, 0, 0],
  meta('Stop processing commands from clients for some time', '2.9.50', 'timeout [WRITE | ALL]'),
  (ctx, argv) => {
    if (argv.length > 4) return subcommandSyntax(argv);
    let all = true;
    if (argv.length === 4) {
      const m = argv[3].toLowerCase();
      if (m === 'write') all = false;
      else if (m !== 'all') return new ErrorReply('ERR CLIENT PAUSE mode must be WRITE or ALL');
    }
    const ms = parseInt64(argv[2]);
    if (ms === null || typeof ms === 'bigint') return new ErrorReply('ERR timeout is not an integer or out of range');
    if (ms < 0) return new ErrorReply('ERR timeout is negative');
    ctx.server.pauseClients(Date.now() + ms, all);
    return OK;
  },
);

const unpause = command('client|unpause', 2, ['admin', 'noscript', 'loading', 'stale'], [0, 0, 0], meta('Resume processing of clients that were paused', '6.2.0', undefined, 'O(N) Where N is the number of paused clients'), (ctx) => {
  // After this command's reply, so the unpausing client is answered first.
  queueMicrotask(() => ctx.server.unpauseClients());
  return OK;
});

const noEvict = command('client|no-evict', 3, ['admin', 'noscript', 'loading', 'stale'], [0, 0, 0], meta('Set client eviction mode for the current connection', '7.0.0', 'ON | OFF'), (ctx, argv) => {
  const v = argv[2].toLowerCase();
  if (v === 'on') ctx.client.noEvict = true;
  else if (v === 'off') ctx.client.noEvict = false;
  else return SYNTAX;
  return OK;
});

// Client-side caching is not implemented: tracking can only be off.
const tracking = command(
  'client|tracking',
  -3,
  ['noscript', 'loading', 'stale'],
  [0, 0, 0],
  meta(
    'Enable or disable server assisted client side caching support',
    '6.0.0',
    '(ON | OFF) [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]',
    'O(1). Some options may introduce additional complexity.',
  ),
  (_ctx, argv) => {
    const v = argv[2].toLowerCase();
    if (v === 'off') return OK;
    if (v === 'on') return new ErrorReply('ERR client-side caching (CLIENT TRACKING ON) is not supported by this server');
    return SYNTAX;
  },
);

const caching = command('client|caching', 3, ['noscript', 'loading', 'stale'], [0, 0, 0], meta('Instruct the server about tracking or not keys in the next request', '6.0.0', 'YES | NO'), () =>
  new ErrorReply('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled'),
);

const getredir = command('client|getredir', 2, ['noscript', 'loading', 'stale'], [0, 0, 0], meta('Get tracking notifications redirection client ID if any', '6.0.0'), () => -1);

const trackinginfo = command(
  'client|trackinginfo',
  2,
  ['noscript', 'loading', 'stale'],
  [0, 0, 0],
  meta('Return information about server assisted client side caching for the current connection', '6.2.0'),
  () =>
    new MapReply([
      ['flags', new SetReply(['off'])],
      ['redirect', -1],
      ['prefixes', []],
    ]),
);

const HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'HELP',
  '    Prints this help.',
].map((l) => new SimpleString(l));

const help = command('client|help', 2, ['loading', 'stale'], [0, 0, 0], meta('Show helpful text about the different subcommands', '5.0.0'), () => HELP);

const client = command(
  'client',
  -2,
  [],
  [0, 0, 0],
  {
    ...meta('A container for client connection commands', '2.4.0', undefined, 'Depends on subcommand.'),
    subcommands: [help, unpause, list, unblock, killCmd, setname, pause, noEvict, getname, tracking, info, caching, trackinginfo, id, getredir, reply],
  },
  () => SYNTAX,
);

export const clientCommands: CommandSpec[] = [client];
