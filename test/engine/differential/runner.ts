import { compare, Conn, type Mode, parseReply, show } from './resp.js';
import { Generator, type Step } from './generator.js';

/**
 * Runs a generated sequence against the engine and a real redis-server side by side: each
 * step goes to both (the engine and redis at the same time, so relative TTLs start within
 * the same few milliseconds), and the replies are compared before the next step.
 */

export interface Side {
  name: 'engine' | 'redis';
  port: number;
}

export interface RunResult {
  seed: number;
  proto: 2 | 3;
  /** Steps compared (commands, scans, digests). */
  steps: number;
  commands: number;
  digests: number;
  /** Set when the servers disagreed: what, where, and the commands leading to it. */
  failure: string | null;
}

interface Pair {
  e: Conn;
  r: Conn;
}

const DBS = 3;

async function both(p: Pair, argv: string[]): Promise<[string, string]> {
  return Promise.all([p.e.call(argv), p.r.call(argv)]);
}

/** Open the two connections on each side, FLUSHALL, switch to RESP3 if asked. */
async function open(engine: Side, redis: Side, proto: 2 | 3): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < 2; i++) {
    const p = { e: await Conn.open(engine.port), r: await Conn.open(redis.port) };
    if (proto === 3) await both(p, ['HELLO', '3']); // the replies name each server: not compared
    pairs.push(p);
  }
  await both(pairs[0], ['FLUSHALL']);
  return pairs;
}

/** Is `key` held in a hash table (or skiplist) by redis? Asked in the current db of `p`. */
async function redisHashtable(p: Pair, key: string): Promise<boolean> {
  const enc = parseReply(await p.r.call(['OBJECT', 'ENCODING', key]));
  return enc.s === 'hashtable' || enc.s === 'skiplist';
}

/** Every element a SCAN-family iteration returns, until cursor 0 (deduplicated, sorted). */
async function scanAll(c: Conn, argv: string[], cursorAt: number, pairs: boolean): Promise<{ first: string; items: string[] | null }> {
  const seen = new Set<string>();
  let first = '';
  const a = argv.slice();
  for (let round = 0; round < 10_000; round++) {
    const raw = await c.call(a);
    if (round === 0) first = raw;
    const n = parseReply(raw);
    // Errors, and anything not shaped like a SCAN reply, are compared as they are.
    if (n.t !== '*' || n.items?.length !== 2 || n.items[1].items === null) return { first, items: null };
    const [cursor, list] = n.items!;
    const items = list.items!;
    if (pairs) for (let i = 0; i < items.length; i += 2) seen.add(items[i].raw + items[i + 1].raw);
    else for (const it of items) seen.add(it.raw);
    if (cursor.s === '0') return { first, items: [...seen].sort() };
    a[cursorAt] = cursor.s!;
  }
  throw new Error(`${argv[0]} did not finish in 10000 rounds`);
}

/** The key names of the current db on both sides; a full SCAN also deletes expired keys. */
async function keyNames(p: Pair): Promise<string[]> {
  const names = new Set<string>();
  for (const c of [p.e, p.r]) {
    const { items } = await scanAll(c, ['SCAN', '0', 'COUNT', '1000'], 1, false);
    for (const raw of items!) names.add(parseReply(raw).s!);
  }
  return [...names].sort();
}

/** Delete what has expired on both sides (touching every key), then compare DEBUG DIGEST. */
async function digests(p: Pair, currentDb: number): Promise<string | null> {
  for (let db = 0; db < DBS; db++) {
    await both(p, ['SELECT', String(db)]);
    for (const k of await keyNames(p)) await both(p, ['EXISTS', k]);
  }
  await both(p, ['SELECT', String(currentDb)]);
  const [e, r] = await both(p, ['DEBUG', 'DIGEST']);
  if (e === r) return null;
  // Point at the keys that differ.
  const diffs: string[] = [];
  for (let db = 0; db < DBS; db++) {
    await both(p, ['SELECT', String(db)]);
    for (const k of await keyNames(p)) {
      const [de, dr] = await both(p, ['DEBUG', 'DIGEST-VALUE', k]);
      if (de !== dr) {
        const [te, tr] = await both(p, ['TYPE', k]);
        diffs.push(`db ${db} key ${show(k)}: engine ${show(te)} ${show(de)}, redis ${show(tr)} ${show(dr)}`);
      }
    }
  }
  await both(p, ['SELECT', String(currentDb)]);
  return `DEBUG DIGEST differs: engine ${show(e)} redis ${show(r)}\n    ${diffs.slice(0, 20).join('\n    ')}`;
}

/** Keep the last commands for failure reports. */
class History {
  private readonly lines: string[] = [];
  add(s: string): void {
    this.lines.push(s);
    if (this.lines.length > 25) this.lines.shift();
  }
  toString(): string {
    return this.lines.map((l) => '    ' + l).join('\n');
  }
}

function describeStep(s: Step): string {
  if (s.op === 'cmd') return `${s.conn ? '[conn 1] ' : ''}${s.argv.map((a) => show(a, 80)).join(' ')}`;
  if (s.op === 'scan') return `scan-all ${s.argv.map((a) => show(a, 80)).join(' ')}`;
  if (s.op === 'sleep') return `sleep ${s.ms} ms`;
  return 'DEBUG DIGEST';
}

/**
 * Run `count` generated steps of seed `seed` in protocol `proto` against both servers.
 * Stops at the first disagreement and reports it in `failure`.
 */
export async function runSequence(engine: Side, redis: Side, seed: number, count: number, proto: 2 | 3): Promise<RunResult> {
  const pairs = await open(engine, redis, proto);
  const gen = new Generator(seed);
  const hist = new History();
  const res: RunResult = { seed, proto, steps: 0, commands: 0, digests: 0, failure: null };
  let db = 0;
  const fail = (i: number, s: Step, why: string, e?: string, r?: string) => {
    res.failure =
      `seed ${seed} RESP${proto} step ${i}: ${describeStep(s)}\n  ${why}` +
      (e !== undefined ? `\n  engine: ${show(e, 2000)}\n  redis:  ${show(r!, 2000)}` : '') +
      `\n  preceding steps (oldest first):\n${hist}`;
  };
  try {
    for (let i = 0; i < count; i++) {
      const s = gen.next();
      if (s.op === 'sleep') {
        await new Promise((r) => setTimeout(r, s.ms));
      } else if (s.op === 'digest') {
        const why = await digests(pairs[0], db);
        res.digests++;
        if (why) {
          fail(i, s, why);
          break;
        }
      } else if (s.op === 'scan') {
        const [a, b] = await Promise.all([scanAll(pairs[0].e, s.argv, s.cursorAt, s.pairs), scanAll(pairs[0].r, s.argv, s.cursorAt, s.pairs)]);
        if (a.items === null || b.items === null) {
          if (a.first !== b.first) {
            fail(i, s, 'replies differ', a.first, b.first);
            break;
          }
        } else if (a.items.join('\n') !== b.items.join('\n')) {
          fail(i, s, 'the iterations returned different elements', a.items.join(' '), b.items.join(' '));
          break;
        }
      } else {
        const p = pairs[s.conn];
        const [e, r] = await both(p, s.argv);
        res.commands++;
        const mode: Mode = s.mode;
        let hashtable = false;
        if (e !== r && mode.k === 'hashOrder') hashtable = await redisHashtable(p, mode.key);
        const why = compare(e, r, mode, hashtable);
        if (why) {
          fail(i, s, why, e, r);
          break;
        }
        // Track connection 0's db: SELECT succeeded on both.
        if (s.conn === 0 && s.argv[0].toUpperCase() === 'SELECT' && r.startsWith('+OK')) db = Number(s.argv[1]);
      }
      res.steps++;
      hist.add(describeStep(s));
    }
    if (!res.failure) {
      const why = await digests(pairs[0], db);
      res.digests++;
      if (why) res.failure = `seed ${seed} RESP${proto} at the end: ${why}\n  preceding steps (oldest first):\n${hist}`;
    }
  } finally {
    for (const p of pairs) {
      p.e.close();
      p.r.close();
    }
  }
  return res;
}
