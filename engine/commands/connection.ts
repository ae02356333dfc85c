import { ErrorReply, MapReply, OK, PONG, type Reply, SimpleString } from '../resp/reply.js';
import type { Client } from '../server/client.js';
import { ENGINE_REDIS_VERSION } from '../server/version.js';
import { parseInt64 } from './args.js';
import { command } from './define.js';
import { DB_OUT_OF_RANGE, NOT_INTEGER, SYNTAX, wrongArity } from './errors.js';
import { discardTransaction } from './transactions.js';
import type { CommandContext, CommandSpec } from './types.js';

const meta = (summary: string, since: string, syntax?: string, complexity = 'O(1)') => ({
  group: 'connection' as const,
  summary,
  since,
  complexity,
  syntax,
});

const WRONGPASS = new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.');
const NO_PASSWORD = new ErrorReply(
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
);
const HELLO_NOAUTH = new ErrorReply(
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
);
const BAD_NAME = new ErrorReply('ERR Client names cannot contain spaces, newlines or special characters.');
const RESET_REPLY = new SimpleString('RESET');
const INT32_MAX = 2147483647;
const INT_RANGE = new ErrorReply('ERR value is out of range, value must between -2147483648 and 2147483647');

/** The only user is `default`; without requirepass it takes any password (nopass). */
function credentialsOk(ctx: CommandContext, user: string, password: string): boolean {
  if (user !== 'default') return false;
  const required = ctx.server.config.get('requirepass');
  return required === '' || password === required;
}

function setAuthenticated(client: Client, yes: boolean): void {
  client.authenticated = yes;
  client.parser.authenticated = yes;
}

/** Redis's clientSetName rule: printable ASCII without spaces ('!'..'~'); empty clears. */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

const ping = command(
  'ping',
  -1,
  ['fast'],
  [0, 0, 0],
  meta('Ping the server', '1.0.0', '[message]'),
  (ctx, argv) => {
    if (argv.length > 2) return wrongArity('ping');
    if (ctx.client.proto === 2 && ctx.client.inPubSub) return ['pong', argv.length === 2 ? argv[1] : ''];
    return argv.length === 2 ? argv[1] : PONG;
  },
);

const echo = command('echo', 2, ['loading', 'stale', 'fast'], [0, 0, 0], meta('Echo the given string', '1.0.0', 'message'), (_ctx, argv) => argv[1]);

const select = command('select', 2, ['loading', 'stale', 'fast'], [0, 0, 0], meta('Change the selected database for the current connection', '1.0.0', 'index'), (ctx, argv) => {
  // getIntFromObjectOrReply: an int64 that must also fit 32 bits.
  const n = parseInt64(argv[1]);
  if (n === null) return NOT_INTEGER;
  if (typeof n === 'bigint' || n > INT32_MAX || n < -INT32_MAX - 1) return INT_RANGE;
  if (n < 0 || n >= ctx.server.dbs.length) return DB_OUT_OF_RANGE;
  ctx.client.dbIndex = n;
  ctx.client.db = ctx.server.dbs[n];
  ctx.db = ctx.client.db;
  return OK;
});

const quit = command('quit', -1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], [0, 0, 0], meta('Close the connection', '1.0.0'), (ctx) => {
  ctx.client.closeAfterReply = true;
  return OK;
});

const auth = command(
  'auth',
  -2,
  ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
  [0, 0, 0],
  meta('Authenticate to the server', '1.0.0', '[username] password', 'O(N) where N is the number of passwords defined for the user'),
  (ctx, argv) => {
    if (argv.length > 3) return SYNTAX;
    if (argv.length === 2 && ctx.server.config.get('requirepass') === '') return NO_PASSWORD;
    const user = argv.length === 3 ? argv[1] : 'default';
    if (!credentialsOk(ctx, user, argv[argv.length - 1])) return WRONGPASS;
    setAuthenticated(ctx.client, true);
    return OK;
  },
);

function helloMap(ctx: CommandContext): MapReply {
  const entries: [Reply, Reply][] = [
    ['server', 'redis'],
    ['version', ENGINE_REDIS_VERSION],
    ['proto', ctx.client.proto],
    ['id', ctx.client.id],
    ['mode', 'standalone'],
    ['role', ctx.server.role === 'primary' ? 'master' : 'replica'],
    ['modules', []],
  ];
  return new MapReply(entries);
}

const hello = command(
  'hello',
  -1,
  ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
  [0, 0, 0],
  meta('Handshake with Redis', '6.0.0', '[protover [AUTH username password] [SETNAME clientname]]'),
  (ctx, argv) => {
    let proto = 0;
    if (argv.length >= 2) {
      const v = parseInt64(argv[1]);
      if (v === null) return new ErrorReply('ERR Protocol version is not an integer or out of range');
      if (v !== 2 && v !== 3) return new ErrorReply('NOPROTO unsupported protocol version');
      proto = v;
    }
    let user: string | null = null;
    let pass = '';
    let name: string | null = null;
    for (let i = 2; i < argv.length; i++) {
      const more = argv.length - 1 - i;
      const opt = argv[i].toLowerCase();
      if (opt === 'auth' && more >= 2) {
        user = argv[i + 1];
        pass = argv[i + 2];
        i += 2;
      } else if (opt === 'setname' && more >= 1) {
        name = argv[++i];
      } else {
        return new ErrorReply(`ERR Syntax error in HELLO option '${argv[i]}'`);
      }
    }
    const client = ctx.client;
    if (user !== null) {
      if (!credentialsOk(ctx, user, pass)) return WRONGPASS;
      setAuthenticated(client, true);
    }
    if (!client.authenticated) return HELLO_NOAUTH;
    // Authentication sticks even when the name is then refused, as in Redis.
    if (name !== null) {
      if (!validClientName(name)) return BAD_NAME;
      client.name = name;
    }
    if (proto) client.proto = proto as 2 | 3;
    return helloMap(ctx);
  },
);

/** RESET: back to a fresh connection's state (Redis's clearClientConnectionState). */
const reset = command('reset', 1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], [0, 0, 0], meta('Reset the connection', '6.2.0'), (ctx) => {
  const client = ctx.client;
  const server = ctx.server;
  if (client.role !== 'normal') return new ErrorReply('ERR can only reset normal client connections');
  if (client.monitoring) {
    client.monitoring = false;
    server.monitors.delete(client);
  }
  client.dbIndex = 0;
  client.db = server.dbs[0];
  ctx.db = client.db;
  client.proto = 2;
  setAuthenticated(client, server.config.get('requirepass') === '');
  discardTransaction(client);
  server.pubsub.removeClient(client);
  client.name = '';
  client.noEvict = false;
  client.replyMode = 'on';
  client.skipLeft = 0;
  return RESET_REPLY;
});

export const connectionCommands: CommandSpec[] = [ping, echo, select, quit, auth, hello, reset];
