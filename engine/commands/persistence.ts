import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ErrorReply, OK, SimpleString } from '../resp/reply.js';
import { command } from './define.js';
import { SYNTAX } from './errors.js';
import type { CommandSpec } from './types.js';
import type { Server } from '../server/server.js';
import { decodeRdb, encodeRdbChunks, RdbError, type AuxFields, type DecodedRdb, type DecodeOptions } from '../store/rdb.js';

const meta = (summary: string, since: string, complexity = 'O(N) where N is the total number of keys in all databases', syntax?: string) => ({
  group: 'server' as const,
  summary,
  since,
  complexity,
  syntax,
});

// Replication and the durable log add their position to every snapshot (repl-id,
// repl-offset, memlab-log-index...). Kept here, keyed by server, so Server needs no field.
const auxProviders = new WeakMap<Server, () => AuxFields>();

/** Register the extra AUX fields written into this server's snapshots. */
export function setSnapshotAuxProvider(server: Server, provider: (() => AuxFields) | null): void {
  if (provider) auxProviders.set(server, provider);
  else auxProviders.delete(server);
}

export function snapshotAux(server: Server): AuxFields {
  return auxProviders.get(server)?.() ?? {};
}

/** `dir/dbfilename`, where SAVE writes and startup loads. */
export function snapshotPath(server: Server): string {
  return path.resolve(server.config.get('dir'), server.config.get('dbfilename'));
}

/**
 * Write `chunks` to `file` so that a crash leaves either the old file or the whole new one:
 * a temp file in the same directory, fsync, rename over the target, fsync the directory.
 */
export function writeFileAtomic(file: string, chunks: Iterable<Uint8Array>): number {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `temp-${process.pid}-${randomBytes(4).toString('hex')}.rdb`);
  let fd = -1;
  let bytes = 0;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
    for (const c of chunks) {
      for (let off = 0; off < c.length; ) off += fs.writeSync(fd, c, off, c.length - off);
      bytes += c.length;
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  // The rename is durable only once the directory entry is.
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
  return bytes;
}

/**
 * SAVE: the whole keyspace to `file` (default dir/dbfilename), honouring rdbcompression and
 * rdbchecksum. Synchronous, as Redis's SAVE. Returns the bytes written; throws on failure.
 */
export function saveSnapshot(server: Server, file = snapshotPath(server), aux: AuxFields = {}): number {
  const chunks = encodeRdbChunks(server.dbs, { ...snapshotAux(server), ...aux }, {
    compress: server.config.bool('rdbcompression'),
    checksum: server.config.bool('rdbchecksum'),
  });
  const bytes = writeFileAtomic(file, chunks);
  server.dirty = 0;
  server.lastSave = Math.floor(Date.now() / 1000);
  return bytes;
}

export interface InstallOptions {
  /** Empty the databases first (default true). */
  flush?: boolean;
  /** Without flush: a key already present is replaced (true) or refused (false, default). */
  merge?: boolean;
  /**
   * Skip keys whose TTL has passed, as a Redis primary does when it loads a file. Default:
   * true on a primary, false on a replica (the primary's DEL will come).
   */
  dropExpired?: boolean;
  now?: number;
}

export interface LoadResult {
  version: number;
  aux: Map<string, string>;
  keys: number;
  expiredSkipped: number;
}

/**
 * Put a decoded snapshot into the server's databases. Everything is checked before
 * anything changes, so a refused snapshot leaves the keyspace as it was.
 */
export function installSnapshot(server: Server, snap: DecodedRdb, opts: InstallOptions = {}): LoadResult {
  const flush = opts.flush ?? true;
  const dropExpired = opts.dropExpired ?? server.role === 'primary';
  const now = opts.now ?? Date.now();
  for (const d of snap.dbs) {
    if (d.id >= server.dbs.length) throw new RdbError('unsupported', `snapshot holds keys in DB ${d.id}, but this server has ${server.dbs.length} databases`);
    if (!flush && !opts.merge) {
      const db = server.dbs[d.id];
      for (const k of d.data.keys()) if (db.data.has(k)) throw new RdbError('format', `snapshot key '${k}' already exists in DB ${d.id}`);
    }
  }
  if (flush) for (const db of server.dbs) db.clear();
  let keys = 0;
  let expiredSkipped = 0;
  for (const d of snap.dbs) {
    const db = server.dbs[d.id];
    for (const [k, v] of d.data) {
      const at = d.expires.get(k);
      if (at !== undefined && dropExpired && at < now) {
        expiredSkipped++;
        continue;
      }
      db.set(k, v);
      if (at !== undefined) db.setExpire(k, at);
      keys++;
    }
  }
  return { version: snap.version, aux: snap.aux, keys, expiredSkipped };
}

/**
 * Load an RDB file into the server (startup, DEBUG RELOAD NOSAVE). Returns null if the
 * file does not exist (Redis starts empty then); throws RdbError if it cannot be loaded.
 */
export function loadRdbFile(server: Server, file: string = snapshotPath(server), opts: InstallOptions & DecodeOptions = {}): LoadResult | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let res: LoadResult;
  try {
    res = installSnapshot(server, decodeRdb(buf, opts), opts);
  } catch (e) {
    if (e instanceof RdbError) throw new RdbError(e.kind, `${e.message} (file ${file})`);
    throw e;
  }
  server.log.info(`DB loaded from ${file}: ${res.keys} keys${res.expiredSkipped ? `, ${res.expiredSkipped} expired keys skipped` : ''}`);
  return res;
}

// Redis replies a bare "-ERR" when SAVE fails and logs the reason.
const SAVE_FAILED = new ErrorReply('ERR');

function trySave(server: Server): boolean {
  try {
    const bytes = saveSnapshot(server);
    server.log.info(`DB saved on disk (${bytes} bytes)`);
    return true;
  } catch (e) {
    server.log.warn(`Failed saving the DB to ${snapshotPath(server)}: ${(e as Error).message}`);
    return false;
  }
}

const save = command('save', 1, ['admin', 'noscript', 'no_multi'], [0, 0, 0], meta('Synchronously saves the database(s) to disk.', '1.0.0'), (ctx) =>
  trySave(ctx.server) ? OK : SAVE_FAILED,
);

const BGSAVE_STARTED = new SimpleString('Background saving started');

// Saved synchronously: the reply is Redis's, the work is done before it is sent.
const bgsave = command('bgsave', -1, ['admin', 'noscript'], [0, 0, 0], meta('Asynchronously saves the database(s) to disk.', '1.0.0', undefined, '[SCHEDULE]'), (ctx, argv) => {
  if (argv.length > 2 || (argv.length === 2 && argv[1].toLowerCase() !== 'schedule')) return SYNTAX;
  trySave(ctx.server);
  return BGSAVE_STARTED;
});

const lastsave = command('lastsave', 1, ['loading', 'stale', 'fast'], [0, 0, 0], meta('Returns the Unix timestamp of the last successful save to disk.', '1.0.0', 'O(1)'), (ctx) => ctx.server.lastSave);

export const persistenceCommands: CommandSpec[] = [save, bgsave, lastsave];
