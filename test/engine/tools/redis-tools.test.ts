import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { haveRedisServer, startRealRedis, type RealRedis } from '../../helpers/redis-server.js';
import { cli, haveTool, runTool } from './tools.js';

/**
 * Debian's redis-tools against the engine: redis-cli (commands, binary values through -x,
 * INFO, --scan, --pipe mass insertion, -a with requirepass, RESP3 output identical to what
 * it prints against a real redis-server) and redis-benchmark (every test it runs answers).
 * The engine runs in this process, so the tools are spawned asynchronously.
 */

const haveCli = haveTool('redis-cli');
const haveBench = haveTool('redis-benchmark');
if (!haveCli) console.log('skipping redis-cli tests: redis-cli (redis-tools) is not installed');
if (!haveBench) console.log('skipping redis-benchmark tests: redis-benchmark (redis-tools) is not installed');

let engine: TestEngine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => engine?.stop());

describe.skipIf(!haveCli)('redis-cli against the engine', () => {
  it('PING, SET and GET', async () => {
    expect((await cli(engine.port, ['PING'])).out).toBe('PONG\n');
    expect((await cli(engine.port, ['SET', 'cli:k', 'hello world'])).out).toBe('OK\n');
    expect((await cli(engine.port, ['GET', 'cli:k'])).out).toBe('hello world\n');
    expect((await cli(engine.port, ['--no-raw', 'GET', 'cli:nokey'])).out).toBe('(nil)\n');
    expect((await cli(engine.port, ['--no-raw', 'INCR', 'cli:k'])).out).toBe('(error) ERR value is not an integer or out of range\n');
  });

  it('sends binary values with -x and reads them back byte for byte', async () => {
    const bytes = Buffer.from([0x61, 0x00, 0x62, 0xff, 0x0d, 0x0a, 0x80, 0x7f, 0x22, 0x5c]);
    expect((await cli(engine.port, ['-x', 'SET', 'cli:bin'], bytes)).out).toBe('OK\n');
    expect((await cli(engine.port, ['STRLEN', 'cli:bin'])).out).toBe(`${bytes.length}\n`);
    // Raw output: the bytes and a newline.
    expect((await cli(engine.port, ['--raw', 'GET', 'cli:bin'])).raw).toEqual(Buffer.concat([bytes, Buffer.from('\n')]));
    // Formatted output escapes them as redis-cli does.
    expect((await cli(engine.port, ['--no-raw', 'GET', 'cli:bin'])).out).toBe('"a\\x00b\\xff\\r\\n\\x80\\x7f\\"\\\\"\n');
    // A whole file through -x, as the last argument of a command.
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131) & 0xff;
    expect((await cli(engine.port, ['-x', 'HSET', 'cli:h', 'blob'], big)).out).toBe('1\n');
    expect((await cli(engine.port, ['--raw', 'HGET', 'cli:h', 'blob'])).raw).toEqual(Buffer.concat([big, Buffer.from('\n')]));
  });

  it('prints INFO sections', async () => {
    await cli(engine.port, ['SET', 'cli:info', '1']);
    const all = (await cli(engine.port, ['INFO'])).out;
    for (const section of ['# Server', '# Clients', '# Memory', '# Stats', '# Replication', '# Keyspace']) expect(all).toContain(section);
    expect(all).toMatch(/^redis_version:7\.\d+\.\d+/m);
    const ks = (await cli(engine.port, ['INFO', 'keyspace'])).out;
    expect(ks).toMatch(/^db0:keys=\d+,expires=\d+,avg_ttl=\d+/m);
    expect((await cli(engine.port, ['INFO', 'server'])).out).not.toContain('# Keyspace');
  });

  it('lists keys with --scan and --pattern', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 250; i++) keys.push(`scan:${i}`);
    const args = ['MSET'];
    for (const k of keys) args.push(k, 'v');
    await cli(engine.port, args);
    await cli(engine.port, ['SET', 'other:1', 'v']);
    const r = await cli(engine.port, ['--scan', '--pattern', 'scan:*']);
    expect(r.code).toBe(0);
    const got = r.out.split('\n').filter(Boolean);
    // SCAN may repeat a key; every key is there and nothing else.
    expect([...new Set(got)].sort()).toEqual(keys.sort());
    expect((await cli(engine.port, ['--scan', '--pattern', 'other:*'])).out).toBe('other:1\n');
  });

  it('mass-inserts with --pipe', async () => {
    const n = 20_000;
    let proto = '';
    for (let i = 0; i < n; i++) {
      const k = `pipe:${i}`;
      const v = `value-${i}\x00\xff`;
      proto += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
    }
    // One error in the stream is counted, not fatal.
    proto += '*2\r\n$4\r\nINCR\r\n$6\r\npipe:1\r\n';
    const r = await cli(engine.port, ['--pipe'], Buffer.from(proto, 'latin1'));
    expect(r.out).toContain(`errors: 1, replies: ${n + 1}`);
    expect((await cli(engine.port, ['--raw', 'GET', `pipe:${n - 1}`])).raw).toEqual(Buffer.from(`value-${n - 1}\x00\xff\n`, 'latin1'));
    expect((await cli(engine.port, ['EVAL_RO_NONE'])).out).toContain('unknown command');
  });

  it('authenticates with --no-auth-warning -a against requirepass', async () => {
    const secured = await startEngine({ requirepass: 'pa ss' });
    try {
      const denied = await cli(secured.port, ['--no-raw', 'GET', 'x']);
      expect(denied.out).toBe('(error) NOAUTH Authentication required.\n');
      const ok = await cli(secured.port, ['--no-auth-warning', '-a', 'pa ss', 'PING']);
      expect(ok.out).toBe('PONG\n');
      expect(ok.err).toBe('');
      const wrong = await cli(secured.port, ['--no-auth-warning', '-a', 'nope', 'PING']);
      expect(wrong.out + wrong.err).toContain('WRONGPASS invalid username-password pair or user is disabled.');
      // -a also works with --pipe and --scan (they authenticate first).
      const sc = await cli(secured.port, ['--no-auth-warning', '-a', 'pa ss', '--scan']);
      expect(sc.code).toBe(0);
    } finally {
      await secured.stop();
    }
  });
});

describe.skipIf(!haveCli || !haveRedisServer())('redis-cli -3 prints the same for the engine as for redis-server', () => {
  let redis: RealRedis;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-tools-'));
    redis = await startRealRedis(['--dir', dir]);
  });
  afterAll(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const commands: string[][] = [
    ['FLUSHALL'],
    ['HSET', 'r3:h', 'a', '1', 'b', '2'],
    ['HGETALL', 'r3:h'],
    ['ZADD', 'r3:z', '1.5', 'a', '2', 'b', '-inf', 'c'],
    ['ZRANGE', 'r3:z', '0', '-1', 'WITHSCORES'],
    ['ZSCORE', 'r3:z', 'a'],
    ['ZPOPMIN', 'r3:z'],
    ['ZINCRBY', 'r3:z', '0.1', 'a'],
    ['SADD', 'r3:s', '3', '1', '2'],
    ['SMEMBERS', 'r3:s'],
    ['SISMEMBER', 'r3:s', '1'],
    ['SMISMEMBER', 'r3:s', '1', '9'],
    ['GET', 'r3:nokey'],
    ['LPUSH', 'r3:h', 'x'],
    ['RPUSH', 'r3:l', 'a', 'b', 'caf\xe9 "q"\\'],
    ['LRANGE', 'r3:l', '0', '-1'],
    ['LPOP', 'r3:nokey', '2'],
    ['BLPOP', 'r3:nokey', '0.01'],
    ['HRANDFIELD', 'r3:nokey', '2', 'WITHVALUES'],
    ['EXISTS', 'r3:h', 'r3:nokey'],
    ['INCRBYFLOAT', 'r3:f', '1.25'],
    ['PING'],
    ['ECHO', 'multi\nline'],
    ['TYPE', 'r3:z'],
    ['MGET', 'r3:f', 'r3:nokey'],
    ['CONFIG', 'GET', 'maxmemory-policy'],
    ['FOO'],
  ];

  for (const raw of [false, true]) {
    it(`${raw ? 'raw' : 'formatted'} output`, async () => {
      for (const c of commands) {
        const args = ['-3', raw ? '--raw' : '--no-raw', ...c];
        const [e, r] = await Promise.all([cli(engine.port, args), cli(redis.port, args)]);
        expect(e.out, `redis-cli ${args.join(' ')}`).toBe(r.out);
      }
    });
  }
});

describe.skipIf(!haveBench)('redis-benchmark against the engine', () => {
  const tests = ['set', 'get', 'incr', 'lpush', 'rpush', 'lpop', 'rpop', 'sadd', 'hset', 'spop', 'zadd', 'zpopmin', 'lrange_100', 'mset'];

  it('runs every test without errors and reports a positive rate', { timeout: 180_000 }, async () => {
    const r = await runTool('redis-benchmark', ['-h', '127.0.0.1', '-p', String(engine.port), '-t', tests.join(','), '-n', '2000', '-q'], undefined, 170_000);
    const text = r.stdout.toString('latin1');
    expect(r.code, r.stderr + text).toBe(0);
    expect(r.stderr).toBe('');
    // -q lines: "SET: 12345.68 requests per second, p50=0.199 msec"; progress uses \r.
    const lines = text.split(/[\r\n]+/).filter((l) => /requests per second/.test(l));
    const seen = new Map<string, number>();
    for (const l of lines) {
      const m = /^([A-Z_0-9 ()a-z]+?): ([\d.]+) requests per second/.exec(l.trim());
      if (m) seen.set(m[1], Number(m[2]));
    }
    const expected = ['SET', 'GET', 'INCR', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN', 'LRANGE_100 (first 100 elements)', 'MSET (10 keys)'];
    for (const name of expected) {
      expect(seen.get(name), `${name} in:\n${text}`).toBeGreaterThan(0);
    }
    expect(text).not.toMatch(/error/i);
  });

  it('runs pipelined (-P 16) with random keys (-r)', { timeout: 120_000 }, async () => {
    const r = await runTool('redis-benchmark', ['-h', '127.0.0.1', '-p', String(engine.port), '-t', 'set,get,zadd', '-n', '5000', '-P', '16', '-r', '1000', '-q'], undefined, 110_000);
    const text = r.stdout.toString('latin1');
    expect(r.code, r.stderr + text).toBe(0);
    for (const name of ['SET', 'GET', 'ZADD']) expect(text).toMatch(new RegExp(`${name}: [1-9][\\d.]* requests per second`));
    // The keys it wrote are there: key:__rand_int__ became key:000000000NNN.
    expect(Number((await cli(engine.port, ['DBSIZE'])).out)).toBeGreaterThan(100);
  });
});
