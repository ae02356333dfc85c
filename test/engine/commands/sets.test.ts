import { beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { family } from '../../helpers/family.js';
import { RawConnection } from '../../helpers/raw.js';
import { rawCall, shape, type Tagged as R } from '../../helpers/raw-reply.js';
import type { RealRedis } from '../../helpers/redis-server.js';
import { rng as mulberry32 } from '../../helpers/rng.js';

const fx = family({ real: 'set' });
const { effects, effectsOf, err, WRONGTYPE } = fx;
let engine: TestEngine, r: Redis, real: RealRedis | null;
beforeAll(() => {
  ({ engine, r, real } = fx);
});

const sorted = (a: unknown): string[] => [...(a as string[])].sort();

/** An aggregate with its items sorted: for replies whose order is a hash-table accident. */
function unordered(x: R): R {
  if (typeof x === 'string' || !x.items) return x;
  return { t: x.t, items: [...x.items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) };
}

describe('SADD / SREM / SMEMBERS / SISMEMBER / SMISMEMBER / SCARD', () => {
  it('adds, counts, tests and removes members', async () => {
    await r.del('s');
    expect(await r.sadd('s', 'a', 'b', 'a', 'c')).toBe(3);
    expect(await r.sadd('s', 'a', 'd')).toBe(1);
    expect(await r.scard('s')).toBe(4);
    expect(await r.scard('nokey')).toBe(0);
    expect(sorted(await r.smembers('s'))).toEqual(['a', 'b', 'c', 'd']);
    expect(await r.smembers('nokey')).toEqual([]);
    expect(await r.sismember('s', 'a')).toBe(1);
    expect(await r.sismember('s', 'z')).toBe(0);
    expect(await r.sismember('nokey', 'a')).toBe(0);
    expect(await r.smismember('s', 'a', 'z', 'd')).toEqual([1, 0, 1]);
    expect(await r.smismember('nokey', 'a', 'b')).toEqual([0, 0]);
    expect(await r.srem('s', 'a', 'a', 'z')).toBe(1);
    expect(await r.srem('nokey', 'a')).toBe(0);
    expect(await r.srem('s', 'b', 'c', 'd')).toBe(3);
    expect(await r.exists('s')).toBe(0);
  });

  it('refuses other types and wrong arity', async () => {
    await r.set('str', 'x');
    for (const cmd of ['SADD', 'SREM', 'SISMEMBER', 'SMISMEMBER']) expect(await err(r.call(cmd, 'str', 'm'))).toBe(WRONGTYPE);
    for (const cmd of ['SMEMBERS', 'SCARD', 'SPOP', 'SRANDMEMBER', 'SINTER', 'SUNION', 'SDIFF']) expect(await err(r.call(cmd, 'str'))).toBe(WRONGTYPE);
    expect(await err(r.call('SADD', 's'))).toBe("ERR wrong number of arguments for 'sadd' command");
    expect(await err(r.call('SMISMEMBER', 's'))).toBe("ERR wrong number of arguments for 'smismember' command");
    expect(await err(r.call('SINTERSTORE', 'd'))).toBe("ERR wrong number of arguments for 'sinterstore' command");
    expect(await r.get('str')).toBe('x');
  });

  it('answers set replies as RESP3 sets, including empty ones', async () => {
    await r.del('r3');
    await r.sadd('r3', 'x');
    const c = await RawConnection.connect(engine.port);
    await rawCall(c, ['HELLO', '3']);
    expect(await rawCall(c, ['SMEMBERS', 'r3'])).toEqual({ t: '~', items: ['x'] });
    expect(await rawCall(c, ['SMEMBERS', 'nokey'])).toEqual({ t: '~', items: [] });
    expect(await rawCall(c, ['SINTER', 'r3', 'nokey'])).toEqual({ t: '~', items: [] });
    expect(await rawCall(c, ['SUNION', 'nokey'])).toEqual({ t: '~', items: [] });
    expect(await rawCall(c, ['SPOP', 'nokey', '2'])).toEqual({ t: '~', items: [] });
    expect(await rawCall(c, ['SPOP', 'nokey'])).toEqual({ t: '_', v: '' });
    expect(await rawCall(c, ['SRANDMEMBER', 'r3', '5'])).toEqual({ t: '*', items: ['x'] });
    expect(await rawCall(c, ['SRANDMEMBER', 'nokey', '2'])).toEqual({ t: '*', items: [] });
    expect(await rawCall(c, ['SMISMEMBER', 'r3', 'x', 'y'])).toEqual({ t: '*', items: [{ t: ':', v: '1' }, { t: ':', v: '0' }] });
    c.close();
  });
});

describe('SMOVE', () => {
  it('moves a member, creating and deleting keys as needed', async () => {
    await r.del('a', 'b');
    await r.sadd('a', 'x', 'y');
    expect(await r.smove('a', 'b', 'x')).toBe(1);
    expect(await r.smembers('b')).toEqual(['x']);
    expect(await r.smove('a', 'b', 'nope')).toBe(0);
    await r.sadd('b', 'y');
    expect(await r.smove('a', 'b', 'y')).toBe(1);
    expect(await r.exists('a')).toBe(0);
    expect(sorted(await r.smembers('b'))).toEqual(['x', 'y']);
    // Same source and destination: membership test, no change.
    expect(await r.smove('b', 'b', 'x')).toBe(1);
    expect(await r.smove('b', 'b', 'q')).toBe(0);
    expect(await r.smove('nokey', 'b', 'x')).toBe(0);
  });

  it('checks types the way Redis does', async () => {
    await r.set('str', 'x');
    await r.del('b');
    await r.sadd('b', 'x');
    // A missing source wins over a wrong-typed destination.
    expect(await r.smove('nokey', 'str', 'x')).toBe(0);
    expect(await err(r.smove('b', 'str', 'nope'))).toBe(WRONGTYPE);
    expect(await err(r.smove('b', 'str', 'x'))).toBe(WRONGTYPE);
    expect(await err(r.smove('str', 'b', 'x'))).toBe(WRONGTYPE);
    expect(await r.smembers('b')).toEqual(['x']);
  });
});

describe('SPOP / SRANDMEMBER', () => {
  it('pops single members and counts', async () => {
    await r.del('p');
    await r.sadd('p', 'a', 'b', 'c', 'd', 'e');
    const one = (await r.spop('p')) as string;
    expect(['a', 'b', 'c', 'd', 'e']).toContain(one);
    expect(await r.sismember('p', one)).toBe(0);
    const two = (await r.spop('p', 2)) as string[];
    expect(two.length).toBe(2);
    expect(new Set([one, ...two]).size).toBe(3);
    expect(await r.scard('p')).toBe(2);
    expect(await r.spop('p', 0)).toEqual([]);
    expect(await r.spop('p', 10)).toHaveLength(2);
    expect(await r.exists('p')).toBe(0);
    expect(await r.spop('p')).toBe(null);
    expect(await r.spop('p', 3)).toEqual([]);
  });

  it('parses SPOP count before the key', async () => {
    await r.set('str', 'x');
    expect(await err(r.call('SPOP', 'str', '-1'))).toBe('ERR value is out of range, must be positive');
    expect(await err(r.call('SPOP', 'nokey', 'x'))).toBe('ERR value is out of range, must be positive');
    expect(await err(r.call('SPOP', 'nokey', '99999999999999999999'))).toBe('ERR value is out of range, must be positive');
    expect(await err(r.call('SPOP', 'str', '0'))).toBe(WRONGTYPE);
    expect(await err(r.call('SPOP', 'nokey', '1', '2'))).toBe('ERR syntax error');
  });

  it('returns random members with counts, negative counts repeating', async () => {
    await r.del('rm');
    const members = Array.from({ length: 200 }, (_, i) => 'm' + i);
    await r.sadd('rm', ...members);
    const all = new Set(members);
    expect(all.has((await r.srandmember('rm')) as string)).toBe(true);
    for (const n of [1, 10, 60, 150]) {
      const got = (await r.srandmember('rm', n)) as string[];
      expect(got.length).toBe(n);
      expect(new Set(got).size).toBe(n);
      for (const m of got) expect(all.has(m)).toBe(true);
    }
    expect(sorted(await r.srandmember('rm', 500))).toEqual(sorted(members));
    const rep = (await r.srandmember('rm', -1000)) as string[];
    expect(rep.length).toBe(1000);
    expect(new Set(rep).size).toBeLessThan(1000);
    expect(await r.srandmember('rm', 0)).toEqual([]);
    expect(await r.srandmember('nokey')).toBe(null);
    expect(await r.srandmember('nokey', 5)).toEqual([]);
    expect(await r.scard('rm')).toBe(200);
    await r.set('str', 'x');
    expect(await err(r.call('SRANDMEMBER', 'str', 'abc'))).toBe('ERR value is not an integer or out of range');
    expect(await err(r.call('SRANDMEMBER', 'str', '0'))).toBe(WRONGTYPE);
    expect(await err(r.call('SRANDMEMBER', 'nokey', '-9223372036854775808'))).toBe(
      'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    );
    expect(await err(r.call('SRANDMEMBER', 'nokey', '1', '2'))).toBe('ERR syntax error');
  });

  it('samples every live member of a large set, including ones added later, never removed ones', async () => {
    await r.del('big');
    const members = Array.from({ length: 300 }, (_, i) => 'b' + i);
    await r.sadd('big', ...members);
    await r.srandmember('big');
    await r.sadd('big', 'late1', 'late2');
    await r.srem('big', 'b0', 'b1', 'b2');
    const seen = new Set<string>();
    const p = r.pipeline();
    for (let i = 0; i < 8000; i++) p.srandmember('big');
    for (const [e, v] of (await p.exec())!) {
      expect(e).toBe(null);
      seen.add(v as string);
    }
    expect(seen.has('b0') || seen.has('b1') || seen.has('b2')).toBe(false);
    expect(seen.has('late1') && seen.has('late2')).toBe(true);
    expect(seen.size).toBe(299);
  });

  it('pops a large set empty, each member once, in random order and fast', async () => {
    await r.del('drain');
    const n = 50_000;
    for (let i = 0; i < n; i += 5000) await r.sadd('drain', ...Array.from({ length: 5000 }, (_, j) => String(i + j)));
    const start = Date.now();
    const p = r.pipeline();
    for (let i = 0; i < n; i++) p.spop('drain');
    const popped = (await p.exec())!.map(([, v]) => v as string);
    const elapsed = Date.now() - start;
    expect(new Set(popped).size).toBe(n);
    expect(await r.exists('drain')).toBe(0);
    // Random, not insertion order: about half of the first 1000 pops come from the older half.
    const older = popped.slice(0, 1000).filter((m) => Number(m) < n / 2).length;
    expect(older).toBeGreaterThan(350);
    expect(older).toBeLessThan(650);
    // O(1) per pop; an O(N) walk per pop would take minutes here.
    expect(elapsed).toBeLessThan(10_000);
  });
});

describe('SINTER / SINTERCARD / SUNION / SDIFF and their STORE forms', () => {
  it('computes intersections, unions and differences, treating missing keys as empty', async () => {
    await r.del('x', 'y', 'z');
    await r.sadd('x', 'a', 'b', 'c', 'd');
    await r.sadd('y', 'b', 'c', 'e');
    await r.sadd('z', 'c', 'f');
    expect(sorted(await r.sinter('x', 'y'))).toEqual(['b', 'c']);
    expect(await r.sinter('x', 'y', 'z')).toEqual(['c']);
    expect(await r.sinter('x', 'nokey')).toEqual([]);
    expect(sorted(await r.sinter('x'))).toEqual(['a', 'b', 'c', 'd']);
    expect(sorted(await r.sunion('x', 'nokey', 'z'))).toEqual(['a', 'b', 'c', 'd', 'f']);
    expect(sorted(await r.sdiff('x', 'y', 'nokey'))).toEqual(['a', 'd']);
    expect(await r.sdiff('nokey', 'x')).toEqual([]);
    expect(await r.sdiff('x', 'x')).toEqual([]);
    expect(await r.sdiff('x', 'y', 'x')).toEqual([]);
  });

  it('type-checks every key, even after a missing one', async () => {
    await r.set('str', 'v');
    for (const cmd of ['SINTER', 'SUNION', 'SDIFF']) expect(await err(r.call(cmd, 'nokey', 'str'))).toBe(WRONGTYPE);
    for (const cmd of ['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']) expect(await err(r.call(cmd, 'd', 'nokey', 'str'))).toBe(WRONGTYPE);
    expect(await err(r.call('SINTERCARD', '2', 'nokey', 'str'))).toBe(WRONGTYPE);
  });

  it('SINTERCARD counts with LIMIT and Redis numkeys errors', async () => {
    expect(await r.call('SINTERCARD', '2', 'x', 'y')).toBe(2);
    expect(await r.call('SINTERCARD', '2', 'x', 'y', 'LIMIT', '1')).toBe(1);
    expect(await r.call('SINTERCARD', '2', 'x', 'y', 'LIMIT', '0')).toBe(2);
    expect(await r.call('SINTERCARD', '1', 'x', 'limit', '3', 'LIMIT', '10')).toBe(4);
    expect(await r.call('SINTERCARD', '2', 'x', 'nokey')).toBe(0);
    expect(await err(r.call('SINTERCARD', '0', 'x'))).toBe('ERR numkeys should be greater than 0');
    expect(await err(r.call('SINTERCARD', 'abc', 'x'))).toBe('ERR numkeys should be greater than 0');
    expect(await err(r.call('SINTERCARD', '3', 'x', 'y'))).toBe("ERR Number of keys can't be greater than number of args");
    expect(await err(r.call('SINTERCARD', '1', 'x', 'LIMIT', '-1'))).toBe("ERR LIMIT can't be negative");
    expect(await err(r.call('SINTERCARD', '1', 'x', 'LIMIT', 'z'))).toBe("ERR LIMIT can't be negative");
    expect(await err(r.call('SINTERCARD', '1', 'x', 'LIMIT'))).toBe('ERR syntax error');
    expect(await err(r.call('SINTERCARD', '1', 'x', 'y'))).toBe('ERR syntax error');
    expect(await err(r.call('SINTERCARD', '1'))).toBe("ERR wrong number of arguments for 'sintercard' command");
  });

  it('declares SINTERCARD keys as movable, from numkeys', () => {
    const spec = engine.server.table.lookup('sintercard')!;
    expect(spec.flags).toContain('movablekeys');
    expect(spec.keys!(['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'])).toEqual([2, 3]);
    expect(spec.keys!(['SINTERCARD', '5', 'a'])).toEqual([]);
    expect(spec.keys!(['SINTERCARD', 'x', 'a'])).toEqual([]);
  });

  it('STORE forms overwrite any destination, drop its TTL, and delete it on an empty result', async () => {
    await r.set('dst', 'string');
    await r.expire('dst', 100);
    expect(await r.sinterstore('dst', 'x', 'y')).toBe(2);
    expect(sorted(await r.smembers('dst'))).toEqual(['b', 'c']);
    expect(await r.ttl('dst')).toBe(-1);
    expect(await r.sunionstore('dst', 'y', 'z')).toBe(4);
    expect(sorted(await r.smembers('dst'))).toEqual(['b', 'c', 'e', 'f']);
    expect(await r.sdiffstore('dst', 'x', 'y')).toBe(2);
    expect(sorted(await r.smembers('dst'))).toEqual(['a', 'd']);
    // The destination may be a source.
    expect(await r.sunionstore('dst', 'dst', 'z')).toBe(4);
    expect(sorted(await r.smembers('dst'))).toEqual(['a', 'c', 'd', 'f']);
    expect(await r.sinterstore('dst', 'x', 'nokey')).toBe(0);
    expect(await r.exists('dst')).toBe(0);
    await r.set('dst', 'v');
    expect(await r.sdiffstore('dst', 'x', 'x')).toBe(0);
    expect(await r.exists('dst')).toBe(0);
  });
});

describe('SSCAN', () => {
  it('returns an intset whole and ascending, ignoring cursor and COUNT', async () => {
    await r.del('is');
    await r.sadd('is', '10', '-3', '2', '9223372036854775807', '-9223372036854775808', '1');
    const all = ['-9223372036854775808', '-3', '1', '2', '10', '9223372036854775807'];
    expect(await r.smembers('is')).toEqual(all);
    expect(await r.sscan('is', '0', 'COUNT', '1')).toEqual(['0', all]);
    expect(await r.sscan('is', '777')).toEqual(['0', all]);
    expect(await r.sscan('is', '0', 'MATCH', '1*')).toEqual(['0', ['1', '10']]);
  });

  it('iterates other sets with cursors, each member once', async () => {
    await r.del('hs');
    const members = Array.from({ length: 300 }, (_, i) => 'm' + i);
    await r.sadd('hs', ...members);
    const got: string[] = [];
    let cursor = '0';
    let calls = 0;
    do {
      const [next, items] = await r.sscan('hs', cursor, 'COUNT', '20');
      got.push(...items);
      cursor = next;
      calls++;
    } while (cursor !== '0');
    expect(calls).toBeGreaterThan(10);
    expect(sorted(got)).toEqual(sorted(members));
    const [, m] = await r.sscan('hs', '0', 'MATCH', 'm1?', 'COUNT', '1000');
    expect(sorted(m)).toEqual(Array.from({ length: 10 }, (_, i) => 'm1' + i));
  });

  it('reports errors in Redis order', async () => {
    await r.set('str', 'x');
    expect(await err(r.call('SSCAN', 'str', 'x'))).toBe('ERR invalid cursor');
    expect(await r.call('SSCAN', 'nokey', '0', 'bad')).toEqual(['0', []]);
    expect(await err(r.call('SSCAN', 'str', '0', 'bad'))).toBe(WRONGTYPE);
    expect(await err(r.call('SSCAN', 'is', '0', 'bad'))).toBe('ERR syntax error');
    expect(await err(r.call('SSCAN', 'is', '0', 'COUNT', '-1'))).toBe('ERR syntax error');
    expect(await err(r.call('SSCAN', 'is', '0', 'COUNT', '1.5'))).toBe('ERR value is not an integer or out of range');
  });
});

describe('set effects and keyspace signals', () => {
  it('propagates SPOP as SREM of exactly the popped members, or DEL when the set goes', async () => {
    await r.del('ep');
    await r.sadd('ep', ...Array.from({ length: 100 }, (_, i) => 'e' + i));
    let one: unknown;
    expect(await effectsOf(async () => (one = await r.spop('ep')))).toEqual([['SREM', 'ep', one]]);
    for (const n of [5, 70]) {
      let popped: string[] = [];
      const eff = await effectsOf(async () => (popped = (await r.spop('ep', n)) as string[]));
      expect(popped.length).toBe(n);
      expect(eff.length).toBe(1);
      expect(eff[0].slice(0, 2)).toEqual(['SREM', 'ep']);
      expect(sorted(eff[0].slice(2))).toEqual(sorted(popped));
    }
    expect(await r.scard('ep')).toBe(24);
    expect(await effectsOf(() => r.spop('ep', 24))).toEqual([['DEL', 'ep']]);
    expect(await effectsOf(() => r.spop('ep'))).toEqual([]);
    expect(await effectsOf(() => r.spop('ep', 3))).toEqual([]);
    await r.sadd('ep', 'only');
    expect(await effectsOf(() => r.spop('ep', 0))).toEqual([]);
    // Emptying with a single pop still propagates SREM, as Redis does.
    expect(await effectsOf(() => r.spop('ep'))).toEqual([['SREM', 'ep', 'only']]);
    expect(await r.exists('ep')).toBe(0);
  });

  it('propagates deterministic writes as sent, and no-ops not at all', async () => {
    await r.del('ea', 'eb', 'ed');
    expect(await effectsOf(() => r.sadd('ea', 'a', 'b'))).toEqual([['sadd', 'ea', 'a', 'b']]);
    expect(await effectsOf(() => r.sadd('ea', 'a'))).toEqual([]);
    expect(await effectsOf(() => r.srem('ea', 'z'))).toEqual([]);
    expect(await effectsOf(() => r.smove('ea', 'eb', 'z'))).toEqual([]);
    expect(await effectsOf(() => r.smove('ea', 'eb', 'a'))).toEqual([['smove', 'ea', 'eb', 'a']]);
    expect(await effectsOf(() => r.sinterstore('ed', 'ea', 'nokey'))).toEqual([]);
    expect(await effectsOf(() => r.sunionstore('ed', 'ea', 'eb'))).toEqual([['sunionstore', 'ed', 'ea', 'eb']]);
    expect(await effectsOf(() => r.sinterstore('ed', 'ea', 'nokey'))).toEqual([['sinterstore', 'ed', 'ea', 'nokey']]);
    expect(await effectsOf(() => r.srandmember('ea', 2))).toEqual([]);
  });

  it('signals WATCH on in-place changes and only on real changes', async () => {
    await r.del('w', 'w2');
    await r.sadd('w', 'a', 'b');
    const db = engine.server.dbs[0];
    const watcher = { dirtyCas: false };
    const watcher2 = { dirtyCas: false };
    db.watched.set('w', new Set([watcher]));
    db.watched.set('w2', new Set([watcher2]));
    try {
      await r.sadd('w', 'a');
      await r.srem('w', 'zz');
      await r.smembers('w');
      await r.srandmember('w');
      await r.smove('w', 'w2', 'zz');
      expect(watcher.dirtyCas).toBe(false);
      await r.sadd('w', 'c');
      expect(watcher.dirtyCas).toBe(true);
      watcher.dirtyCas = false;
      await r.smove('w', 'w2', 'a');
      expect([watcher.dirtyCas, watcher2.dirtyCas]).toEqual([true, true]);
      watcher.dirtyCas = false;
      watcher2.dirtyCas = false;
      await r.spop('w');
      expect(watcher.dirtyCas).toBe(true);
      await r.sinterstore('w2', 'nokey');
      expect(watcher2.dirtyCas).toBe(true);
    } finally {
      db.watched.delete('w');
      db.watched.delete('w2');
    }
  });

  it('replays its effects to the same state on another engine', async () => {
    const other = await startEngine();
    try {
      const client = other.server.createClient(null);
      const from = effects.length;
      await r.del('ra', 'rb', 'rc');
      await r.sadd('ra', ...Array.from({ length: 120 }, (_, i) => 'v' + i));
      await r.spop('ra');
      await r.spop('ra', 7);
      await r.spop('ra', 100);
      await r.sadd('rb', 'v1', 'v2', 'v3', 'v4');
      await r.spop('rb', 9);
      await r.sadd('rb', 'v5', 'v6');
      await r.smove('ra', 'rb', (await r.smembers('ra'))[0]);
      await r.sunionstore('rc', 'ra', 'rb');
      for (const e of effects.slice(from)) other.server.applyEffect(client, e.argv);
      const o = other.client();
      for (const k of ['ra', 'rb', 'rc']) expect(sorted(await o.smembers(k))).toEqual(sorted(await r.smembers(k)));
      expect(await o.exists('ra')).toBe(1);
    } finally {
      await other.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------
// Differential: the same seeded command sequence against the engine and a real redis-server.

const KEYS = ['s1', 's2', 's3', 's4', 'h1', 'str', 'none'];
const MEMBERS = ['1', '2', '3', '10', '-5', '100', 'a', 'b', 'c', '07', 'x y', '9223372036854775807', '', '-0', '+1', 'm\x00\xff'];
const COUNTS = ['0', '1', '-1', '2', '-3', '3', '5', '100', 'abc', '1.5', '', '-9223372036854775808', '9223372036854775807', '99999999999999999999'];

describe('differential against redis-server', () => {
  it('orders intsets like Redis and SSCANs them whole', async () => {
    if (!real) {
      console.log('redis-server not installed: skipping');
      return;
    }
    const eng = await RawConnection.connect(engine.port);
    const red = await RawConnection.connect(real.port);
    const both = async (args: string[]): Promise<[R, R]> => [await rawCall(eng, args), await rawCall(red, args)];
    const ints = Array.from({ length: 300 }, (_, i) => String(((i * 7919) % 1000) - 500));
    await both(['DEL', 'i1', 'i2', 'i3']);
    await both(['SADD', 'i1', ...ints.slice(0, 200)]);
    await both(['SADD', 'i2', ...ints.slice(100), '-9223372036854775808', '42']);
    await both(['SADD', 'i3', ...ints.slice(0, 50)]);
    for (const args of [
      ['SMEMBERS', 'i1'],
      ['SSCAN', 'i1', '0'],
      ['SSCAN', 'i2', '0', 'MATCH', '*1*', 'COUNT', '3'],
      ['SINTER', 'i1', 'i2'],
      ['SINTER', 'i2', 'i3'],
      ['SUNION', 'i1', 'i3'],
      ['SDIFF', 'i1', 'i3'],
      ['SRANDMEMBER', 'i3', '1000'],
      ['SPOP', 'i3', '1000'],
    ]) {
      const [a, b] = await both(args);
      expect(a, args.join(' ')).toEqual(b);
    }
    eng.close();
    red.close();
  });

  for (const proto of [2, 3]) {
    it(`matches redis-server reply for reply over a seeded set workload (RESP${proto})`, async () => {
      if (!real) {
        console.log('redis-server not installed: skipping');
        return;
      }
      const rnd = mulberry32(proto === 2 ? 4242 : 99);
      const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
      const eng = await RawConnection.connect(engine.port);
      const red = await RawConnection.connect(real.port);
      const both = async (args: string[]): Promise<[R, R]> => [await rawCall(eng, args), await rawCall(red, args)];
      if (proto === 3) await both(['HELLO', '3']);
      const P = `d${proto}:`;
      await both(['DEL', ...KEYS.map((k) => P + k)]);
      await both(['SET', P + 'str', 'x']);
      await both(['HSET', P + 'h1', 'f', 'v']);
      const key = () => P + pick(KEYS);
      const keys = (): string[] => Array.from({ length: 1 + Math.floor(rnd() * 3) }, key);
      const members = (): string[] => Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(MEMBERS));
      const db = engine.server.dbs[0];
      const SET_REPLIES = new Set(['SMEMBERS', 'SINTER', 'SUNION', 'SDIFF']);
      let compared = 0;
      for (let step = 0; step < 700; step++) {
        const k = key();
        const ks = keys();
        const cmds: (() => string[])[] = [
          () => ['SADD', k, ...members()],
          () => ['SADD', k, ...members(), ...members()],
          () => ['SREM', k, ...members()],
          () => ['SMEMBERS', k],
          () => ['SISMEMBER', k, pick(MEMBERS)],
          () => ['SMISMEMBER', k, ...members()],
          () => ['SCARD', k],
          () => ['SMOVE', k, key(), pick(MEMBERS)],
          () => ['SPOP', k],
          () => ['SPOP', k, pick(COUNTS)],
          () => ['SRANDMEMBER', k],
          () => ['SRANDMEMBER', k, pick(COUNTS)],
          () => ['SINTER', ...ks],
          () => ['SINTERCARD', pick(['1', '2', '3', '0', 'x', String(ks.length)]), ...ks, ...(rnd() < 0.4 ? ['LIMIT', pick(COUNTS)] : [])],
          () => ['SINTERSTORE', k, ...ks],
          () => ['SUNION', ...ks],
          () => ['SUNIONSTORE', k, ...ks],
          () => ['SDIFF', ...ks],
          () => ['SDIFFSTORE', k, ...ks],
          () => ['SSCAN', k, pick(['0', '0', 'x', '', ' 1']), ...(rnd() < 0.5 ? ['MATCH', pick(['1*', '*', '?', 'a'])] : []), ...(rnd() < 0.5 ? ['COUNT', pick(COUNTS)] : [])],
          () => ['DEL', k],
        ];
        let args = pick(cmds)();
        if (rnd() < 0.06) args = args.slice(0, Math.floor(rnd() * args.length) + 1);
        const name = args[0];
        const before = db.data.get(k);
        const size = before instanceof Set ? before.size : 0;
        const count = args.length > 2 ? Number(args[2]) : NaN;
        const msg = `step ${step}: ${JSON.stringify(args)}`;
        if (name === 'SSCAN' && args.length >= 3) {
          // Cursors are opaque: compare complete iterations (from cursor 0 on both sides).
          const scanAll = async (c: RawConnection): Promise<R> => {
            let reply = await rawCall(c, args);
            if (typeof reply === 'string' || !reply.items) return reply;
            const got: R[] = [];
            for (;;) {
              const [cur, items] = reply.items as [string, { items: R[] }];
              got.push(...items.items);
              if (cur === '0') break;
              reply = await rawCall(c, [args[0], args[1], cur, ...args.slice(3)]);
            }
            return unordered({ t: 'scan', items: got });
          };
          expect(await scanAll(eng), msg).toEqual(await scanAll(red));
        } else {
          const [a, b] = await both(args);
          if (name === 'SPOP' || (name === 'SRANDMEMBER' && !(count >= size))) {
            const whole = name === 'SPOP' && count >= size;
            expect(whole ? unordered(a) : shape(a), msg).toEqual(whole ? unordered(b) : shape(b));
            if (name === 'SPOP' && typeof a !== 'string' && typeof b !== 'string' && a.items && b.items && !whole) {
              // Different members left the two sets: make redis-server's match the engine's.
              const popped = (x: R) => (typeof x === 'string' ? [x] : (x.items as string[]));
              await rawCall(red, ['SADD', k, ...popped(b)]);
              await rawCall(red, ['SREM', k, ...popped(a)]);
            } else if (name === 'SPOP' && typeof a === 'string' && typeof b === 'string' && a !== b) {
              await rawCall(red, ['SADD', k, b]);
              await rawCall(red, ['SREM', k, a]);
            }
          } else if (SET_REPLIES.has(name) || name === 'SRANDMEMBER') {
            expect(unordered(a), msg).toEqual(unordered(b));
          } else {
            expect(a, msg).toEqual(b);
          }
        }
        compared++;
      }
      for (const k of KEYS) {
        const [a, b] = await both(['SMEMBERS', P + k]);
        expect(unordered(a), k).toEqual(unordered(b));
      }
      expect(compared).toBe(700);
      eng.close();
      red.close();
    });
  }
});
