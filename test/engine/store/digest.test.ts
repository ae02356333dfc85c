import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { datasetDigest, EMPTY_DIGEST, sha1Into, valueDigest } from '../../../engine/store/digest.js';
import { Deque } from '../../../engine/store/deque.js';
import { SortedSet } from '../../../engine/store/sorted-set.js';
import type { Value } from '../../../engine/store/value.js';
import { startEngine } from '../../helpers/engine.js';
import { haveRedisServer, startRealRedis } from '../../helpers/redis-server.js';
import { rng } from '../../helpers/rng.js';

const db = (data: [string, Value][], expires: [string, number][] = [], id = 0) => ({ id, data: new Map(data), expires: new Map(expires) });

describe('sha1Into', () => {
  it('equals node:crypto SHA1 for strings and bytes of every padding case', () => {
    const r = rng(1);
    const out = new Uint8Array(20);
    for (const len of [...Array.from({ length: 140 }, (_, i) => i), 1000, 4095, 4096, 10_000]) {
      const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256)));
      const want = createHash('sha1').update(bytes).digest('hex');
      sha1Into(bytes, out);
      expect(Buffer.from(out).toString('hex'), `bytes len ${len}`).toBe(want);
      sha1Into(bytes.toString('latin1'), out);
      expect(Buffer.from(out).toString('hex'), `string len ${len}`).toBe(want);
    }
  });
});

describe('datasetDigest', () => {
  it('is 40 zeros for an empty dataset and for a missing value', () => {
    expect(datasetDigest([])).toBe(EMPTY_DIGEST);
    expect(datasetDigest([db([]), db([], [], 3)])).toBe(EMPTY_DIGEST);
    expect(valueDigest(undefined, false)).toBe(EMPTY_DIGEST);
  });

  it('ignores the order of sets, hashes, zset insertion and keys, but not of lists', () => {
    const a = db([
      ['h', new Map([['f1', 'v1'], ['f2', 'v2']])],
      ['s', new Set(['x', 'y', 'z'])],
      ['k', 'v'],
    ]);
    const b = db([
      ['k', 'v'],
      ['s', new Set(['z', 'x', 'y'])],
      ['h', new Map([['f2', 'v2'], ['f1', 'v1']])],
    ]);
    expect(datasetDigest([a])).toBe(datasetDigest([b]));
    const z1 = new SortedSet();
    z1.set('a', 1);
    z1.set('b', 2);
    const z2 = new SortedSet();
    z2.set('b', 2);
    z2.set('a', 1);
    expect(valueDigest(z1, false)).toBe(valueDigest(z2, false));
    expect(valueDigest(new Deque(['a', 'b']), false)).not.toBe(valueDigest(new Deque(['b', 'a']), false));
  });

  it('changes with any difference: value, type, ttl, db number, a swapped hash field', () => {
    const base = datasetDigest([db([['k', 'v']])]);
    expect(datasetDigest([db([['k', 'w']])])).not.toBe(base);
    expect(datasetDigest([db([['k', new Deque(['v'])]])])).not.toBe(base);
    expect(datasetDigest([db([['k', 'v']], [['k', 123]])])).not.toBe(base);
    expect(datasetDigest([db([['k', 'v']], [], 1)])).not.toBe(base);
    // Only whether there is a TTL counts, not its value (Redis's rule).
    expect(datasetDigest([db([['k', 'v']], [['k', 1]])])).toBe(datasetDigest([db([['k', 'v']], [['k', 2]])]));
    const h1 = valueDigest(new Map([['a', 'b'], ['c', 'd']]), false);
    expect(valueDigest(new Map([['a', 'd'], ['c', 'b']]), false)).not.toBe(h1);
  });
});

// ---- against redis-server ---------------------------------------------------------------

const haveRedis = haveRedisServer();
if (!haveRedis) console.log('skipping DEBUG DIGEST comparison with redis-server: it is not installed');

type Cmd = (string | Buffer | number)[];

function bin(r: () => number, max: number): Buffer {
  return Buffer.from(Array.from({ length: 1 + Math.floor(r() * max) }, () => Math.floor(r() * 256)));
}

/** The same writes for both servers: every type, small and large encodings, binary, TTLs, dbs. */
function workload(seed: number): Cmd[] {
  const r = rng(seed);
  const far = Date.now() + 86_400_000;
  const cmds: Cmd[] = [];
  for (const dbi of [0, 1, 15]) {
    cmds.push(['SELECT', dbi]);
    cmds.push(['SET', 'int', '12345'], ['SET', 'neg', '-9223372036854775808'], ['SET', bin(r, 20), bin(r, 100)], ['SET', 'big', 'x'.repeat(5000)]);
    cmds.push(['SET', 'ttl', 'v', 'PXAT', far + 1]);
    cmds.push(['RPUSH', 'list', 'a', '1', bin(r, 10), '-5', 'z'.repeat(100)]);
    cmds.push(['RPUSH', 'biglist', ...Array.from({ length: 600 }, (_, i) => (i % 2 ? String(i) : bin(r, 30)))]);
    cmds.push(['SADD', 'intset', '1', '-2', '300', '70000', '9007199254740993']);
    cmds.push(['SADD', 'set', ...Array.from({ length: 200 }, () => bin(r, 12))]);
    cmds.push(['HSET', 'hash', 'f', 'v', 'n', '42', bin(r, 8), bin(r, 8)]);
    cmds.push(['HSET', 'bighash', ...Array.from({ length: 400 }, (_, i) => (i % 2 ? bin(r, 40) : `f${i}`))]);
    cmds.push(['ZADD', 'zset', '1', 'a', '2.5', 'b', '0.1', 'c', '-inf', 'd', '1e300', 'e', '0.3333333333333333', 'f', '-0', 'g']);
    const big: (string | Buffer)[] = [];
    for (let i = 0; i < 300; i++) big.push(String((r() - 0.5) * 10 ** Math.floor(r() * 30)), bin(r, 20));
    cmds.push(['ZADD', 'bigzset', ...big]);
    cmds.push(['ZADD', 'bigzset', '-0', 'negzero', '5e-324', 'tiny', '+inf', 'top']);
    cmds.push(['HSET', 'ttlhash', 'a', 'b'], ['PEXPIREAT', 'ttlhash', far]);
    cmds.push(['ZINCRBY', 'zset', '0.2', 'c'], ['LPOP', 'biglist'], ['SREM', 'intset', '300'], ['HDEL', 'bighash', 'f0']);
  }
  cmds.push(['SELECT', 0]);
  return cmds;
}

async function run(c: Redis, cmds: Cmd[]): Promise<void> {
  for (const [name, ...args] of cmds) await c.call(String(name), ...args.map((a) => (typeof a === 'number' ? String(a) : a)));
}

describe.skipIf(!haveRedis)('DEBUG DIGEST matches redis-server 7.0', () => {
  it('on the same data: every type, encodings, binary keys, TTLs, several dbs', async () => {
    const engine = await startEngine();
    const real = await startRealRedis(['--enable-debug-command', 'yes']);
    try {
      const e = engine.client();
      const rr = real.client();
      for (const c of [e, rr]) expect(await c.call('DEBUG', 'DIGEST')).toBe(EMPTY_DIGEST);
      const cmds = workload(42);
      await run(e, cmds);
      await run(rr, cmds);
      const keys = ['int', 'neg', 'big', 'ttl', 'list', 'biglist', 'intset', 'set', 'hash', 'bighash', 'zset', 'bigzset', 'ttlhash', 'missing'];
      const mine = await e.call('DEBUG', 'DIGEST-VALUE', ...keys);
      const theirs = await rr.call('DEBUG', 'DIGEST-VALUE', ...keys);
      expect(mine).toEqual(theirs);
      expect((mine as string[])[keys.indexOf('missing')]).toBe(EMPTY_DIGEST);
      expect(await e.call('DEBUG', 'DIGEST')).toBe(await rr.call('DEBUG', 'DIGEST'));

      // One change on one side shows; the same change on the other side heals it.
      await e.call('HSET', 'bighash', 'f2', 'changed');
      expect(await e.call('DEBUG', 'DIGEST')).not.toBe(await rr.call('DEBUG', 'DIGEST'));
      await rr.call('HSET', 'bighash', 'f2', 'changed');
      expect(await e.call('DEBUG', 'DIGEST')).toBe(await rr.call('DEBUG', 'DIGEST'));
      await e.call('PERSIST', 'ttl');
      expect(await e.call('DEBUG', 'DIGEST')).not.toBe(await rr.call('DEBUG', 'DIGEST'));
      await rr.call('PERSIST', 'ttl');
      expect(await e.call('DEBUG', 'DIGEST')).toBe(await rr.call('DEBUG', 'DIGEST'));

      for (const c of [e, rr]) await c.flushall();
      for (const c of [e, rr]) expect(await c.call('DEBUG', 'DIGEST')).toBe(EMPTY_DIGEST);
    } finally {
      await real.stop();
      await engine.stop();
    }
  });
});
