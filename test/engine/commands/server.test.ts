import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import net from 'node:net';
import type { Redis } from 'ioredis';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { family } from '../../helpers/family.js';
import type { RealRedis } from '../../helpers/redis-server.js';
import type { ShutdownOptions } from '../../../engine/server/server.js';
import { runBoth, Session } from './resp-session.js';

const fx = family({ real: 'server' });
const { effects } = fx;
let engine: TestEngine, r: Redis, real: RealRedis | null;
beforeAll(() => {
  ({ engine, r, real } = fx);
});

/** INFO text -> section name -> field names (in order). */
function infoFields(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur = '';
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) out.set((cur = line.slice(2)), []);
    else if (line) out.get(cur)!.push(line.slice(0, line.indexOf(':')));
  }
  return out;
}

function infoValue(text: string, field: string): string {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(text.replace(/\r/g, ''));
  if (!m) throw new Error(`no ${field} in INFO`);
  return m[1];
}

function cli(port: number, args: string[], input?: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile('redis-cli', ['-p', String(port), ...args], { encoding: 'latin1', timeout: 10_000 }, (err, stdout) =>
      resolve({ code: err ? 1 : 0, stdout }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function haveCli(): Promise<boolean> {
  const v = await cli(0, ['--version']);
  if (v.code !== 0) console.log('redis-cli not installed: skipped');
  return v.code === 0;
}

describe('INFO', () => {
  it('has every section and field redis-server 7.0 reports, in the same order', async () => {
    const mine = infoFields((await r.info('everything')) as string);
    expect([...mine.keys()]).toEqual([
      'Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Commandstats', 'Errorstats', 'Latencystats', 'Cluster', 'Keyspace',
    ]);
    const def = infoFields((await r.info()) as string);
    expect([...def.keys()]).toEqual(['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Errorstats', 'Cluster', 'Keyspace']);
    if (real) {
      const theirs = infoFields((await real.client().info()) as string);
      expect([...def.keys()]).toEqual([...theirs.keys()]);
      for (const [section, fields] of theirs) {
        if (section === 'Keyspace' || section === 'Errorstats') continue;
        expect(def.get(section)!.filter((f) => fields.includes(f)), section).toEqual(fields);
      }
    }
  });

  it('answers sections in Redis order whatever the argument order, and nothing for unknown names', async () => {
    const text = (await r.call('INFO', 'CPU', 'server')) as string;
    expect([...infoFields(text).keys()]).toEqual(['Server', 'CPU']);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain('\r\n\r\n# CPU\r\n');
    expect(await r.call('INFO', 'nosuchsection')).toBe('');
    expect(infoValue((await r.info('persistence')) as string, 'loading')).toBe('0');
    const s = await Session.open(engine.port);
    await s.call('HELLO', '3');
    expect(await s.call('INFO', 'cluster')).toBe('=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n');
    s.close();
    if (real) {
      const [mine, theirs] = await runBoth([engine.port, real.port], [['INFO', 'cluster'], ['INFO', 'nosuch'], ['INFO', 'modules']]);
      expect(mine).toEqual(theirs);
    }
  });

  it('reports keys, expires and the average TTL per database', async () => {
    await r.flushall();
    await r.set('ks:a', '1');
    await r.set('ks:b', '1', 'EX', 100);
    await r.set('ks:c', '1', 'PX', 50_000);
    await r.select(5);
    await r.set('ks:d', '1');
    await r.select(0);
    const text = (await r.info('keyspace')) as string;
    const m = /db0:keys=3,expires=2,avg_ttl=(\d+)/.exec(text);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(73_000);
    expect(Number(m![1])).toBeLessThanOrEqual(75_000);
    expect(text).toContain('db5:keys=1,expires=0,avg_ttl=0');
    await r.flushall();
  });

  it('reports used_memory that grows with the data set', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = Number(infoValue((await r.info('memory')) as string, 'used_memory'));
    const value = 'x'.repeat(200);
    const p = r.pipeline();
    for (let i = 0; i < 20_000; i++) p.set(`mem:${i}`, value + i);
    await p.exec();
    const text = (await r.info('memory')) as string;
    const after = Number(infoValue(text, 'used_memory'));
    expect(after - before).toBeGreaterThan(20_000 * 200);
    expect(infoValue(text, 'used_memory_human')).toMatch(/^\d+\.\d\dM$/);
    expect(Number(infoValue(text, 'used_memory_peak'))).toBeGreaterThanOrEqual(after);
    await r.flushall();
  });

  it('counts commands, connections and pub/sub channels in stats; RESETSTAT clears them', async () => {
    const sub = engine.client();
    await sub.subscribe('stats:ch');
    const text = (await r.info('stats')) as string;
    expect(Number(infoValue(text, 'total_commands_processed'))).toBeGreaterThan(10);
    expect(Number(infoValue(text, 'total_connections_received'))).toBeGreaterThanOrEqual(2);
    expect(Number(infoValue(text, 'pubsub_channels'))).toBeGreaterThanOrEqual(1);
    expect(await r.config('RESETSTAT')).toBe('OK');
    const after = (await r.info('stats')) as string;
    expect(Number(infoValue(after, 'total_commands_processed'))).toBeLessThanOrEqual(2);
    await sub.quit();
  });

  it('uses replication and log sections registered in server.infoProviders', async () => {
    engine.server.infoProviders.set('replication', () => ['role:master', 'connected_slaves:2']);
    engine.server.infoProviders.set('durability', () => ['log_committed_index:42']);
    try {
      expect(infoValue((await r.info('replication')) as string, 'connected_slaves')).toBe('2');
      expect((await r.info('durability')) as string).toBe('# Durability\r\nlog_committed_index:42\r\n');
      expect([...infoFields((await r.info('all')) as string).keys()].pop()).toBe('Durability');
    } finally {
      engine.server.infoProviders.delete('replication');
      engine.server.infoProviders.delete('durability');
    }
  });
});

describe('CONFIG', () => {
  it('round-trips CONFIG SET and CONFIG GET, with units, aliases and several parameters', async () => {
    expect(await r.config('SET', 'hz', '20', 'maxmemory', '1gb', 'slave-read-only', 'no')).toBe('OK');
    expect(await r.config('GET', 'hz')).toEqual(['hz', '20']);
    expect(await r.config('GET', 'maxmemory')).toEqual(['maxmemory', '1073741824']);
    expect(await r.config('GET', 'replica-read-only')).toEqual(['replica-read-only', 'no']);
    expect(engine.server.config.bool('replica-read-only')).toBe(false);
    const many = (await r.config('GET', 'max*')) as string[];
    expect(many).toContain('maxclients');
    expect(many).toContain('maxmemory-policy');
    await r.config('SET', 'hz', '10', 'maxmemory', '0', 'replica-read-only', 'yes');
    expect(await r.config('SET', 'loglevel', 'warning')).toBe('OK');
    expect(engine.server.log.level).toBe('warning');
    await r.config('SET', 'loglevel', 'notice');
    expect(await r.config('GET', 'dir')).toEqual(['dir', process.cwd()]);
  });

  it('errors exactly like redis-server', async () => {
    const cmds = [
      ['CONFIG', 'GET'],
      ['CONFIG', 'SET', 'foo', 'bar'],
      ['CONFIG', 'SET', 'hz', 'abc'],
      ['CONFIG', 'SET', 'hz', '1000'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '0'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '10', 'hz', '11'],
      ['CONFIG', 'SET', 'hz', '10', 'maxmemory'],
      ['CONFIG', 'SET', 'hz', '12', 'databases', '3'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '10'],
      ['CONFIG', 'SET', 'databases', '10'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'foo'],
      ['CONFIG', 'SET', 'replica-read-only', 'maybe'],
      ['CONFIG', 'SET', 'maxmemory', '1x'],
      ['CONFIG', 'SET', 'maxmemory', '-5'],
      ['CONFIG', 'SET', 'loglevel', 'nothing'],
      ['CONFIG', 'SET', 'timeout', '-1'],
      ['CONFIG', 'SET', 'timeout', '1.5'],
      ['CONFIG', 'SET', 'maxclients', '0'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '10'],
      ['CONFIG', 'SET', 'save', '100 x'],
      ['CONFIG', 'SET', 'save', '100 10'],
      ['CONFIG', 'GET', 'save'],
      ['CONFIG', 'SET', 'save', ''],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'Z!'],
      ['CONFIG', 'SET', 'notify-keyspace-events', ''],
      ['CONFIG', 'SET', 'dir', '/nonexistent'],
      ['CONFIG', 'SET', 'dbfilename', 'x.rdb'],
      ['CONFIG', 'SET', 'HZ', '10'],
      ['CONFIG', 'GET', 'HZ'],
      ['CONFIG', 'GET', 'HZ', 'hz'],
      ['CONFIG', 'GET', 'nosuch'],
      ['CONFIG', 'REWRITE'],
      ['CONFIG', 'RESETSTAT', 'x'],
      ['CONFIG', 'HELP'],
      ['CONFIG', 'FOO'],
      ['CONFIG'],
    ];
    const [mine, theirs] = await runBoth([engine.port, real?.port ?? engine.port], cmds);
    expect(mine).toEqual(theirs);
    expect(mine[1]).toBe("-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n");
    expect(mine[9]).toBe("-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n");
    // hz 0 was clamped to 1, and the refused multi-parameter SETs changed nothing.
    expect(mine[10]).toBe('*2\r\n$2\r\nhz\r\n$1\r\n1\r\n');
  });

  it('answers CONFIG GET as a map in RESP3', async () => {
    const [mine, theirs] = await runBoth([engine.port, real?.port ?? engine.port], [['HELLO', '3'], ['CONFIG', 'GET', 'maxmemory-policy']]);
    expect(mine[1]).toBe('%1\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n');
    expect(mine[1]).toBe(theirs[1]);
  });
});

describe('DBSIZE, FLUSHDB, FLUSHALL, SWAPDB', () => {
  it('flush the current or every database and always propagate the flush', async () => {
    await r.flushall();
    await r.mset('f:a', '1', 'f:b', '2');
    await r.select(1);
    await r.set('f:c', '3');
    expect(await r.dbsize()).toBe(1);
    effects.length = 0;
    expect(await r.flushdb()).toBe('OK');
    expect(await r.dbsize()).toBe(0);
    expect(await r.flushdb('ASYNC')).toBe('OK');
    expect(effects).toEqual([
      { db: 1, argv: ['flushdb'] },
      { db: 1, argv: ['flushdb', 'ASYNC'] },
    ]);
    await r.select(0);
    expect(await r.dbsize()).toBe(2);
    effects.length = 0;
    expect(await r.call('FLUSHALL', 'SYNC')).toBe('OK');
    expect(await r.dbsize()).toBe(0);
    expect(effects).toEqual([{ db: 0, argv: ['FLUSHALL', 'SYNC'] }]);
  });

  it('SWAPDB swaps contents; clients keep their index', async () => {
    const other = engine.client();
    await other.select(1);
    await r.set('sw:zero', 'from-db0');
    await other.set('sw:one', 'from-db1');
    effects.length = 0;
    expect(await r.swapdb(0, 1)).toBe('OK');
    expect(await r.get('sw:one')).toBe('from-db1');
    expect(await r.get('sw:zero')).toBe(null);
    expect(await other.get('sw:zero')).toBe('from-db0');
    expect(effects).toEqual([{ db: 0, argv: ['swapdb', '0', '1'] }]);
    await r.flushall();
  });

  it('match redis-server errors', async () => {
    const cmds = [
      ['SWAPDB', '0'],
      ['SWAPDB', 'a', 'b'],
      ['SWAPDB', '0', 'b'],
      ['SWAPDB', '0', '16'],
      ['SWAPDB', '0', '-1'],
      ['SWAPDB', '0', '0'],
      ['SWAPDB', '99999999999', '0'],
      ['FLUSHDB', 'foo'],
      ['FLUSHDB', 'sync', 'async'],
      ['FLUSHALL', 'foo'],
      ['DBSIZE', 'x'],
      ['TIME', 'x'],
      ['MONITOR', 'x'],
      ['SHUTDOWN', 'ABORT'],
      ['SHUTDOWN', 'FOO'],
      ['SHUTDOWN', 'SAVE', 'NOSAVE'],
      ['SHUTDOWN', 'ABORT', 'NOW'],
      ['MULTI'],
      ['SHUTDOWN'],
      ['EXEC'],
      ['DBSIZE'],
    ];
    const [mine, theirs] = await runBoth([engine.port, real?.port ?? engine.port], cmds);
    expect(mine).toEqual(theirs);
    expect(mine[1]).toBe('-ERR invalid first DB index\r\n');
    expect(mine[13]).toBe('-ERR No shutdown in progress.\r\n');
  });
});

describe('TIME', () => {
  it('returns seconds and microseconds of the wall clock', async () => {
    const before = Date.now();
    const [sec, usec] = (await r.time()) as [string, string];
    const after = Date.now();
    expect(sec).toMatch(/^\d+$/);
    expect(usec).toMatch(/^\d+$/);
    expect(Number(usec)).toBeLessThan(1_000_000);
    const ms = Number(sec) * 1000 + Number(usec) / 1000;
    expect(ms).toBeGreaterThanOrEqual(before - 5);
    expect(ms).toBeLessThanOrEqual(after + 5);
    const t1 = (await r.time()) as [string, string];
    const t2 = (await r.time()) as [string, string];
    expect(Number(t2[0]) * 1e6 + Number(t2[1])).toBeGreaterThan(Number(t1[0]) * 1e6 + Number(t1[1]));
  });
});

describe('MONITOR', () => {
  it('streams executed commands in Redis format, redacting AUTH and hiding admin commands', async () => {
    const m = await Session.open(engine.port);
    expect(await m.call('MONITOR')).toBe('+OK\r\n');
    expect(await m.silent(20)).toBe(true);
    const c = await Session.open(engine.port);
    await c.call('SET', 'mon:k', 'v "q"\n\x01');
    await c.call('SELECT', '3');
    await c.call('CONFIG', 'GET', 'hz');
    await c.call('AUTH', 'default', 'secret');
    await c.call('MULTI');
    await c.call('INCR', 'mon:n');
    await c.call('EXEC');
    const addr = `127.0.0.1:${(c.conn as unknown as { socket: net.Socket }).socket.localPort}`;
    const lines: string[] = [];
    for (let i = 0; i < 6; i++) lines.push(await m.next());
    const strip = (l: string) => l.replace(/^\+\d+\.\d{6} /, '');
    expect(lines.map(strip)).toEqual([
      `[0 ${addr}] "SET" "mon:k" "v \\"q\\"\\n\\x01"\r\n`,
      `[3 ${addr}] "SELECT" "3"\r\n`,
      `[3 ${addr}] "AUTH" "default" "(redacted)"\r\n`,
      `[3 ${addr}] "MULTI"\r\n`,
      `[3 ${addr}] "INCR" "mon:n"\r\n`,
      `[3 ${addr}] "EXEC"\r\n`,
    ]);
    expect(lines[0]).toMatch(/^\+\d{10}\.\d{6} \[/);
    expect(await m.call('GET', 'x')).toBe("-ERR Replica can't interact with the keyspace\r\n");
    expect(await m.call('RESET')).toBe('+RESET\r\n');
    expect(engine.server.monitors.size).toBe(0);
    m.close();
    c.close();
  });
});

describe('SHUTDOWN', () => {
  it('closes the server without a reply and calls onShutdown', async () => {
    const e = await startEngine({ save: '3600 1' });
    const calls: ShutdownOptions[] = [];
    e.server.onShutdown = (o) => calls.push(o);
    const s = await Session.open(e.port);
    s.send(['SHUTDOWN', 'NOW']);
    s.send(['PING']);
    await s.conn.waitClosed();
    expect(s.conn.pending).toBe('');
    await new Promise((f) => setTimeout(f, 50));
    expect(calls).toEqual([{ save: true, now: true, force: false }]);
    await expect(Session.open(e.port)).rejects.toThrow();
    await e.stop();

    const e2 = await startEngine();
    const calls2: ShutdownOptions[] = [];
    e2.server.onShutdown = (o) => calls2.push(o);
    const s2 = await Session.open(e2.port);
    s2.send(['SHUTDOWN', 'SAVE']);
    await s2.conn.waitClosed();
    await new Promise((f) => setTimeout(f, 50));
    expect(calls2).toEqual([{ save: true, now: false, force: false }]);
    await e2.stop();
  });
});

describe('redis-cli', () => {
  it('runs PING, SET/GET and INFO against the engine', async () => {
    if (!(await haveCli())) return;
    expect((await cli(engine.port, ['PING'])).stdout).toBe('PONG\n');
    expect((await cli(engine.port, ['SET', 'cli:k', 'hello world'])).stdout).toBe('OK\n');
    expect((await cli(engine.port, ['GET', 'cli:k'])).stdout).toBe('hello world\n');
    const info = (await cli(engine.port, ['INFO', 'server'])).stdout;
    expect(info).toMatch(/^# Server\r?\nredis_version:7\.0\.15\r?\n/);
    expect((await cli(engine.port, ['--no-raw', 'CONFIG', 'GET', 'maxclients'])).stdout).toBe('1) "maxclients"\n2) "10000"\n');
  });
});
