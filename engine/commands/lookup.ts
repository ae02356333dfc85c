import type { CommandContext } from './types.js';
import { ErrorReply } from '../resp/reply.js';
import type { Value } from '../store/value.js';
import { WRONGTYPE } from './errors.js';

/** A read lookup, counted as a keyspace hit or miss (INFO stats), with lazy expiry. */
export function lookupRead(ctx: CommandContext, key: string): Value | undefined {
  const v = ctx.db.get(key, ctx.now);
  ctx.server.countLookup(v !== undefined);
  return v;
}

/** A lookup for writing: lazy expiry, no stats. */
export function lookupWrite(ctx: CommandContext, key: string): Value | undefined {
  return ctx.db.get(key, ctx.now);
}

/** The string at `key`, null if missing, WRONGTYPE if another type. */
export function readString(ctx: CommandContext, key: string): string | null | ErrorReply {
  const v = lookupRead(ctx, key);
  if (v === undefined) return null;
  return typeof v === 'string' ? v : WRONGTYPE;
}
