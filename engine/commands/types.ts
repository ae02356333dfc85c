import type { Reply } from '../resp/reply.js';
import type { Database } from '../store/database.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';

/** Command flags as Redis 7 reports them in COMMAND INFO (lowercase, without the prefix). */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_multi'
  | 'allow_busy'
  | 'movablekeys'
  | 'no_mandatory_keys';

export type CommandGroup =
  | 'generic'
  | 'string'
  | 'bitmap'
  | 'list'
  | 'set'
  | 'sorted-set'
  | 'hash'
  | 'pubsub'
  | 'transactions'
  | 'connection'
  | 'server'
  | 'replication'
  | 'log';

/** A write made deterministic, as replicas and the durable log receive it. */
export interface Effect {
  db: number;
  argv: string[];
}

/** Returned by a blocking command that must wait (BLPOP on an empty list, ...). */
export class Block {
  constructor(
    /** Keys whose change may let the command proceed; it is re-run when one changes. */
    readonly keys: string[],
    /** Absolute deadline in ms (Date.now() scale), or 0 to wait forever. */
    readonly deadline: number,
    /** Reply sent when the deadline passes, or a function computing it then (WAIT's count). */
    private readonly onTimeout: Reply | (() => Reply),
  ) {}

  /** The reply for a timeout (or CLIENT UNBLOCK), computed now if it depends on time. */
  get timeoutReply(): Reply {
    return typeof this.onTimeout === 'function' ? this.onTimeout() : this.onTimeout;
  }
}

export type Handler = (ctx: CommandContext, argv: string[]) => Reply | Block;

export interface CommandSpec {
  /** Lower-case name; subcommands are named `container|sub` (e.g. `client|setname`). */
  name: string;
  /** Redis arity: N means exactly N args including the name, -N means at least N. */
  arity: number;
  flags: readonly CommandFlag[];
  /** Key positions as in COMMAND INFO: first key, last key (-1: last arg), step. 0 = no keys. */
  firstKey: number;
  lastKey: number;
  step: number;
  /** For movable-key commands (ZUNIONSTORE, SINTERCARD...): the argv indexes holding keys. */
  keys?: (argv: string[]) => number[];
  group: CommandGroup;
  summary: string;
  since: string;
  complexity?: string;
  /** Argument documentation for COMMAND DOCS: a short syntax line, e.g. `key value [NX | XX]`. */
  syntax?: string;
  subcommands?: CommandSpec[];
  handler: Handler;
  /** Filled in by the CommandTable from `flags`, for the dispatch hot path. */
  bits?: number;
}

/** Bit values of `CommandSpec.bits`. */
export const F_WRITE = 1;
export const F_READONLY = 2;
export const F_NO_AUTH = 4;
export const F_PUBSUB = 8;
export const F_BLOCKING = 16;
export const F_ADMIN = 32;
export const F_NO_MULTI = 64;
export const F_STALE = 128;
export const F_LOADING = 256;
export const F_DENYOOM = 512;

export function flagBits(flags: readonly CommandFlag[]): number {
  let b = 0;
  for (const f of flags) {
    if (f === 'write') b |= F_WRITE;
    else if (f === 'readonly') b |= F_READONLY;
    else if (f === 'no_auth') b |= F_NO_AUTH;
    else if (f === 'pubsub') b |= F_PUBSUB;
    else if (f === 'blocking') b |= F_BLOCKING;
    else if (f === 'admin') b |= F_ADMIN;
    else if (f === 'no_multi') b |= F_NO_MULTI;
    else if (f === 'stale') b |= F_STALE;
    else if (f === 'loading') b |= F_LOADING;
    else if (f === 'denyoom') b |= F_DENYOOM;
  }
  return b;
}

/**
 * The context a handler runs in. The server reuses one object per command (execution is
 * single-threaded), so handlers must not keep a reference to it.
 */
export interface CommandContext {
  readonly server: Server;
  readonly client: Client;
  /** The client's selected database. */
  db: Database;
  /** Wall-clock ms cached for the command, so expiry decisions inside one command agree. */
  readonly now: number;
  /** True inside EXEC or where blocking is not allowed: blocking commands answer at once. */
  readonly noBlock: boolean;
  /**
   * Record that the keyspace changed. Unless the handler calls `propagate`, the command's
   * own argv becomes its effect.
   */
  dirty(n?: number): void;
  /**
   * Replace the command's effect with an explicit one (may be called several times for
   * several effects). Use it to make a write deterministic: `EXPIRE` → `PEXPIREAT`, `SPOP` →
   * `SREM`, `INCRBYFLOAT` → `SET … KEEPTTL`.
   */
  propagate(argv: string[], db?: number): void;
}
