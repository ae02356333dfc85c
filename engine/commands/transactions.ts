import { ErrorReply, NULL_ARRAY, OK, type Reply } from '../resp/reply.js';
import { KeyWatcher, type Client } from '../server/client.js';
import { command } from './define.js';
import type { CommandSpec } from './types.js';

const meta = (summary: string, since: string, complexity = 'O(1)', syntax?: string) => ({
  group: 'transactions' as const,
  summary,
  since,
  complexity,
  syntax,
});

const NESTED = new ErrorReply('ERR MULTI calls can not be nested');
const EXEC_WITHOUT_MULTI = new ErrorReply('ERR EXEC without MULTI');
const DISCARD_WITHOUT_MULTI = new ErrorReply('ERR DISCARD without MULTI');
const WATCH_IN_MULTI = new ErrorReply('ERR WATCH inside MULTI is not allowed');
const EXECABORT = new ErrorReply('EXECABORT Transaction discarded because of previous errors.');

/** Forget every WATCHed key of a client (EXEC, DISCARD, UNWATCH, RESET). */
export function unwatchAll(client: Client): void {
  if (client.watched.length === 0) return;
  for (const w of client.watched) {
    const set = w.db.watched.get(w.key);
    if (!set) continue;
    set.delete(w.watcher);
    if (set.size === 0) w.db.watched.delete(w.key);
  }
  client.watched = [];
}

/** Redis's discardTransaction: drop the queue and the watches. */
export function discardTransaction(client: Client): void {
  client.multi = null;
  unwatchAll(client);
}

/**
 * True if EXEC must fail: a watched key was modified, or one that was live at WATCH has
 * logically expired since (Redis 7's isWatchedKeyExpired), even if not yet deleted.
 */
function watchBroken(client: Client, now: number): boolean {
  for (const w of client.watched) {
    if (w.watcher.dirtyCas) return true;
    const watcher = w.watcher as KeyWatcher;
    if (watcher.expiredAtWatch) continue;
    const at = w.db.expires.get(w.key);
    if (at !== undefined && at <= now && w.db.data.has(w.key)) return true;
  }
  return false;
}

const multi = command('multi', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], [0, 0, 0], meta('Mark the start of a transaction block', '1.2.0'), (ctx) => {
  if (ctx.client.multi) return NESTED;
  ctx.client.multi = { queue: [], aborted: false };
  return OK;
});

const exec = command(
  'exec',
  1,
  ['noscript', 'loading', 'stale', 'skip_slowlog'],
  [0, 0, 0],
  meta('Execute all commands issued after MULTI', '1.2.0', 'Depends on commands in the transaction'),
  (ctx) => {
    const client = ctx.client;
    const m = client.multi;
    if (!m) return EXEC_WITHOUT_MULTI;
    if (m.aborted) {
      discardTransaction(client);
      return EXECABORT;
    }
    if (watchBroken(client, ctx.now)) {
      discardTransaction(client);
      return NULL_ARRAY;
    }
    // The role may have changed since the commands were queued (now a read-only replica).
    for (const q of m.queue) {
      const refusal = ctx.server.refuse(q.spec, client);
      if (refusal) {
        discardTransaction(client);
        const msg = refusal.message.startsWith('ERR ') ? refusal.message.slice(4) : refusal.message;
        return new ErrorReply('EXECABORT Transaction discarded because of: ' + msg);
      }
    }
    discardTransaction(client);
    const replies: Reply[] = [];
    const server = ctx.server;
    server.beginTransaction();
    try {
      for (const q of m.queue) replies.push(server.callInTransaction(client, q.spec, q.argv));
    } finally {
      server.endTransaction(client);
    }
    return replies;
  },
);

const discard = command('discard', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], [0, 0, 0], meta('Discard all commands issued after MULTI', '2.0.0', 'O(N), when N is the number of queued commands'), (ctx) => {
  if (!ctx.client.multi) return DISCARD_WITHOUT_MULTI;
  discardTransaction(ctx.client);
  return OK;
});

const watch = command(
  'watch',
  -2,
  ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
  [1, -1, 1],
  meta('Watch the given keys to determine execution of the MULTI/EXEC block', '2.2.0', 'O(1) for every key.', 'key [key ...]'),
  (ctx, argv) => {
    const client = ctx.client;
    if (client.multi) return WATCH_IN_MULTI;
    const db = ctx.db;
    for (let i = 1; i < argv.length; i++) {
      const key = argv[i];
      if (client.watched.some((w) => w.db === db && w.key === key)) continue;
      const at = db.expires.get(key);
      const expired = at !== undefined && at <= ctx.now && db.data.has(key);
      const watcher = new KeyWatcher(db, key, expired);
      let set = db.watched.get(key);
      if (!set) db.watched.set(key, (set = new Set()));
      set.add(watcher);
      client.watched.push({ db, key, watcher });
    }
    return OK;
  },
);

const unwatch = command('unwatch', 1, ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], [0, 0, 0], meta('Forget about all watched keys', '2.2.0'), (ctx) => {
  unwatchAll(ctx.client);
  return OK;
});

export const transactionCommands: CommandSpec[] = [multi, exec, discard, watch, unwatch];
