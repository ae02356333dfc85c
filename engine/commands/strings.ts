import { ErrorReply, OK } from '../resp/reply.js';
import { command } from './define.js';
import { invalidExpire, NOT_INTEGER, SYNTAX, WRONGTYPE } from './errors.js';
import { lookupWrite, readString } from './lookup.js';
import { parseInt64 } from './args.js';
import type { CommandContext, CommandSpec } from './types.js';

const meta = (summary: string, since: string, complexity = 'O(1)', syntax?: string) => ({
  group: 'string' as const,
  summary,
  since,
  complexity,
  syntax,
});

/** Milliseconds of an EX/PX/EXAT/PXAT argument, as absolute time; or an error reply. */
function expireArg(ctx: CommandContext, text: string, unit: 'ex' | 'px' | 'exat' | 'pxat', cmd: string): number | ErrorReply {
  const v = parseInt64(text);
  if (v === null) return NOT_INTEGER;
  if (typeof v === 'bigint' || v <= 0) return invalidExpire(cmd);
  const ms = unit === 'ex' || unit === 'exat' ? v * 1000 : v;
  const abs = unit === 'ex' || unit === 'px' ? ctx.now + ms : ms;
  if (!Number.isSafeInteger(abs)) return invalidExpire(cmd);
  return abs;
}

const get = command('get', 2, ['readonly', 'fast'], [1, 1, 1], meta('Returns the string value of a key.', '1.0.0', 'O(1)', 'key'), (ctx, argv) =>
  readString(ctx, argv[1]),
);

const set = command(
  'set',
  -3,
  ['write', 'denyoom'],
  [1, 1, 1],
  meta(
    'Sets the string value of a key, ignoring its type. The key is created if it doesn\'t exist.',
    '1.0.0',
    'O(1)',
    'key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]',
  ),
  (ctx, argv) => {
    const key = argv[1];
    const value = argv[2];
    let nx = false;
    let xx = false;
    let getOld = false;
    let keepTtl = false;
    let expireAt = -1;
    let unit: 'ex' | 'px' | 'exat' | 'pxat' | null = null;
    for (let i = 3; i < argv.length; i++) {
      const opt = argv[i].toLowerCase();
      if (opt === 'nx' && !xx) nx = true;
      else if (opt === 'xx' && !nx) xx = true;
      else if (opt === 'get') getOld = true;
      else if (opt === 'keepttl' && unit === null) keepTtl = true;
      else if ((opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') && unit === null && !keepTtl && i + 1 < argv.length) {
        unit = opt;
        const at = expireArg(ctx, argv[++i], opt, 'set');
        if (at instanceof ErrorReply) return at;
        expireAt = at;
      } else return SYNTAX;
    }
    const old = lookupWrite(ctx, key);
    if (getOld && old !== undefined && typeof old !== 'string') return WRONGTYPE;
    const exists = old !== undefined;
    if ((nx && exists) || (xx && !exists)) return getOld ? (old as string | undefined) ?? null : null;
    ctx.db.set(key, value, keepTtl);
    if (expireAt >= 0) {
      ctx.db.setExpire(key, expireAt);
      // Relative expiries become absolute so replicas and the log agree on the instant.
      ctx.propagate(['SET', key, value, 'PXAT', String(expireAt)]);
    }
    ctx.dirty();
    if (getOld) return (old as string | undefined) ?? null;
    return OK;
  },
);

export const stringCommands: CommandSpec[] = [get, set];
