import type Redis from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTimeout } from '../../../engine/commands/lists.js';
import { encodeCommand } from '../../../engine/resp/encoder.js';
import { ErrorReply, NULL_ARRAY } from '../../../engine/resp/reply.js';
import type { TestEngine } from '../../helpers/engine.js';
import { family, NOT_INT, WRONGTYPE } from '../../helpers/family.js';
import { RawConnection } from '../../helpers/raw.js';
import { haveRedisServer, type RealRedis, startRealRedis } from '../../helpers/redis-server.js';
import { rng } from '../../helpers/rng.js';

const fx = family();
const { effects, effectsOf, err: errOf } = fx;
let engine: TestEngine, r: Redis;
beforeAll(() => {
  ({ engine, r } = fx);
});

const call = (...args: (string | number)[]) => r.call(String(args[0]), ...args.slice(1).map(String));
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const waitBlocked = (n: number) => until(() => engine.server.blocking.count === n, `${n} blocked clients`);

/** A raw connection, optionally switched to RESP3 (HELLO's reply is dropped). */
async function raw(port: number, proto: 2 | 3 = 2): Promise<RawConnection> {
  const c = await RawConnection.connect(port);
  if (proto === 3) {
    c.write(encodeCommand(['HELLO', '3']));
    await c.readUntil('modules\r\n*0\r\n');
  }
  return c;
}

/** Index just past the RESP value that starts at i. */
function replyEnd(s: string, i: number): number {
  const nl = s.indexOf('\r\n', i);
  if (nl < 0) throw new Error(`truncated reply at ${i}`);
  const t = s[i];
  if ('+-:_,#('.includes(t)) return nl + 2;
  const n = Number(s.slice(i + 1, nl));
  if (t === '$' || t === '=' || t === '!') return n < 0 ? nl + 2 : nl + 2 + n + 2;
  if (t === '*' || t === '~' || t === '>' || t === '%' || t === '|') {
    let j = nl + 2;
    const items = t === '%' || t === '|' ? n * 2 : n;
    for (let k = 0; k < items; k++) j = replyEnd(s, j);
    return j;
  }
  throw new Error(`unknown RESP type ${JSON.stringify(t)} at ${i}`);
}

/** Send commands pipelined on one connection, return each raw reply. */
async function pipelineRaw(port: number, cmds: string[][], proto: 2 | 3): Promise<string[]> {
  const c = await raw(port, proto);
  const sentinel = '$7\r\n__end__\r\n';
  c.write(cmds.map(encodeCommand).join('') + encodeCommand(['ECHO', '__end__']));
  const out = await c.readUntil(sentinel, 20_000);
  c.close();
  const replies: string[] = [];
  for (let i = 0; i < out.length - sentinel.length; ) {
    const j = replyEnd(out, i);
    replies.push(out.slice(i, j));
    i = j;
  }
  return replies;
}

describe('push, pop, length', () => {
  it('LPUSH/RPUSH create, prepend/append in argument order, and return the length', async () => {
    expect(await call('LPUSH', 'p1', 'a', 'b', 'c')).toBe(3);
    expect(await call('RPUSH', 'p1', 'x', 'y')).toBe(5);
    expect(await call('LRANGE', 'p1', 0, -1)).toEqual(['c', 'b', 'a', 'x', 'y']);
    expect(await call('LLEN', 'p1')).toBe(5);
    expect(await call('LLEN', 'nokey')).toBe(0);
    expect(await call('TYPE', 'p1')).toBe('list');
    await call('SET', 'str', 'v');
    expect(await errOf(call('LPUSH', 'str', 'a'))).toBe(WRONGTYPE);
    expect(await errOf(call('RPUSH', 'str', 'a'))).toBe(WRONGTYPE);
    expect(await errOf(call('LLEN', 'str'))).toBe(WRONGTYPE);
    expect(await errOf(call('LPUSH', 'p1'))).toBe("ERR wrong number of arguments for 'lpush' command");
  });

  it('LPUSHX/RPUSHX only push onto existing lists', async () => {
    expect(await call('LPUSHX', 'px', 'a')).toBe(0);
    expect(await call('EXISTS', 'px')).toBe(0);
    await call('RPUSH', 'px', 'm');
    expect(await call('LPUSHX', 'px', 'a', 'b')).toBe(3);
    expect(await call('RPUSHX', 'px', 'z')).toBe(4);
    expect(await call('LRANGE', 'px', 0, -1)).toEqual(['b', 'a', 'm', 'z']);
    await call('SET', 'pxs', 'v');
    expect(await errOf(call('RPUSHX', 'pxs', 'a'))).toBe(WRONGTYPE);
  });

  it('LPOP/RPOP without and with a count, deleting the emptied list', async () => {
    await call('RPUSH', 'pp', 'a', 'b', 'c', 'd', 'e');
    expect(await call('LPOP', 'pp')).toBe('a');
    expect(await call('RPOP', 'pp')).toBe('e');
    expect(await call('LPOP', 'pp', 0)).toEqual([]);
    expect(await call('RPOP', 'pp', 2)).toEqual(['d', 'c']);
    expect(await call('LPOP', 'pp', 10)).toEqual(['b']);
    expect(await call('EXISTS', 'pp')).toBe(0);
    expect(await call('LPOP', 'pp')).toBeNull();
    expect(await call('LPOP', 'pp', 3)).toBeNull();
    expect(await call('LPOP', 'pp', 0)).toBeNull();
    expect(await errOf(call('LPOP', 'pp', -1))).toBe('ERR value is out of range, must be positive');
    expect(await errOf(call('LPOP', 'pp', 'x'))).toBe('ERR value is out of range, must be positive');
    expect(await errOf(call('RPOP', 'pp', 1, 2))).toBe("ERR wrong number of arguments for 'rpop' command");
    await call('SET', 'pps', 'v');
    expect(await errOf(call('LPOP', 'pps', 0))).toBe(WRONGTYPE);
    expect(await errOf(call('RPOP', 'pps'))).toBe(WRONGTYPE);
    await call('RPUSH', 'pp2', 'x');
    expect(await call('RPOP', 'pp2', '9223372036854775807')).toEqual(['x']);
  });

  it('distinguishes nil from the null array in RESP2 and RESP3', async () => {
    const cases: [string[], string, string][] = [
      [['LPOP', 'nk'], '$-1\r\n', '_\r\n'],
      [['LPOP', 'nk', '1'], '*-1\r\n', '_\r\n'],
      [['LPOP', 'nk', '0'], '*-1\r\n', '_\r\n'],
      [['LMPOP', '1', 'nk', 'LEFT'], '*-1\r\n', '_\r\n'],
      [['LPOS', 'nk', 'a'], '$-1\r\n', '_\r\n'],
      [['LPOS', 'nk', 'a', 'COUNT', '1'], '*0\r\n', '*0\r\n'],
      [['LINDEX', 'nk', '0'], '$-1\r\n', '_\r\n'],
      [['LMOVE', 'nk', 'x', 'LEFT', 'LEFT'], '$-1\r\n', '_\r\n'],
      [['BLPOP', 'nk', '0.01'], '*-1\r\n', '_\r\n'],
      [['BLMOVE', 'nk', 'x', 'LEFT', 'LEFT', '0.01'], '*-1\r\n', '_\r\n'],
      [['BRPOPLPUSH', 'nk', 'x', '0.01'], '*-1\r\n', '_\r\n'],
      [['BLMPOP', '0.01', '1', 'nk', 'LEFT'], '*-1\r\n', '_\r\n'],
    ];
    for (const proto of [2, 3] as const) {
      const replies = await pipelineRaw(engine.port, cases.map((c) => c[0]), proto);
      expect(replies).toEqual(cases.map((c) => (proto === 2 ? c[1] : c[2])));
    }
  });
});

describe('indexes and ranges', () => {
  it('LRANGE clamps like Redis and checks indexes before the key', async () => {
    await call('RPUSH', 'lr', 'a', 'b', 'c', 'd');
    expect(await call('LRANGE', 'lr', 1, 2)).toEqual(['b', 'c']);
    expect(await call('LRANGE', 'lr', -3, -2)).toEqual(['b', 'c']);
    expect(await call('LRANGE', 'lr', -100, 100)).toEqual(['a', 'b', 'c', 'd']);
    expect(await call('LRANGE', 'lr', 3, 1)).toEqual([]);
    expect(await call('LRANGE', 'lr', 4, 10)).toEqual([]);
    expect(await call('LRANGE', 'lr', '-9223372036854775808', '9223372036854775807')).toEqual(['a', 'b', 'c', 'd']);
    expect(await call('LRANGE', 'nokey', 0, -1)).toEqual([]);
    expect(await errOf(call('LRANGE', 'nokey', 'a', 1))).toBe(NOT_INT);
    expect(await errOf(call('LRANGE', 'lr', 0, '9223372036854775808'))).toBe(NOT_INT);
    await call('SET', 'lrs', 'v');
    expect(await errOf(call('LRANGE', 'lrs', 'x', 1))).toBe(NOT_INT);
    expect(await errOf(call('LRANGE', 'lrs', 0, 1))).toBe(WRONGTYPE);
  });

  it('LINDEX looks the key up before parsing the index', async () => {
    await call('RPUSH', 'li', 'a', 'b', 'c');
    expect(await call('LINDEX', 'li', 0)).toBe('a');
    expect(await call('LINDEX', 'li', -1)).toBe('c');
    expect(await call('LINDEX', 'li', 3)).toBeNull();
    expect(await call('LINDEX', 'li', -4)).toBeNull();
    expect(await call('LINDEX', 'nokey', 'abc')).toBeNull();
    expect(await errOf(call('LINDEX', 'li', 'abc'))).toBe(NOT_INT);
    await call('SET', 'lis', 'v');
    expect(await errOf(call('LINDEX', 'lis', 'abc'))).toBe(WRONGTYPE);
  });

  it('LSET replaces by index with Redis errors', async () => {
    await call('RPUSH', 'ls', 'a', 'b', 'c');
    expect(await call('LSET', 'ls', 1, 'B')).toBe('OK');
    expect(await call('LSET', 'ls', -1, 'C')).toBe('OK');
    expect(await call('LRANGE', 'ls', 0, -1)).toEqual(['a', 'B', 'C']);
    expect(await errOf(call('LSET', 'ls', 3, 'x'))).toBe('ERR index out of range');
    expect(await errOf(call('LSET', 'ls', -4, 'x'))).toBe('ERR index out of range');
    expect(await errOf(call('LSET', 'nokey', 'abc', 'x'))).toBe('ERR no such key');
    expect(await errOf(call('LSET', 'ls', 'abc', 'x'))).toBe(NOT_INT);
    await call('SET', 'lss', 'v');
    expect(await errOf(call('LSET', 'lss', 'abc', 'x'))).toBe(WRONGTYPE);
  });
});

describe('in-place edits', () => {
  it('LINSERT before/after the first pivot; 0 for a missing key, -1 for a missing pivot', async () => {
    await call('RPUSH', 'ins', 'a', 'b', 'a');
    expect(await call('LINSERT', 'ins', 'BEFORE', 'a', 'x')).toBe(4);
    expect(await call('LINSERT', 'ins', 'aFtEr', 'a', 'y')).toBe(5);
    expect(await call('LRANGE', 'ins', 0, -1)).toEqual(['x', 'a', 'y', 'b', 'a']);
    expect(await call('LINSERT', 'ins', 'AFTER', 'zz', 'q')).toBe(-1);
    expect(await call('LINSERT', 'nokey', 'AFTER', 'a', 'q')).toBe(0);
    expect(await errOf(call('LINSERT', 'nokey', 'middle', 'a', 'q'))).toBe('ERR syntax error');
    await call('SET', 'inss', 'v');
    expect(await errOf(call('LINSERT', 'inss', 'before', 'a', 'q'))).toBe(WRONGTYPE);
  });

  it('LREM from the head, from the tail, or all; deletes the emptied list', async () => {
    await call('RPUSH', 'rem', 'a', 'b', 'a', 'c', 'a', 'a');
    expect(await call('LREM', 'rem', 2, 'a')).toBe(2);
    expect(await call('LRANGE', 'rem', 0, -1)).toEqual(['b', 'c', 'a', 'a']);
    expect(await call('LREM', 'rem', -1, 'a')).toBe(1);
    expect(await call('LRANGE', 'rem', 0, -1)).toEqual(['b', 'c', 'a']);
    expect(await call('LREM', 'rem', 0, 'zz')).toBe(0);
    await call('RPUSH', 'rem2', 'a', 'a');
    expect(await call('LREM', 'rem2', '-9223372036854775808', 'a')).toBe(2);
    expect(await call('EXISTS', 'rem2')).toBe(0);
    expect(await call('LREM', 'nokey', 0, 'a')).toBe(0);
    expect(await errOf(call('LREM', 'nokey', 'x', 'a'))).toBe(NOT_INT);
    await call('SET', 'rems', 'v');
    expect(await errOf(call('LREM', 'rems', 0, 'a'))).toBe(WRONGTYPE);
  });

  it('LTRIM keeps the range and deletes an emptied list', async () => {
    await call('RPUSH', 'tr', 'a', 'b', 'c', 'd', 'e');
    expect(await call('LTRIM', 'tr', 1, -2)).toBe('OK');
    expect(await call('LRANGE', 'tr', 0, -1)).toEqual(['b', 'c', 'd']);
    expect(await call('LTRIM', 'tr', '-9223372036854775808', '9223372036854775807')).toBe('OK');
    expect(await call('LLEN', 'tr')).toBe(3);
    expect(await call('LTRIM', 'tr', 2, 1)).toBe('OK');
    expect(await call('EXISTS', 'tr')).toBe(0);
    expect(await call('LTRIM', 'nokey', 0, 1)).toBe('OK');
    expect(await errOf(call('LTRIM', 'nokey', 'a', 1))).toBe(NOT_INT);
    await call('SET', 'trs', 'v');
    expect(await errOf(call('LTRIM', 'trs', 0, 1))).toBe(WRONGTYPE);
  });

  it('signals WATCH on every in-place change, including a no-op LTRIM', async () => {
    const db = engine.server.dbs[0];
    const watch = (key: string) => {
      const w = { dirtyCas: false };
      db.watched.set(key, new Set([w]));
      return w;
    };
    await call('RPUSH', 'w1', 'a', 'b', 'c');
    const cases: [string, (string | number)[]][] = [
      ['w1', ['RPUSH', 'w1', 'd']],
      ['w1', ['LSET', 'w1', 0, 'A']],
      ['w1', ['LINSERT', 'w1', 'BEFORE', 'b', 'x']],
      ['w1', ['LREM', 'w1', 1, 'x']],
      ['w1', ['LTRIM', 'w1', 0, -1]],
      ['w1', ['LPOP', 'w1']],
      ['w1', ['RPOP', 'w1', 1]],
      ['w1', ['LMOVE', 'w1', 'w2', 'LEFT', 'LEFT']],
      ['w2', ['LMOVE', 'w1', 'w2', 'LEFT', 'LEFT']],
    ];
    try {
      for (const [key, cmd] of cases) {
        const w = watch(key);
        await call(...cmd);
        expect(w.dirtyCas, cmd.join(' ')).toBe(true);
      }
      const w = watch('w2');
      await call('LINSERT', 'w2', 'BEFORE', 'nope', 'x');
      await call('LREM', 'w2', 0, 'nope');
      expect(w.dirtyCas).toBe(false);
    } finally {
      db.watched.clear();
    }
  });
});

describe('LPOS', () => {
  it('finds matches with RANK, COUNT and MAXLEN', async () => {
    await call('RPUSH', 'pos', 'a', 'b', 'c', 'a', 'b', 'a');
    expect(await call('LPOS', 'pos', 'a')).toBe(0);
    expect(await call('LPOS', 'pos', 'zz')).toBeNull();
    expect(await call('LPOS', 'pos', 'a', 'RANK', 2)).toBe(3);
    expect(await call('LPOS', 'pos', 'a', 'RANK', -1)).toBe(5);
    expect(await call('LPOS', 'pos', 'a', 'RANK', -2)).toBe(3);
    expect(await call('LPOS', 'pos', 'a', 'RANK', 4)).toBeNull();
    expect(await call('LPOS', 'pos', 'a', 'COUNT', 0)).toEqual([0, 3, 5]);
    expect(await call('LPOS', 'pos', 'a', 'COUNT', 2)).toEqual([0, 3]);
    expect(await call('LPOS', 'pos', 'a', 'COUNT', 2, 'RANK', -1)).toEqual([5, 3]);
    expect(await call('LPOS', 'pos', 'a', 'COUNT', 0, 'MAXLEN', 4)).toEqual([0, 3]);
    expect(await call('LPOS', 'pos', 'a', 'RANK', -1, 'MAXLEN', 1)).toBe(5);
    expect(await call('LPOS', 'pos', 'a', 'RANK', 2, 'MAXLEN', 3)).toBeNull();
    expect(await call('LPOS', 'pos', 'zz', 'COUNT', 5)).toEqual([]);
    expect(await call('LPOS', 'nokey', 'a', 'COUNT', 5)).toEqual([]);
    // Redis's rank negation overflows for LONG_MIN: every match from the tail, COUNT ignored.
    expect(await call('LPOS', 'pos', 'a', 'RANK', '-9223372036854775808', 'COUNT', 1)).toEqual([5, 3, 0]);
    expect(await call('LPOS', 'pos', 'a', 'RANK', '-9223372036854775807', 'COUNT', 1)).toEqual([]);
  });

  it('rejects bad options with Redis errors, before looking at the key', async () => {
    await call('SET', 'poss', 'v');
    expect(await errOf(call('LPOS', 'poss', 'a', 'RANK', 0))).toBe(
      "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    );
    expect(await errOf(call('LPOS', 'nokey', 'a', 'RANK', 'x'))).toBe(NOT_INT);
    expect(await errOf(call('LPOS', 'nokey', 'a', 'COUNT', -1))).toBe("ERR COUNT can't be negative");
    expect(await errOf(call('LPOS', 'nokey', 'a', 'COUNT', 'x'))).toBe("ERR COUNT can't be negative");
    expect(await errOf(call('LPOS', 'nokey', 'a', 'MAXLEN', -1))).toBe("ERR MAXLEN can't be negative");
    expect(await errOf(call('LPOS', 'poss', 'a', 'FOO'))).toBe('ERR syntax error');
    expect(await errOf(call('LPOS', 'poss', 'a', 'RANK'))).toBe('ERR syntax error');
    expect(await errOf(call('LPOS', 'poss', 'a'))).toBe(WRONGTYPE);
  });
});

describe('moves and multi-pops', () => {
  it('LMOVE and RPOPLPUSH move between lists and create the destination', async () => {
    await call('RPUSH', 'm1', 'a', 'b', 'c');
    expect(await call('LMOVE', 'm1', 'm2', 'LEFT', 'RIGHT')).toBe('a');
    expect(await call('LMOVE', 'm1', 'm2', 'right', 'left')).toBe('c');
    expect(await call('LRANGE', 'm2', 0, -1)).toEqual(['c', 'a']);
    expect(await call('RPOPLPUSH', 'm1', 'm2')).toBe('b');
    expect(await call('EXISTS', 'm1')).toBe(0);
    expect(await call('LRANGE', 'm2', 0, -1)).toEqual(['b', 'c', 'a']);
    expect(await call('LMOVE', 'm1', 'm2', 'LEFT', 'LEFT')).toBeNull();
    expect(await call('RPOPLPUSH', 'm1', 'm2')).toBeNull();
  });

  it('LMOVE on one key rotates, and a one-element list survives it', async () => {
    await call('RPUSH', 'rot', '1', '2', '3');
    expect(await call('LMOVE', 'rot', 'rot', 'LEFT', 'RIGHT')).toBe('1');
    expect(await call('LRANGE', 'rot', 0, -1)).toEqual(['2', '3', '1']);
    expect(await call('RPOPLPUSH', 'rot', 'rot')).toBe('1');
    expect(await call('LRANGE', 'rot', 0, -1)).toEqual(['1', '2', '3']);
    await call('RPUSH', 'rot1', 'x');
    expect(await call('LMOVE', 'rot1', 'rot1', 'RIGHT', 'LEFT')).toBe('x');
    expect(await call('LRANGE', 'rot1', 0, -1)).toEqual(['x']);
  });

  it('LMOVE checks sides, then the source, then the destination type', async () => {
    await call('SET', 'mvs', 'v');
    await call('RPUSH', 'mvl', 'a');
    expect(await errOf(call('LMOVE', 'mvs', 'mvs', 'UP', 'LEFT'))).toBe('ERR syntax error');
    expect(await errOf(call('LMOVE', 'mvs', 'mvs', 'LEFT', 'DOWN'))).toBe('ERR syntax error');
    expect(await call('LMOVE', 'nokey', 'mvs', 'LEFT', 'LEFT')).toBeNull();
    expect(await errOf(call('LMOVE', 'mvs', 'mvl', 'LEFT', 'LEFT'))).toBe(WRONGTYPE);
    expect(await errOf(call('LMOVE', 'mvl', 'mvs', 'LEFT', 'LEFT'))).toBe(WRONGTYPE);
    expect(await errOf(call('RPOPLPUSH', 'mvl', 'mvs'))).toBe(WRONGTYPE);
    expect(await call('LRANGE', 'mvl', 0, -1)).toEqual(['a']);
  });

  it('LMPOP pops from the first non-empty list, with Redis argument errors', async () => {
    await call('RPUSH', 'mp2', 'a', 'b', 'c');
    expect(await call('LMPOP', 2, 'mp1', 'mp2', 'LEFT')).toEqual(['mp2', ['a']]);
    expect(await call('LMPOP', 2, 'mp1', 'mp2', 'RIGHT', 'COUNT', 5)).toEqual(['mp2', ['c', 'b']]);
    expect(await call('EXISTS', 'mp2')).toBe(0);
    expect(await call('LMPOP', 2, 'mp1', 'mp2', 'RIGHT')).toBeNull();
    expect(await errOf(call('LMPOP', 0, 'mp1', 'LEFT'))).toBe('ERR numkeys should be greater than 0');
    expect(await errOf(call('LMPOP', 'x', 'mp1', 'LEFT'))).toBe('ERR numkeys should be greater than 0');
    expect(await errOf(call('LMPOP', 2, 'mp1', 'LEFT'))).toBe('ERR syntax error');
    expect(await errOf(call('LMPOP', 1, 'mp1', 'MIDDLE'))).toBe('ERR syntax error');
    expect(await errOf(call('LMPOP', 1, 'mp1', 'LEFT', 'COUNT', 0))).toBe('ERR count should be greater than 0');
    expect(await errOf(call('LMPOP', 1, 'mp1', 'LEFT', 'COUNT', 'x'))).toBe('ERR count should be greater than 0');
    expect(await errOf(call('LMPOP', 1, 'mp1', 'LEFT', 'COUNT', 1, 'COUNT', 1))).toBe('ERR syntax error');
    expect(await errOf(call('LMPOP', 1, 'mp1', 'LEFT', 'COUNT'))).toBe('ERR syntax error');
    await call('SET', 'mps', 'v');
    await call('RPUSH', 'mpl', 'a');
    expect(await errOf(call('LMPOP', 2, 'mp1', 'mps', 'LEFT'))).toBe(WRONGTYPE);
    expect(await errOf(call('LMPOP', 2, 'mps', 'mpl', 'LEFT'))).toBe(WRONGTYPE);
    expect(await call('LMPOP', 2, 'mpl', 'mps', 'LEFT')).toEqual(['mpl', ['a']]);
  });
});

describe('effects', () => {
  it('propagates writes as sent, skips no-ops, and turns LMPOP into LPOP/RPOP key n', async () => {
    await call('RPUSH', 'e1', 'a', 'b', 'c');
    const before = engine.server.dirty;
    const got = await effectsOf(async () => {
      await call('LPUSH', 'e1', 'z');
      await call('LPOP', 'e1', 0);
      await call('LTRIM', 'e1', 0, -1);
      await call('LREM', 'e1', 0, 'nope');
      await call('LINSERT', 'e1', 'BEFORE', 'nope', 'x');
      await call('LRANGE', 'e1', 0, -1);
      await call('LMPOP', 1, 'e1', 'RIGHT', 'COUNT', 2);
      await call('LMPOP', 1, 'e1', 'LEFT', 'COUNT', 10);
      await call('LPUSHX', 'e1', 'nope');
    });
    expect(got).toEqual([
      ['LPUSH', 'e1', 'z'],
      ['RPOP', 'e1', '2'],
      ['LPOP', 'e1', '2'],
    ]);
    expect(engine.server.dirty - before).toBe(5);
  });

  it('propagates blocking pops served at once as the non-blocking command', async () => {
    await call('RPUSH', 'e2', '1', '2', '3', '4', '5', '6');
    const got = await effectsOf(async () => {
      expect(await call('BLPOP', 'nokey', 'e2', 0)).toEqual(['e2', '1']);
      expect(await call('BRPOP', 'e2', 0)).toEqual(['e2', '6']);
      expect(await call('BLMOVE', 'e2', 'e3', 'LeFt', 'RIGHT', 0)).toBe('2');
      expect(await call('BRPOPLPUSH', 'e2', 'e3', 0)).toBe('5');
      expect(await call('BLMPOP', 0, 2, 'nokey', 'e2', 'RIGHT', 'COUNT', 10)).toEqual(['e2', ['4', '3']]);
    });
    expect(got).toEqual([
      ['LPOP', 'e2'],
      ['RPOP', 'e2'],
      ['LMOVE', 'e2', 'e3', 'LeFt', 'RIGHT'],
      ['RPOPLPUSH', 'e2', 'e3'],
      ['RPOP', 'e2', '2'],
    ]);
  });

  it('matches the stream a real Redis replica receives, for immediate and served blocking pops', async (ctx) => {
    if (!haveRedisServer()) {
      console.log('skipped: redis-server is not installed');
      ctx.skip();
    }
    const primary = await startRealRedis();
    let replica: RealRedis | null = null;
    try {
      replica = await startRealRedis(['--replicaof', '127.0.0.1', String(primary.port)]);
      const rep = replica.client();
      await until(async () => (await rep.info('replication')).includes('master_link_status:up'), 'replica link', 10_000);
      const mon = await RawConnection.connect(replica.port);
      mon.write('MONITOR\r\n');
      await mon.readUntil('+OK\r\n');

      const real = primary.client();
      const realBlocked = async (n: number) =>
        until(async () => (await real.info('clients')).includes(`blocked_clients:${n}\r`), `${n} blocked on redis`);
      const scenario = async (mk: () => Redis, blocked: (n: number) => Promise<void>) => {
        const c = mk();
        await c.call('RPUSH', 'a', '1', '2', '3');
        await c.call('BLPOP', 'a', '0');
        await c.call('BRPOP', 'a', '0');
        await c.call('RPUSH', 'a', '4', '5', '6', '7');
        await c.call('BLMOVE', 'a', 'b', 'LeFt', 'RIGHT', '0');
        await c.call('BRPOPLPUSH', 'a', 'b', '0');
        await c.call('BLMPOP', '0', '2', 'nokey', 'a', 'right', 'COUNT', '10');
        await c.call('LMPOP', '1', 'b', 'left', 'COUNT', '1');
        await c.call('LPOP', 'b', '0');
        await c.call('LTRIM', 'b', '0', '-1');
        const waits: Promise<unknown>[] = [];
        const cmds = [
          ['BLPOP', 'q1', '0'],
          ['BRPOPLPUSH', 'q2', 'd', '0'],
          ['BLMOVE', 'q3', 'd', 'LEFT', 'Right', '0'],
          ['BLMPOP', '0', '1', 'q4', 'left', 'COUNT', '5'],
          ['BRPOP', 'q5', '0'],
        ];
        for (let i = 0; i < cmds.length; i++) {
          waits.push(mk().call(cmds[i][0], ...cmds[i].slice(1)));
          await blocked(i + 1);
        }
        for (const q of ['q1', 'q2', 'q3', 'q4', 'q5']) await c.call('RPUSH', q, 'x', 'y');
        await Promise.all(waits);
        await c.call('RPUSH', 'end', '1');
      };

      await scenario(() => real.duplicate(), realBlocked);
      const text = await mon.readUntil('"end" "1"\r\n', 5000);
      mon.close();
      const realStream = text
        .split('\r\n')
        .filter((l) => l.startsWith('+'))
        .map((l) => [...l.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]))
        .filter((argv) => argv.length && !['ping', 'select'].includes(argv[0].toLowerCase()));

      const ours = await effectsOf(() => scenario(() => engine.client(), waitBlocked));
      expect(ours).toEqual(realStream);
      expect(ours).toContainEqual(['LMOVE', 'q3', 'd', 'left', 'right']);
    } finally {
      await replica?.stop();
      await primary.stop();
    }
  });
});

describe('blocking', () => {
  it('parses timeouts as Redis 7.0 does', () => {
    const ok: [string, number][] = [
      ['0', 0],
      ['1', 1000],
      ['0.1', 100],
      ['.5', 500],
      ['5.', 5000],
      ['+1', 1000],
      ['1e3', 1_000_000],
      ['0.0001', 1],
      ['-0.0001', 0],
      ['1e-400', 1],
      ['0x10', 16_000],
      ['0x.8', 500],
      ['0'.repeat(5118) + '1', 1000],
      // Long double arithmetic: -0.001 * 1000 stays just above -1, so it means "forever".
      ['-0.001', 0],
      ['-1e-3', 0],
    ];
    for (const [s, ms] of ok) expect(parseTimeout(s), s).toBe(ms);
    const bad: [string, string][] = [
      ['abc', 'ERR timeout is not a float or out of range'],
      ['nan', 'ERR timeout is not a float or out of range'],
      [' 1', 'ERR timeout is not a float or out of range'],
      ['1 ', 'ERR timeout is not a float or out of range'],
      ['', 'ERR timeout is not a float or out of range'],
      ['0x', 'ERR timeout is not a float or out of range'],
      ['1e5000', 'ERR timeout is not a float or out of range'],
      ['-1', 'ERR timeout is negative'],
      ['-0.0011', 'ERR timeout is negative'],
      ['inf', 'ERR timeout is negative'],
      ['-inf', 'ERR timeout is negative'],
      ['1e17', 'ERR timeout is negative'],
      ['-0.0010000000000000001', 'ERR timeout is negative'],
      ['-0.002', 'ERR timeout is negative'],
      ['-0x10', 'ERR timeout is negative'],
      ['0'.repeat(5119) + '1', 'ERR timeout is not a float or out of range'],
    ];
    for (const [s, msg] of bad) expect((parseTimeout(s) as ErrorReply).message, s).toBe(msg);
  });

  it('times out after the float timeout with a null reply, for every blocking command', async () => {
    const cmds = [
      ['BLPOP', 't1', 't2', '0.1'],
      ['BRPOP', 't1', '0.1'],
      ['BLMOVE', 't1', 't3', 'LEFT', 'RIGHT', '0.1'],
      ['BRPOPLPUSH', 't1', 't3', '0.1'],
      ['BLMPOP', '0.1', '2', 't1', 't2', 'LEFT'],
    ];
    for (const c of cmds) {
      const start = Date.now();
      expect(await r.call(c[0], ...c.slice(1))).toBeNull();
      const elapsed = Date.now() - start;
      expect(elapsed, c.join(' ')).toBeGreaterThanOrEqual(95);
      expect(elapsed, c.join(' ')).toBeLessThan(1000);
    }
    expect(engine.server.blocking.count).toBe(0);
    expect(await call('EXISTS', 't3')).toBe(0);
  });

  it('checks arguments and types before blocking', async () => {
    await call('SET', 'bs', 'v');
    expect(await errOf(call('BLPOP', 'x', 'abc'))).toBe('ERR timeout is not a float or out of range');
    expect(await errOf(call('BLPOP', 'x', '-1'))).toBe('ERR timeout is negative');
    expect(await errOf(call('BLPOP', 'nokey', 'bs', '0'))).toBe(WRONGTYPE);
    expect(await errOf(call('BLMOVE', 'bs', 'x', 'LEFT', 'LEFT', '0'))).toBe(WRONGTYPE);
    expect(await errOf(call('BLMOVE', 'x', 'x', 'UP', 'LEFT', 'abc'))).toBe('ERR syntax error');
    expect(await errOf(call('BLMOVE', 'x', 'x', 'LEFT', 'LEFT', 'abc'))).toBe('ERR timeout is not a float or out of range');
    expect(await errOf(call('BRPOPLPUSH', 'x', 'x', '-2'))).toBe('ERR timeout is negative');
    // BLMPOP checks numkeys, sides and COUNT before the timeout.
    expect(await errOf(call('BLMPOP', 'abc', '0', 'x', 'LEFT'))).toBe('ERR numkeys should be greater than 0');
    expect(await errOf(call('BLMPOP', 'abc', '1', 'x', 'LEFT', 'COUNT', '0'))).toBe('ERR count should be greater than 0');
    expect(await errOf(call('BLMPOP', 'abc', '1', 'x', 'LEFT'))).toBe('ERR timeout is not a float or out of range');
    expect(await errOf(call('BLMPOP', '0', '1', 'bs', 'LEFT'))).toBe(WRONGTYPE);
    // A source list with elements and a destination of another type: WRONGTYPE, nothing moved.
    await call('RPUSH', 'bsl', 'a');
    expect(await errOf(call('BLMOVE', 'bsl', 'bs', 'LEFT', 'LEFT', '0'))).toBe(WRONGTYPE);
    expect(await call('LLEN', 'bsl')).toBe(1);
    expect(engine.server.blocking.count).toBe(0);
  });

  it('serves a blocked client when another client pushes, and propagates the served pop', async () => {
    const b = engine.client();
    const p = b.call('BLPOP', 'sv1', 'sv2', '0');
    await waitBlocked(1);
    const got = await effectsOf(async () => {
      await call('RPUSH', 'sv2', 'hello', 'world');
      expect(await p).toEqual(['sv2', 'hello']);
    });
    expect(got).toEqual([
      ['RPUSH', 'sv2', 'hello', 'world'],
      ['LPOP', 'sv2'],
    ]);
    expect(await call('LRANGE', 'sv2', 0, -1)).toEqual(['world']);
    expect(engine.server.blocking.count).toBe(0);
  });

  it('serves clients in the order they blocked, each once', async () => {
    const cs = [engine.client(), engine.client(), engine.client()];
    const ps: Promise<unknown>[] = [];
    for (let i = 0; i < cs.length; i++) {
      ps.push(cs[i].call('BLPOP', 'fifo', '0'));
      await waitBlocked(i + 1);
    }
    await call('RPUSH', 'fifo', 'a', 'b', 'c', 'd');
    expect(await Promise.all(ps)).toEqual([
      ['fifo', 'a'],
      ['fifo', 'b'],
      ['fifo', 'c'],
    ]);
    expect(await call('LRANGE', 'fifo', 0, -1)).toEqual(['d']);

    // One push, two waiters: only the oldest is served; the other keeps waiting.
    const p1 = cs[0].call('BRPOP', 'fifo2', '0');
    await waitBlocked(1);
    const p2 = cs[1].call('BRPOP', 'fifo2', '0');
    await waitBlocked(2);
    await call('LPUSH', 'fifo2', 'x');
    expect(await p1).toEqual(['fifo2', 'x']);
    expect(engine.server.blocking.count).toBe(1);
    await call('LPUSH', 'fifo2', 'y');
    expect(await p2).toEqual(['fifo2', 'y']);
  });

  it('serves a client blocked on several keys from whichever is pushed, before younger waiters', async () => {
    const a = engine.client();
    const b = engine.client();
    const pa = a.call('BLPOP', 'mk1', 'mk2', 'mk3', '0');
    await waitBlocked(1);
    const pb = b.call('BLPOP', 'mk3', '0');
    await waitBlocked(2);
    await call('RPUSH', 'mk3', 'v1');
    expect(await pa).toEqual(['mk3', 'v1']);
    expect(engine.server.blocking.count).toBe(1);
    await call('RPUSH', 'mk3', 'v2');
    expect(await pb).toEqual(['mk3', 'v2']);
  });

  it('keeps a client blocked when its key becomes another type, as Redis does', async () => {
    const a = engine.client();
    const pa = a.call('BLPOP', 'ty1', 'ty2', '0');
    await waitBlocked(1);
    await call('SET', 'ty1', 'str');
    await sleep(30);
    expect(engine.server.blocking.count).toBe(1);
    await call('RPUSH', 'ty2', 'v');
    expect(await pa).toEqual(['ty2', 'v']);

    // BLMOVE served while its destination has another type: WRONGTYPE, the element stays.
    const pm = a.call('BLMOVE', 'ty3', 'ty1', 'LEFT', 'LEFT', '0');
    await waitBlocked(1);
    expect(await errOf(Promise.all([call('RPUSH', 'ty3', 'e'), pm]))).toBe(WRONGTYPE);
    expect(await call('LRANGE', 'ty3', 0, -1)).toEqual(['e']);
    expect(engine.server.blocking.count).toBe(0);
  });

  it('chains BLMOVE/BRPOPLPUSH clients through one push', async () => {
    const cs = [engine.client(), engine.client(), engine.client()];
    const ps = [
      cs[0].call('BLMOVE', 'ch1', 'ch2', 'RIGHT', 'LEFT', '0'),
      cs[1].call('BLMOVE', 'ch2', 'ch3', 'LEFT', 'RIGHT', '0'),
      cs[2].call('BRPOPLPUSH', 'ch3', 'ch4', '0'),
    ];
    await waitBlocked(3);
    const got = await effectsOf(async () => {
      await call('RPUSH', 'ch1', 'v');
      expect(await Promise.all(ps)).toEqual(['v', 'v', 'v']);
    });
    expect(got).toEqual([
      ['RPUSH', 'ch1', 'v'],
      ['LMOVE', 'ch1', 'ch2', 'right', 'left'],
      ['LMOVE', 'ch2', 'ch3', 'left', 'right'],
      ['RPOPLPUSH', 'ch3', 'ch4'],
    ]);
    expect(await call('EXISTS', 'ch1', 'ch2', 'ch3')).toBe(0);
    expect(await call('LRANGE', 'ch4', 0, -1)).toEqual(['v']);
  });

  it('serves BLMPOP with up to COUNT elements and propagates the count popped', async () => {
    const a = engine.client();
    const pa = a.call('BLMPOP', '0', '2', 'bm1', 'bm2', 'RIGHT', 'COUNT', '3');
    await waitBlocked(1);
    const got = await effectsOf(async () => {
      await call('RPUSH', 'bm2', 'a', 'b');
      expect(await pa).toEqual(['bm2', ['b', 'a']]);
    });
    expect(got).toEqual([
      ['RPUSH', 'bm2', 'a', 'b'],
      ['RPOP', 'bm2', '2'],
    ]);
    expect(await call('EXISTS', 'bm2')).toBe(0);
  });

  it('removes a client that disconnects while blocked', async () => {
    const a = engine.client();
    a.call('BLPOP', 'dc', '0').catch(() => {});
    await waitBlocked(1);
    a.disconnect();
    await waitBlocked(0);
    await call('RPUSH', 'dc', 'v');
    expect(await call('LRANGE', 'dc', 0, -1)).toEqual(['v']);
  });

  it('unblocks through server.unblock (CLIENT UNBLOCK) with the given reply', async () => {
    const a = engine.client();
    const pa = a.call('BRPOP', 'ub', '0');
    await waitBlocked(1);
    const blocked = [...engine.server.clients.values()].find((c) => c.blocked !== null)!;
    engine.server.unblock(blocked, NULL_ARRAY);
    expect(await pa).toBeNull();
    expect(engine.server.blocking.count).toBe(0);
    // The connection keeps working afterwards.
    await call('RPUSH', 'ub', 'x');
    expect(await a.call('BRPOP', 'ub', '0')).toEqual(['ub', 'x']);
  });

  it('1 ms for a tiny timeout, forever for 0, -0.0001 and timeouts beyond the timer limit', async () => {
    const start = Date.now();
    expect(await call('BLPOP', 'tiny', '0.0001')).toBeNull();
    expect(Date.now() - start).toBeLessThan(500);
    const cs = [engine.client(), engine.client(), engine.client()];
    const ps = [
      cs[0].call('BLPOP', 'long', '0'),
      cs[1].call('BLPOP', 'long', '-0.0001'),
      // 2^31 ms is about 24.9 days: a plain setTimeout would fire at once.
      cs[2].call('BLPOP', 'long', '3000000'),
    ];
    await waitBlocked(3);
    await sleep(100);
    expect(engine.server.blocking.count).toBe(3);
    await call('RPUSH', 'long', 'a', 'b', 'c');
    expect(await Promise.all(ps)).toEqual([
      ['long', 'a'],
      ['long', 'b'],
      ['long', 'c'],
    ]);
  });

  it('answers at once inside a transaction: null array, or nil for BLMOVE/BRPOPLPUSH', async () => {
    const srv = engine.server;
    const c = srv.createClient(null);
    try {
      const run = (...argv: string[]) => srv.callInTransaction(c, srv.table.lookup(argv[0])!, argv);
      srv.beginTransaction();
      expect(run('BLPOP', 'tx', '0')).toBe(NULL_ARRAY);
      expect(run('BRPOP', 'tx', '0')).toBe(NULL_ARRAY);
      expect(run('BLMPOP', '0', '1', 'tx', 'LEFT')).toBe(NULL_ARRAY);
      expect(run('BLMOVE', 'tx', 'tx2', 'LEFT', 'LEFT', '0')).toBeNull();
      expect(run('BRPOPLPUSH', 'tx', 'tx2', '0')).toBeNull();
      expect(run('RPUSH', 'tx', 'a', 'b')).toBe(2);
      expect(run('BLPOP', 'tx', '0')).toEqual(['tx', 'a']);
      effects.length = 0;
      srv.endTransaction(c);
      expect(effects.map((e) => e.argv)).toEqual([['MULTI'], ['RPUSH', 'tx', 'a', 'b'], ['LPOP', 'tx'], ['EXEC']]);
      expect(srv.blocking.count).toBe(0);
    } finally {
      srv.disconnect(c);
    }
  });

  it('answers at once inside MULTI/EXEC over the wire', async () => {
    const c = await raw(engine.port);
    c.write('MULTI\r\nBLPOP txw 0\r\nBRPOPLPUSH txw x 0\r\nBLMPOP 0 1 txw LEFT\r\nEXEC\r\n');
    expect(await c.readUntil('*3\r\n*-1\r\n$-1\r\n*-1\r\n')).toBe('+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n*-1\r\n$-1\r\n*-1\r\n');
    c.close();
  });
});

describe('differential against redis-server', () => {
  function generate(seed: number, n: number, p: string): string[][] {
    const rnd = rng(seed);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
    const lists = [p + 'l1', p + 'l2', p + 'l3'];
    // Mostly list keys, so that most commands act rather than answer WRONGTYPE.
    const key = () => (rnd() < 0.08 ? p + 's' : pick(lists));
    const elems = ['a', 'b', 'c', 'd', '', '\x00\xff', 'a b'];
    const idx = () =>
      rnd() < 0.9 ? pick(['0', '1', '2', '-1', '-2', '-3', '5', '-7', '10']) : pick(['x', '1.5', '9223372036854775807', '-9223372036854775808']);
    const side = () => (rnd() < 0.95 ? pick(['LEFT', 'RIGHT', 'left', 'Right']) : 'up');
    const some = () => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(elems));
    const cmds: string[][] = [['SET', p + 's', 'str'], ['RPUSH', p + 'l1', 'a', 'b', 'c', 'a', 'd']];
    const gens: (() => string[])[] = [
      () => ['LPUSH', key(), ...some()],
      () => ['RPUSH', key(), ...some()],
      () => ['LPUSH', key(), ...some()],
      () => ['RPUSH', key(), ...some()],
      () => [pick(['LPUSHX', 'RPUSHX']), key(), ...some()],
      () => [pick(['LPOP', 'RPOP']), key()],
      () => [pick(['LPOP', 'RPOP']), key(), pick(['0', '1', '2', '5', '-1', 'x'])],
      () => ['LLEN', key()],
      () => ['LRANGE', key(), idx(), idx()],
      () => ['LINDEX', key(), idx()],
      () => ['LSET', key(), idx(), pick(elems)],
      () => ['LINSERT', key(), pick(['BEFORE', 'after', 'middle']), pick(elems), pick(elems)],
      () => ['LREM', key(), pick(['0', '1', '-1', '2', '-2', 'x']), pick(elems)],
      () => ['LTRIM', key(), idx(), idx()],
      () => {
        const c = ['LPOS', key(), pick(elems)];
        for (let i = Math.floor(rnd() * 3); i > 0; i--) c.push(pick(['RANK', 'COUNT', 'MAXLEN', 'FOO']), pick(['0', '1', '2', '-1', '-2', 'x']));
        return c;
      },
      () => ['LMOVE', key(), key(), side(), side()],
      () => ['RPOPLPUSH', key(), key()],
      () => {
        const nk = Math.floor(rnd() * 3);
        const c = ['LMPOP', String(nk), ...Array.from({ length: nk || 1 }, () => key()), side()];
        if (rnd() < 0.5) c.push('COUNT', pick(['1', '2', '10', '0', 'x']));
        return c;
      },
      () => [pick(['BLPOP', 'BRPOP']), key(), key(), pick(['0.01', '0.01', '0.01', 'x', '-1'])],
      () => ['BLMOVE', key(), key(), side(), side(), pick(['0.01', '0.01', 'x'])],
      () => ['BRPOPLPUSH', key(), key(), '0.01'],
      () => ['BLMPOP', pick(['0.01', '0.01', 'x']), '2', key(), key(), side(), 'COUNT', pick(['1', '3'])],
      () => [pick(['DEL', 'EXISTS', 'TYPE']), key()],
      () => [pick(['LPOP', 'LPOS', 'LINSERT', 'LMPOP'])],
    ];
    while (cmds.length < n) cmds.push(pick(gens)());
    return cmds;
  }

  it('replies byte for byte like redis-server to a seeded sequence, in RESP2 and RESP3', async (ctx) => {
    if (!haveRedisServer()) {
      console.log('skipped: redis-server is not installed');
      ctx.skip();
    }
    const real = await startRealRedis();
    try {
      for (const proto of [2, 3] as const) {
        for (const seed of [11, 12]) {
          const cmds = generate(seed * 10 + proto, 500, `d${proto}:${seed}:`);
          const ours = await pipelineRaw(engine.port, cmds, proto);
          const theirs = await pipelineRaw(real.port, cmds, proto);
          expect(ours.length).toBe(cmds.length);
          for (let i = 0; i < cmds.length; i++) {
            expect(ours[i], `#${i} ${JSON.stringify(cmds[i])} (RESP${proto})`).toBe(theirs[i]);
          }
        }
      }
    } finally {
      await real.stop();
    }
  });

  it('parses the same timeouts as redis-server', async (ctx) => {
    if (!haveRedisServer()) {
      console.log('skipped: redis-server is not installed');
      ctx.skip();
    }
    const real = await startRealRedis();
    try {
      // The list has elements, so valid timeouts pop at once and only parsing differs.
      const ts = ['0', '1', '0.5', '.5', '5.', '+1', '-0', '-0.0001', '1e3', '1e-400', '0x10', 'abc', 'nan', 'inf', '-inf', 'infinity', ' 1', '1 ', '', '-1', '-0.001', '1e17', '1e5000', '0x', '1e', '--1', '-0.001', '-1e-3', '-0.0010000000000000001', '-0.002', '0x1p3', '-0x10', '0x.8', '1e4000', '1e-4000', 'INF', '0.1'];
      const cmds = ts.flatMap((t) => [
        ['RPUSH', 'tp', 'x'],
        ['BLPOP', 'tp', t],
        ['DEL', 'tp'],
      ]);
      expect(await pipelineRaw(engine.port, cmds, 2)).toEqual(await pipelineRaw(real.port, cmds, 2));
    } finally {
      await real.stop();
    }
  });
});
