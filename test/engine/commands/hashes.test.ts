import { beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { family } from '../../helpers/family.js';
import { RawConnection } from '../../helpers/raw.js';
import { rawCall, shape, type Tagged as R } from '../../helpers/raw-reply.js';
import type { RealRedis } from '../../helpers/redis-server.js';
import { rng as mulberry32 } from '../../helpers/rng.js';

const fx = family({ real: 'hash' });
const { effects, effectsOf, err, WRONGTYPE } = fx;
let engine: TestEngine, r: Redis, real: RealRedis | null;
beforeAll(() => {
  ({ engine, r, real } = fx);
});

describe('HSET / HMSET / HSETNX / HGET / HMGET', () => {
  it('sets fields, counts created ones, and reads them back', async () => {
    expect(await r.call('HSET', 'h', 'a', '1', 'b', '2', 'a', '3')).toBe(2);
    expect(await r.call('HSET', 'h', 'a', '4', 'c', '5')).toBe(1);
    expect(await r.hget('h', 'a')).toBe('4');
    expect(await r.hget('h', 'zz')).toBe(null);
    expect(await r.hget('nohash', 'a')).toBe(null);
    expect(await r.call('HMSET', 'h', 'd', '6')).toBe('OK');
    expect(await r.hmget('h', 'a', 'zz', 'd')).toEqual(['4', null, '6']);
    expect(await r.hmget('nohash', 'a', 'b')).toEqual([null, null]);
    expect(await r.hsetnx('h', 'a', 'x')).toBe(0);
    expect(await r.hsetnx('h', 'e', 'x')).toBe(1);
    expect(await r.hsetnx('newh', 'e', 'x')).toBe(1);
    expect(await r.hget('h', 'a')).toBe('4');
    expect(await r.hget('h', 'e')).toBe('x');
    expect(await r.hget('newh', 'e')).toBe('x');
  });

  it('checks pair arity before the key type, with the command name in the error', async () => {
    await r.set('str', 'x');
    expect(await err(r.call('HSET', 'str', 'f'))).toBe("ERR wrong number of arguments for 'hset' command");
    expect(await err(r.call('HSET', 'h', 'f', 'v', 'g'))).toBe("ERR wrong number of arguments for 'hset' command");
    expect(await err(r.call('HMSET', 'h', 'f', 'v', 'g'))).toBe("ERR wrong number of arguments for 'hmset' command");
    expect(await err(r.call('HSETNX', 'h', 'f'))).toBe("ERR wrong number of arguments for 'hsetnx' command");
    expect(await err(r.call('HSET', 'str', 'f', 'v'))).toBe(WRONGTYPE);
    expect(await err(r.call('HMSET', 'str', 'f', 'v'))).toBe(WRONGTYPE);
    expect(await err(r.call('HSETNX', 'str', 'f', 'v'))).toBe(WRONGTYPE);
    expect(await err(r.call('HGET', 'str', 'f'))).toBe(WRONGTYPE);
    expect(await err(r.call('HMGET', 'str', 'f'))).toBe(WRONGTYPE);
    expect(await r.get('str')).toBe('x');
  });

  it('keeps binary fields and values intact', async () => {
    const f = Buffer.from([0, 255, 13, 10, 128]);
    const v = Buffer.from([1, 2, 0, 200]);
    await r.hset('bin', f, v);
    expect(Buffer.compare((await r.hgetBuffer('bin', f))!, v)).toBe(0);
    expect(await r.hstrlen('bin', f)).toBe(4);
    const keys = await r.hkeysBuffer('bin');
    expect(Buffer.compare(keys[0], f)).toBe(0);
  });
});

describe('HDEL / HLEN / HSTRLEN / HEXISTS / HKEYS / HVALS / HGETALL', () => {
  it('deletes fields and the key with its last field', async () => {
    await r.hset('d', 'a', '1', 'b', '2', 'c', '3');
    expect(await r.hdel('d', 'a', 'a', 'zz')).toBe(1);
    expect(await r.hlen('d')).toBe(2);
    expect(await r.hdel('nokey', 'a')).toBe(0);
    expect(await r.hdel('d', 'b', 'c')).toBe(2);
    expect(await r.exists('d')).toBe(0);
    expect(await r.hlen('d')).toBe(0);
  });

  it('reads lengths, existence and the whole hash in insertion order', async () => {
    await r.hset('q', 'z', 'hello', 'a', '', 'm', '12345');
    expect(await r.hstrlen('q', 'z')).toBe(5);
    expect(await r.hstrlen('q', 'a')).toBe(0);
    expect(await r.hstrlen('q', 'nope')).toBe(0);
    expect(await r.hstrlen('nokey', 'a')).toBe(0);
    expect(await r.hexists('q', 'a')).toBe(1);
    expect(await r.hexists('q', 'nope')).toBe(0);
    expect(await r.hexists('nokey', 'a')).toBe(0);
    expect(await r.hkeys('q')).toEqual(['z', 'a', 'm']);
    expect(await r.hvals('q')).toEqual(['hello', '', '12345']);
    expect(await r.hgetall('q')).toEqual({ z: 'hello', a: '', m: '12345' });
    // An overwritten field keeps its place; a deleted and re-added one goes last (listpack order).
    await r.hset('q', 'z', 'again');
    await r.hdel('q', 'a');
    await r.hset('q', 'a', 'back');
    expect(await r.hkeys('q')).toEqual(['z', 'm', 'a']);
    expect(await r.hkeys('nokey')).toEqual([]);
    expect(await r.hvals('nokey')).toEqual([]);
    expect(await r.hgetall('nokey')).toEqual({});
    await r.set('str', 'x');
    for (const cmd of ['HLEN', 'HKEYS', 'HVALS', 'HGETALL']) expect(await err(r.call(cmd, 'str'))).toBe(WRONGTYPE);
    for (const cmd of ['HSTRLEN', 'HEXISTS', 'HDEL']) expect(await err(r.call(cmd, 'str', 'f'))).toBe(WRONGTYPE);
  });

  it('answers HGETALL as a RESP3 map and an empty one for a missing key', async () => {
    await r.del('m3');
    await r.hset('m3', 'a', '1', 'b', '2');
    const c = await RawConnection.connect(engine.port);
    await rawCall(c, ['HELLO', '3']);
    expect(await rawCall(c, ['HGETALL', 'm3'])).toEqual({ t: '%', items: ['a', '1', 'b', '2'] });
    expect(await rawCall(c, ['HGETALL', 'nokey'])).toEqual({ t: '%', items: [] });
    expect(await rawCall(c, ['HKEYS', 'nokey'])).toEqual({ t: '*', items: [] });
    expect(await rawCall(c, ['HEXISTS', 'm3', 'a'])).toEqual({ t: ':', v: '1' });
    c.close();
  });
});

describe('HINCRBY / HINCRBYFLOAT', () => {
  it('increments integers, creating hash and field', async () => {
    await r.del('n');
    expect(await r.hincrby('n', 'c', 5)).toBe(5);
    expect(await r.hincrby('n', 'c', -7)).toBe(-2);
    expect(await r.hget('n', 'c')).toBe('-2');
    await r.hset('n', 'big', '9223372036854775806', 'small', '-9223372036854775807', 'mid', '9007199254740991');
    // ioredis turns integers into JS numbers; read the exact reply off the wire.
    const c = await RawConnection.connect(engine.port);
    expect(await rawCall(c, ['HINCRBY', 'n', 'big', '1'])).toEqual({ t: ':', v: '9223372036854775807' });
    expect(await rawCall(c, ['HINCRBY', 'n', 'big', '1'])).toEqual({ t: '-', v: 'ERR increment or decrement would overflow' });
    expect(await rawCall(c, ['HINCRBY', 'n', 'small', '-1'])).toEqual({ t: ':', v: '-9223372036854775808' });
    expect(await rawCall(c, ['HINCRBY', 'n', 'small', '-1'])).toEqual({ t: '-', v: 'ERR increment or decrement would overflow' });
    expect(await rawCall(c, ['HINCRBY', 'n', 'mid', '2'])).toEqual({ t: ':', v: '9007199254740993' });
    expect(await rawCall(c, ['HINCRBY', 'n', 'mid', '-9007199254740993'])).toEqual({ t: ':', v: '0' });
    c.close();
    expect(await r.hget('n', 'big')).toBe('9223372036854775807');
    expect(await r.hget('n', 'small')).toBe('-9223372036854775808');
  });

  it('refuses bad increments and non-integer values with Redis errors', async () => {
    await r.hset('n', 's', 'abc', 'sp', ' 1', 'f', '1.5');
    expect(await err(r.call('HINCRBY', 'n', 'c', 'x'))).toBe('ERR value is not an integer or out of range');
    expect(await err(r.call('HINCRBY', 'n', 'c', '1.5'))).toBe('ERR value is not an integer or out of range');
    expect(await err(r.call('HINCRBY', 'n', 'c', '9223372036854775808'))).toBe('ERR value is not an integer or out of range');
    expect(await err(r.call('HINCRBY', 'n', 's', '1'))).toBe('ERR hash value is not an integer');
    expect(await err(r.call('HINCRBY', 'n', 'sp', '1'))).toBe('ERR hash value is not an integer');
    expect(await err(r.call('HINCRBY', 'n', 'f', '1'))).toBe('ERR hash value is not an integer');
    await r.set('str', 'x');
    expect(await err(r.call('HINCRBY', 'str', 'f', '1'))).toBe(WRONGTYPE);
    // The increment is parsed before the key is looked up.
    expect(await err(r.call('HINCRBY', 'str', 'f', 'x'))).toBe('ERR value is not an integer or out of range');
  });

  it('increments floats with long double precision and Redis formatting', async () => {
    await r.del('fl');
    expect(await r.hincrbyfloat('fl', 'x', '10.5')).toBe('10.5');
    expect(await r.hincrbyfloat('fl', 'x', '0.1')).toBe('10.6');
    expect(await r.hincrbyfloat('fl', 'x', '-5.6')).toBe('5');
    expect(await r.hincrbyfloat('fl', 'y', '0.1')).toBe('0.1');
    expect(await r.hincrbyfloat('fl', 'y', '0.2')).toBe('0.3');
    expect(await r.hincrbyfloat('fl', 'z', '5.0e3')).toBe('5000');
    expect(await r.hincrbyfloat('fl', 'z', '0x10')).toBe('5016');
    await r.hset('fl', 'i', '3');
    expect(await r.hincrbyfloat('fl', 'i', '1.25')).toBe('4.25');
  });

  it('refuses NaN, infinities and non-float values', async () => {
    await r.hset('fl', 's', 'abc', 'big', '1e4932');
    expect(await err(r.call('HINCRBYFLOAT', 'fl', 'x', 'abc'))).toBe('ERR value is not a valid float');
    expect(await err(r.call('HINCRBYFLOAT', 'fl', 'x', 'nan'))).toBe('ERR value is not a valid float');
    expect(await err(r.call('HINCRBYFLOAT', 'fl', 'x', ''))).toBe('ERR value is not a valid float');
    expect(await err(r.call('HINCRBYFLOAT', 'fl', 'x', 'inf'))).toBe('ERR value is NaN or Infinity');
    expect(await err(r.call('HINCRBYFLOAT', 'fl', 'x', '-inf'))).toBe('ERR value is NaN or Infinity');
    expect(await err(r.call('HINCRBYFLOAT', 'fl', 's', '1'))).toBe('ERR hash value is not a float');
    expect(await err(r.call('HINCRBYFLOAT', 'fl', 'big', '1e4932'))).toBe('ERR increment would produce NaN or Infinity');
    await r.set('str', 'x');
    expect(await err(r.call('HINCRBYFLOAT', 'str', 'f', '1'))).toBe(WRONGTYPE);
  });
});

describe('HRANDFIELD', () => {
  it('returns random fields, with counts and values', async () => {
    await r.del('rf');
    const fields: Record<string, string> = {};
    for (let i = 0; i < 100; i++) fields['f' + i] = 'v' + i;
    await r.hset('rf', fields);
    const one = (await r.call('HRANDFIELD', 'rf')) as string;
    expect(fields[one]).toBeDefined();
    const ten = (await r.call('HRANDFIELD', 'rf', '10')) as string[];
    expect(new Set(ten).size).toBe(10);
    for (const f of ten) expect(fields[f]).toBeDefined();
    const sixty = (await r.call('HRANDFIELD', 'rf', '60')) as string[];
    expect(new Set(sixty).size).toBe(60);
    const all = (await r.call('HRANDFIELD', 'rf', '1000')) as string[];
    expect(all).toEqual(Object.keys(fields));
    const rep = (await r.call('HRANDFIELD', 'rf', '-300')) as string[];
    expect(rep.length).toBe(300);
    // 300 picks from 100 fields must repeat.
    expect(new Set(rep).size).toBeLessThan(300);
    for (const f of rep) expect(fields[f]).toBeDefined();
    const wv = (await r.call('HRANDFIELD', 'rf', '-5', 'WITHVALUES')) as string[];
    expect(wv.length).toBe(10);
    for (let i = 0; i < 10; i += 2) expect(wv[i + 1]).toBe(fields[wv[i]]);
    expect(await r.call('HRANDFIELD', 'rf', '0')).toEqual([]);
    expect(await r.call('HRANDFIELD', 'nokey')).toBe(null);
    expect(await r.call('HRANDFIELD', 'nokey', '3')).toEqual([]);
  });

  it('covers every field over many single picks on a large hash', async () => {
    await r.del('rfl');
    const n = 300;
    const args: string[] = [];
    for (let i = 0; i < n; i++) args.push('k' + i, String(i));
    await r.hset('rfl', ...args);
    await r.hdel('rfl', 'k0', 'k1');
    const seen = new Set<string>();
    const p = r.pipeline();
    for (let i = 0; i < 6000; i++) p.call('HRANDFIELD', 'rfl');
    for (const [e, v] of (await p.exec())!) {
      expect(e).toBe(null);
      seen.add(v as string);
    }
    expect(seen.has('k0') || seen.has('k1')).toBe(false);
    expect(seen.size).toBe(n - 2);
  });

  it('parses count before the key and options after', async () => {
    await r.set('str', 'x');
    expect(await err(r.call('HRANDFIELD', 'str', 'abc'))).toBe('ERR value is not an integer or out of range');
    expect(await err(r.call('HRANDFIELD', 'nokey', '-9223372036854775808'))).toBe(
      'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    );
    expect(await err(r.call('HRANDFIELD', 'nokey', '1', 'WITHVALUES', 'x'))).toBe('ERR syntax error');
    expect(await err(r.call('HRANDFIELD', 'nokey', '1', 'foo'))).toBe('ERR syntax error');
    expect(await r.call('HRANDFIELD', 'nokey', '4611686018427387903', 'WITHVALUES')).toEqual([]);
    expect(await err(r.call('HRANDFIELD', 'nokey', '4611686018427387904', 'WITHVALUES'))).toBe('ERR value is out of range');
    expect(await err(r.call('HRANDFIELD', 'str', '-4611686018427387904', 'WITHVALUES'))).toBe('ERR value is out of range');
    expect(await err(r.call('HRANDFIELD', 'str', '0'))).toBe(WRONGTYPE);
    expect(await err(r.call('HRANDFIELD', 'str'))).toBe(WRONGTYPE);
  });

  it('answers WITHVALUES in RESP3 as an array of pairs', async () => {
    await r.del('r3');
    await r.hset('r3', 'a', '1', 'b', '2');
    const c = await RawConnection.connect(engine.port);
    await rawCall(c, ['HELLO', '3']);
    const pair = (f: string, v: string) => ({ t: '*', items: [f, v] });
    expect(await rawCall(c, ['HRANDFIELD', 'r3', '5', 'WITHVALUES'])).toEqual({ t: '*', items: [pair('a', '1'), pair('b', '2')] });
    const neg = (await rawCall(c, ['HRANDFIELD', 'r3', '-3', 'WITHVALUES'])) as { items: R[] };
    expect(neg.items.length).toBe(3);
    for (const p of neg.items) expect([pair('a', '1'), pair('b', '2')]).toContainEqual(p);
    expect(await rawCall(c, ['HRANDFIELD', 'nokey'])).toEqual({ t: '_', v: '' });
    c.close();
  });
});

describe('HSCAN', () => {
  it('returns a small hash whole with cursor 0, filtered by MATCH', async () => {
    await r.del('sc');
    await r.hset('sc', 'a1', 'x', 'b1', 'y', 'a2', 'z');
    expect(await r.hscan('sc', '0')).toEqual(['0', ['a1', 'x', 'b1', 'y', 'a2', 'z']]);
    expect(await r.hscan('sc', '12345', 'COUNT', '1')).toEqual(['0', ['a1', 'x', 'b1', 'y', 'a2', 'z']]);
    expect(await r.hscan('sc', '0', 'MATCH', 'a*')).toEqual(['0', ['a1', 'x', 'a2', 'z']]);
    expect(await r.hscan('nokey', '0')).toEqual(['0', []]);
  });

  it('iterates a large hash with cursors, each field once', async () => {
    await r.del('big');
    const args: string[] = [];
    for (let i = 0; i < 500; i++) args.push('f' + i, 'v' + i);
    await r.hset('big', ...args);
    const got = new Map<string, string>();
    let cursor = '0';
    let calls = 0;
    do {
      const [next, items] = (await r.hscan('big', cursor, 'COUNT', '50')) as [string, string[]];
      expect(items.length).toBeLessThanOrEqual(100);
      for (let i = 0; i < items.length; i += 2) {
        expect(got.has(items[i])).toBe(false);
        got.set(items[i], items[i + 1]);
      }
      cursor = next;
      calls++;
    } while (cursor !== '0');
    expect(calls).toBeGreaterThan(5);
    expect(got.size).toBe(500);
    for (const [f, v] of got) expect(v).toBe('v' + f.slice(1));
    // A hash with one long value is a hashtable in Redis even when small: no longer whole.
    await r.del('longv');
    const small: string[] = [];
    for (let i = 0; i < 30; i++) small.push('f' + i, 'v');
    await r.hset('longv', ...small, 'long', 'x'.repeat(65));
    const [c1, first] = (await r.hscan('longv', '0')) as [string, string[]];
    expect(c1).not.toBe('0');
    expect(first.length).toBe(20);
  });

  it('reports cursor, option and type errors in Redis order', async () => {
    await r.set('str', 'x');
    expect(await err(r.call('HSCAN', 'str', 'abc'))).toBe('ERR invalid cursor');
    expect(await err(r.call('HSCAN', 'nokey', ' 1'))).toBe('ERR invalid cursor');
    expect(await err(r.call('HSCAN', 'nokey', '18446744073709551616'))).toBe('ERR invalid cursor');
    expect(await r.call('HSCAN', 'nokey', '0', 'bogus')).toEqual(['0', []]);
    expect(await err(r.call('HSCAN', 'str', '0', 'bogus'))).toBe(WRONGTYPE);
    expect(await err(r.call('HSCAN', 'sc', '0', 'bogus'))).toBe('ERR syntax error');
    expect(await err(r.call('HSCAN', 'sc', '0', 'COUNT', '0'))).toBe('ERR syntax error');
    expect(await err(r.call('HSCAN', 'sc', '0', 'COUNT', 'x'))).toBe('ERR value is not an integer or out of range');
    expect(await err(r.call('HSCAN', 'sc', '0', 'MATCH'))).toBe('ERR syntax error');
    // strtoul cursors: sign and empty string accepted.
    expect(await r.call('HSCAN', 'sc', '+0')).toEqual(['0', ['a1', 'x', 'b1', 'y', 'a2', 'z']]);
    expect(await r.call('HSCAN', 'sc', '')).toEqual(['0', ['a1', 'x', 'b1', 'y', 'a2', 'z']]);
  });
});

describe('hash effects and keyspace signals', () => {
  it('propagates HINCRBYFLOAT as HSET with the computed value, and no-ops not at all', async () => {
    await r.del('e');
    expect(await effectsOf(() => r.hincrbyfloat('e', 'f', '1.10'))).toEqual([['HSET', 'e', 'f', '1.1']]);
    expect(await effectsOf(() => r.hincrbyfloat('e', 'f', '2.5e0'))).toEqual([['HSET', 'e', 'f', '3.6']]);
    expect(await effectsOf(() => r.hset('e', 'g', '1'))).toEqual([['hset', 'e', 'g', '1']]);
    expect(await effectsOf(() => r.hincrby('e', 'g', 2))).toEqual([['hincrby', 'e', 'g', '2']]);
    expect(await effectsOf(() => r.hsetnx('e', 'g', 'x'))).toEqual([]);
    expect(await effectsOf(() => r.hdel('e', 'nope'))).toEqual([]);
    expect(await effectsOf(() => r.hdel('nokey', 'f'))).toEqual([]);
    expect(await effectsOf(() => r.call('HINCRBY', 'e', 'f', '1').catch(() => null))).toEqual([]);
    expect(await effectsOf(() => r.hdel('e', 'f', 'g'))).toEqual([['hdel', 'e', 'f', 'g']]);
    expect(await r.exists('e')).toBe(0);
  });

  it('signals WATCH on in-place changes and only on real changes', async () => {
    await r.del('w');
    await r.hset('w', 'a', '1');
    const db = engine.server.dbs[0];
    const watcher = { dirtyCas: false };
    db.watched.set('w', new Set([watcher]));
    try {
      await r.hget('w', 'a');
      await r.hsetnx('w', 'a', '2');
      await r.hdel('w', 'zz');
      expect(watcher.dirtyCas).toBe(false);
      await r.hset('w', 'a', '2');
      expect(watcher.dirtyCas).toBe(true);
      watcher.dirtyCas = false;
      await r.hincrbyfloat('w', 'a', '1');
      expect(watcher.dirtyCas).toBe(true);
      watcher.dirtyCas = false;
      await r.hdel('w', 'a');
      expect(watcher.dirtyCas).toBe(true);
    } finally {
      db.watched.delete('w');
    }
  });

  it('replays its effects to the same state on another engine', async () => {
    const other = await startEngine();
    try {
      const client = other.server.createClient(null);
      const from = effects.length;
      await r.del('rp');
      await r.hset('rp', 'a', '1', 'b', '0.1');
      await r.hincrbyfloat('rp', 'b', '0.2');
      await r.hincrby('rp', 'a', 41);
      await r.hsetnx('rp', 'c', 'z');
      await r.hdel('rp', 'c');
      for (const e of effects.slice(from)) other.server.applyEffect(client, e.argv);
      expect(await other.client().hgetall('rp')).toEqual(await r.hgetall('rp'));
      expect(await r.hgetall('rp')).toEqual({ a: '42', b: '0.3' });
    } finally {
      await other.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------
// Differential: the same seeded command sequence against the engine and a real redis-server.

const KEYS = ['h1', 'h2', 'h3', 's1', 'str', 'none'];
const FIELDS = ['f1', 'f2', 'f3', 'n', 'x', '', 'f\x00\xff'];
const VALUES = ['1', '-2', 'abc', '1.5', '9223372036854775806', '10.25', '', '3e2', ' 1', '0x10', '-0', 'inf', '007'];
const INCRS = ['1', '-1', '0', '5', 'abc', '1.5', '', '9223372036854775807', '-9223372036854775808', '99999999999999999999', '+1'];
const FLOATS = ['0.1', '-1.5', '1e3', 'abc', 'inf', '-inf', 'nan', '0x1p-2', '', '3', '1.5e-7', '-0', '1e-20', ' 1'];
const COUNTS = ['0', '1', '-1', '2', '-3', '3', '5', '100', 'abc', '1.5', '', '-9223372036854775808', '9223372036854775807', '99999999999999999999'];

describe('differential against redis-server', () => {
  for (const proto of [2, 3]) {
    it(`matches redis-server reply for reply over a seeded hash workload (RESP${proto})`, async () => {
      if (!real) {
        console.log('redis-server not installed: skipping');
        return;
      }
      const rnd = mulberry32(proto === 2 ? 12345 : 777);
      const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
      const eng = await RawConnection.connect(engine.port);
      const red = await RawConnection.connect(real.port);
      const both = async (args: string[]): Promise<[R, R]> => [await rawCall(eng, args), await rawCall(red, args)];
      if (proto === 3) await both(['HELLO', '3']);
      const prefix = `d${proto}:`;
      const key = () => prefix + pick(KEYS);
      await both(['DEL', ...KEYS.map((k) => prefix + k)]);
      await both(['SET', prefix + 'str', 'x']);
      await both(['SADD', prefix + 's1', 'm']);
      const db = engine.server.dbs[0];
      let compared = 0;
      for (let step = 0; step < 600; step++) {
        const k = key();
        const fv = (): string[] => {
          const out: string[] = [];
          const n = 1 + Math.floor(rnd() * 3);
          for (let i = 0; i < n; i++) out.push(pick(FIELDS), pick(VALUES));
          return out;
        };
        const fields = (): string[] => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(FIELDS));
        const cmds: (() => string[])[] = [
          () => ['HSET', k, ...fv()],
          () => ['HMSET', k, ...fv()],
          () => ['HSETNX', k, pick(FIELDS), pick(VALUES)],
          () => ['HGET', k, pick(FIELDS)],
          () => ['HMGET', k, ...fields()],
          () => ['HDEL', k, ...fields()],
          () => ['HLEN', k],
          () => ['HSTRLEN', k, pick(FIELDS)],
          () => ['HEXISTS', k, pick(FIELDS)],
          () => ['HKEYS', k],
          () => ['HVALS', k],
          () => ['HGETALL', k],
          () => ['HINCRBY', k, pick(FIELDS), pick(INCRS)],
          () => ['HINCRBYFLOAT', k, pick(FIELDS), pick(FLOATS)],
          () => ['HRANDFIELD', k],
          () => ['HRANDFIELD', k, pick(COUNTS)],
          () => ['HRANDFIELD', k, pick(COUNTS), pick(['WITHVALUES', 'withvalues', 'x'])],
          () => ['HSCAN', k, pick(['0', '1', 'x', '-1', '']), ...(rnd() < 0.5 ? ['MATCH', pick(['f*', '*', '?', 'n'])] : []), ...(rnd() < 0.5 ? ['COUNT', pick(COUNTS)] : [])],
          () => ['DEL', k],
        ];
        let args = pick(cmds)();
        // Wrong arity now and then.
        if (rnd() < 0.06) args = args.slice(0, Math.floor(rnd() * args.length) + 1);
        const before = db.data.get(k);
        const size = before instanceof Map ? before.size : 0;
        const [a, b] = await both(args);
        const name = args[0];
        const count = args.length > 2 ? Number(args[2]) : NaN;
        const msg = `step ${step}: ${JSON.stringify(args)}`;
        if (name === 'HRANDFIELD' && !(count >= size)) expect(shape(a), msg).toEqual(shape(b));
        else expect(a, msg).toEqual(b);
        compared++;
      }
      for (const k of KEYS) {
        const [a, b] = await both(['HGETALL', prefix + k]);
        expect(a, k).toEqual(b);
      }
      expect(compared).toBe(600);
      eng.close();
      red.close();
    });
  }
});
