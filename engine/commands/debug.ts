import fs from 'node:fs';
import { ErrorReply, OK, type Reply, SimpleString } from '../resp/reply.js';
import { command } from './define.js';
import type { CommandContext, CommandSpec } from './types.js';
import { datasetDigest, valueDigest } from '../store/digest.js';
import { cArg } from './errors.js';
import { decodeRdb, encodeRdb } from '../store/rdb.js';
import { installSnapshot, snapshotAux, snapshotPath } from './persistence.js';

const HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    (memlab round-trips through an in-memory RDB instead of the file, unless NOSAVE.)',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'HELP',
  '    Prints this help.',
].map((l) => new SimpleString(l));

const RELOAD_OPTIONS_ERR = new ErrorReply('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
const RELOAD_FAILED = new ErrorReply('ERR Error trying to load the RDB dump, check server logs.');

/** C's strtod as Redis uses it here: the longest numeric prefix, 0 if there is none. */
function strtod(s: string): number {
  const m = /^\s*[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf(?:inity)?)/i.exec(s);
  if (!m) return 0;
  const t = m[0].trim().toLowerCase().replace(/inf(inity)?$/, 'Infinity');
  const d = Number(t);
  return Number.isNaN(d) ? 0 : d;
}

/** C's atoi: the leading integer, 0 if none. */
function atoi(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m ? Number.parseInt(m[0], 10) : 0;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Block the whole event loop, as Redis's DEBUG SLEEP stalls its single thread. */
function blockFor(ms: number): void {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) Atomics.wait(sleepCell, 0, 0, left);
}

function reload(ctx: CommandContext, argv: string[]): Reply {
  let merge = false;
  let noflush = false;
  let nosave = false;
  for (let i = 2; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === 'merge') merge = true;
    else if (o === 'noflush') noflush = true;
    else if (o === 'nosave') nosave = true;
    else return RELOAD_OPTIONS_ERR;
  }
  const server = ctx.server;
  try {
    const buf = nosave ? fs.readFileSync(snapshotPath(server)) : encodeRdb(server.dbs, snapshotAux(server));
    installSnapshot(server, decodeRdb(buf), { flush: !noflush, merge });
  } catch (e) {
    server.log.warn(`DEBUG RELOAD failed: ${(e as Error).message}`);
    return RELOAD_FAILED;
  }
  server.log.info('DB reloaded by DEBUG RELOAD');
  return OK;
}

const debug = command(
  'debug',
  -2,
  ['admin', 'noscript', 'loading', 'stale'],
  [0, 0, 0],
  { group: 'server', summary: 'A container for debugging commands.', since: '1.0.0', complexity: 'Depends on subcommand.', syntax: 'subcommand [argument ...]' },
  (ctx, argv) => {
    const sub = argv[1].toLowerCase();
    const n = argv.length;
    if (sub === 'help' && n === 2) return HELP;
    if (sub === 'digest' && n === 2) return new SimpleString(datasetDigest(ctx.server.dbs));
    if (sub === 'digest-value') {
      // Raw lookups: like Redis, logically expired keys still count.
      const out: Reply[] = [];
      for (let i = 2; i < n; i++) out.push(new SimpleString(valueDigest(ctx.db.data.get(argv[i]), ctx.db.expires.has(argv[i]))));
      return out;
    }
    if (sub === 'sleep' && n === 3) {
      const us = Math.trunc(strtod(argv[2]) * 1e6);
      if (us > 0) blockFor(us / 1000);
      return OK;
    }
    if (sub === 'reload') return reload(ctx, argv);
    if (sub === 'set-active-expire' && n === 3) {
      ctx.server.activeExpireEnabled = atoi(argv[2]) !== 0;
      return OK;
    }
    return new ErrorReply(`ERR unknown subcommand or wrong number of arguments for '${cArg(argv[1])}'. Try DEBUG HELP.`);
  },
);

export const debugCommands: CommandSpec[] = [debug];
