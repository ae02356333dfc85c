import { ErrorReply } from '../resp/reply.js';

/** Redis's exact error strings, shared so that every command says them the same way. */
export const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
export const NOT_INTEGER = new ErrorReply('ERR value is not an integer or out of range');
export const NOT_FLOAT = new ErrorReply('ERR value is not a valid float');
export const SYNTAX = new ErrorReply('ERR syntax error');
export const NO_SUCH_KEY = new ErrorReply('ERR no such key');
export const INDEX_OUT_OF_RANGE = new ErrorReply('ERR index out of range');
export const OVERFLOW = new ErrorReply('ERR increment or decrement would overflow');
export const DB_OUT_OF_RANGE = new ErrorReply('ERR DB index is out of range');
export const NOT_POSITIVE = new ErrorReply('ERR value is out of range, must be positive');
export const TIMEOUT_NOT_FLOAT = new ErrorReply('ERR timeout is not a float or out of range');
export const TIMEOUT_NEGATIVE = new ErrorReply('ERR timeout is negative');
export const MIN_MAX_NOT_FLOAT = new ErrorReply('ERR min or max is not a float');
export const MIN_MAX_NOT_STRING_RANGE = new ErrorReply('ERR min or max not valid string range item');
export const NOAUTH = new ErrorReply('NOAUTH Authentication required.');
export const READONLY = new ErrorReply("READONLY You can't write against a read only replica.");

export function wrongArity(name: string): ErrorReply {
  return new ErrorReply(`ERR wrong number of arguments for '${name}' command`);
}

/** An argument as Redis's `%s` formats it: a C string, cut at the first NUL byte. */
function cstr(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}

/** An argument as Redis's `%.128s` formats it (addReplySubcommandSyntaxError & co). */
export function cArg(s: string): string {
  return cstr(s).slice(0, 128);
}

export function unknownCommand(argv: string[]): ErrorReply {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${cstr(argv[i]).slice(0, 128 - args.length)}' `;
  return new ErrorReply(`ERR unknown command '${cstr(argv[0]).slice(0, 128)}', with args beginning with: ${args}`);
}

export function unknownSubcommand(container: string, sub: string): ErrorReply {
  return new ErrorReply(
    `ERR unknown subcommand '${cstr(sub).slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`,
  );
}

export function invalidExpire(command: string): ErrorReply {
  return new ErrorReply(`ERR invalid expire time in '${command}' command`);
}
