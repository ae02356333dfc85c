import { ErrorReply, MapReply, OK, PONG, type Reply } from '../resp/reply.js';
import { command } from './define.js';
import { DB_OUT_OF_RANGE, SYNTAX } from './errors.js';
import { parseInt64 } from './args.js';
import type { CommandContext, CommandSpec } from './types.js';
import { ENGINE_REDIS_VERSION } from '../server/version.js';

const meta = (summary: string, since: string, syntax?: string) => ({
  group: 'connection' as const,
  summary,
  since,
  complexity: 'O(1)',
  syntax,
});

function checkPassword(ctx: CommandContext, password: string): boolean {
  const required = ctx.server.config.get('requirepass');
  return required !== '' && password === required;
}

const WRONGPASS = new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.');

const ping = command('ping', -1, ['fast', 'stale'], [0, 0, 0], meta('Returns the server\'s liveliness response.', '1.0.0', '[message]'), (ctx, argv) => {
  if (argv.length > 2) return new ErrorReply("ERR wrong number of arguments for 'ping' command");
  if (ctx.client.proto === 2 && ctx.client.inPubSub) return ['pong', argv.length === 2 ? argv[1] : ''];
  return argv.length === 2 ? argv[1] : PONG;
});

const echo = command('echo', 2, ['fast', 'stale'], [0, 0, 0], meta('Returns the given string.', '1.0.0', 'message'), (_ctx, argv) => argv[1]);

const select = command('select', 2, ['loading', 'stale', 'fast'], [0, 0, 0], meta('Changes the selected database.', '1.0.0', 'index'), (ctx, argv) => {
  const n = parseInt64(argv[1]);
  if (n === null || typeof n === 'bigint') return new ErrorReply('ERR value is not an integer or out of range');
  if (n < 0 || n >= ctx.server.dbs.length) return DB_OUT_OF_RANGE;
  ctx.client.dbIndex = n;
  ctx.client.db = ctx.server.dbs[n];
  ctx.db = ctx.client.db;
  return OK;
});

const quit = command('quit', -1, ['allow_busy', 'no_auth', 'fast', 'stale', 'loading'], [0, 0, 0], meta('Closes the connection.', '1.0.0'), (ctx) => {
  ctx.client.closeAfterReply = true;
  return OK;
});

const auth = command('auth', -2, ['no_auth', 'fast', 'stale', 'loading'], [0, 0, 0], meta('Authenticates the connection.', '1.0.0', '[username] password'), (ctx, argv) => {
  if (argv.length > 3) return SYNTAX;
  const required = ctx.server.config.get('requirepass');
  if (argv.length === 2 && required === '') {
    return new ErrorReply('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  const user = argv.length === 3 ? argv[1] : 'default';
  const password = argv[argv.length - 1];
  if (user !== 'default' || !(required === '' || checkPassword(ctx, password))) return WRONGPASS;
  ctx.client.authenticated = true;
  ctx.client.parser.authenticated = true;
  return OK;
});

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
  ['no_auth', 'fast', 'stale', 'loading'],
  [0, 0, 0],
  meta('Handshakes with the Redis server.', '6.0.0', '[protover [AUTH username password] [SETNAME clientname]]'),
  (ctx, argv) => {
    let proto = ctx.client.proto as number;
    if (argv.length >= 2) {
      const v = parseInt64(argv[1]);
      if (v === null) return new ErrorReply('ERR Protocol version is not an integer or out of range');
      if (v !== 2 && v !== 3) return new ErrorReply('NOPROTO unsupported protocol version');
      proto = v;
    }
    let setName: string | null = null;
    for (let i = 2; i < argv.length; i++) {
      const opt = argv[i].toLowerCase();
      if (opt === 'auth' && i + 2 < argv.length) {
        const user = argv[i + 1];
        const pass = argv[i + 2];
        const required = ctx.server.config.get('requirepass');
        if (user !== 'default' || !(required === '' || pass === required)) return WRONGPASS;
        ctx.client.authenticated = true;
        ctx.client.parser.authenticated = true;
        i += 2;
      } else if (opt === 'setname' && i + 1 < argv.length) {
        setName = argv[++i];
        if (/[\s]/.test(setName) || /[^\x21-\x7e]/.test(setName)) {
          return new ErrorReply('ERR Client names cannot contain spaces, newlines or special characters.');
        }
      } else {
        return new ErrorReply(`ERR Syntax error in HELLO option '${argv[i]}'`);
      }
    }
    if (!ctx.client.authenticated) {
      return new ErrorReply('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
    }
    if (setName !== null) ctx.client.name = setName;
    ctx.client.proto = proto as 2 | 3;
    return helloMap(ctx);
  },
);

export const connectionCommands: CommandSpec[] = [ping, echo, select, quit, auth, hello];
