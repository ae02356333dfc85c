import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { family } from '../../helpers/family.js';
import { startRealRedis, type RealRedis } from '../../helpers/redis-server.js';
import { runBoth, Session } from './resp-session.js';

const fx = family({ client: false, real: 'connection' });
let engine: TestEngine;
let secured: TestEngine;
let real: RealRedis | null = null;
let realSecured: RealRedis | null = null;

beforeAll(async () => {
  ({ engine, real } = fx);
  secured = await startEngine({ requirepass: 's3cret' });
  if (real) {
    // The helper's readiness probe cannot authenticate: set the password once it is up.
    realSecured = await startRealRedis();
    const c = realSecured.client();
    await c.config('SET', 'requirepass', 's3cret');
    c.disconnect();
  }
});
afterAll(async () => {
  await secured.stop();
  await realSecured?.stop();
});

/** The HELLO map carries the connection id, which differs between servers. */
const normId = (s: string) => s.replace(/\$2\r\nid\r\n:\d+/, '$2\r\nid\r\n:N');

async function differential(ports: [number, number | undefined], cmds: string[][]): Promise<string[]> {
  const [mine, theirs] = await runBoth([ports[0], ports[1] ?? ports[0]], cmds);
  expect(mine.map(normId)).toEqual(theirs.map(normId));
  return mine.map(normId);
}

describe('PING, ECHO, SELECT, QUIT', () => {
  it('match redis-server, errors included', async () => {
    const out = await differential(
      [engine.port, real?.port],
      [
        ['PING'],
        ['PING', 'hello'],
        ['PING', 'a', 'b'],
        ['ECHO'],
        ['ECHO', 'bin\x00\xff'],
        ['SELECT', 'abc'],
        ['SELECT', '16'],
        ['SELECT', '-1'],
        ['SELECT', '99999999999'],
        ['SELECT', '99999999999999999999'],
        ['SELECT', '15'],
        ['SELECT'],
        ['SELECT', '0'],
      ],
    );
    expect(out[0]).toBe('+PONG\r\n');
    expect(out[4]).toBe('$5\r\nbin\x00\xff\r\n');
    expect(out[6]).toBe('-ERR DB index is out of range\r\n');
    expect(out[8]).toBe('-ERR value is out of range, value must between -2147483648 and 2147483647\r\n');
    expect(out[9]).toBe('-ERR value is not an integer or out of range\r\n');
  });

  it('QUIT replies +OK, closes the connection and runs nothing after it', async () => {
    const s = await Session.open(engine.port);
    s.send(['SET', 'conn:quit', 'before']);
    s.send(['QUIT']);
    s.send(['SET', 'conn:quit', 'after']);
    expect(await s.next()).toBe('+OK\r\n');
    expect(await s.next()).toBe('+OK\r\n');
    await s.conn.waitClosed();
    expect(await engine.client().get('conn:quit')).toBe('before');
  });
});

describe('HELLO', () => {
  it('switches protocol and reports errors like redis-server', async () => {
    const out = await differential(
      [engine.port, real?.port],
      [
        ['HELLO', '1'],
        ['HELLO', 'abc'],
        ['HELLO', '4'],
        ['HELLO', '3', 'foo'],
        ['HELLO', '3', 'AUTH', 'a'],
        ['HELLO', '3', 'SETNAME', 'a b'],
        ['HELLO', '2', 'AUTH', 'default', 'anything'],
        ['HELLO', '2', 'AUTH', 'bob', 'x'],
        ['HELLO'],
        ['HELLO', '3', 'SETNAME', 'conn-name'],
        ['CLIENT', 'GETNAME'],
        ['GET', 'conn:nokey'],
        ['HELLO', '2'],
        ['GET', 'conn:nokey'],
      ],
    );
    expect(out[8]).toBe(
      '*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:N\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n',
    );
    expect(out[9].startsWith('%7\r\n')).toBe(true);
    expect(out[11]).toBe('_\r\n');
    expect(out[13]).toBe('$-1\r\n');
  });
});

describe('AUTH and requirepass', () => {
  it('AUTH without a configured password errors like redis-server', async () => {
    const out = await differential(
      [engine.port, real?.port],
      [
        ['AUTH', 'x'],
        ['AUTH', 'default', 'anything'],
        ['AUTH', 'bob', 'x'],
        ['AUTH', 'a', 'b', 'c'],
      ],
    );
    expect(out).toEqual([
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
      '+OK\r\n',
      '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
      '-ERR syntax error\r\n',
    ]);
  });

  it('refuses commands before AUTH and accepts them after, like redis-server', async () => {
    const out = await differential(
      [secured.port, realSecured?.port],
      [
        ['GET', 'x'],
        ['CLIENT', 'GETNAME'],
        ['PING'],
        ['AUTH', 'wrong'],
        ['AUTH', 'default', 'wrong'],
        ['HELLO', '3'],
        ['HELLO', '3', 'AUTH', 'default', 'bad'],
        ['HELLO', '2', 'AUTH', 'default', 's3cret', 'SETNAME', 'a b'],
        ['GET', 'x'],
        ['RESET'],
        ['GET', 'x'],
        ['AUTH', 's3cret'],
        ['GET', 'x'],
        ['RESET'],
        ['AUTH', 'default', 's3cret'],
        ['HELLO', '3'],
        ['QUIT'],
      ],
    );
    expect(out[0]).toBe('-NOAUTH Authentication required.\r\n');
    expect(out[5]).toBe(
      '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n',
    );
    expect(out[8]).toBe('$-1\r\n');
    expect(out[10]).toBe('-NOAUTH Authentication required.\r\n');
  });

  it('keeps the stricter pre-auth request limits until AUTH', async () => {
    const s = await Session.open(secured.port);
    const big = Array.from({ length: 12 }, () => 'x');
    s.send(['AUTH', ...big]);
    expect(await s.next()).toMatch(/^-ERR Protocol error/);
    await s.conn.waitClosed();
    const t = await Session.open(secured.port);
    expect(await t.call('AUTH', 's3cret')).toBe('+OK\r\n');
    expect(await t.call('ECHO', ...big.slice(0, 1))).toBe('$1\r\nx\r\n');
    expect(await t.call('DEL', ...big)).toBe(':0\r\n');
    t.close();
  });

  it('lets ioredis connect with a password, and refuses a wrong one', async () => {
    const ok = secured.client({ password: 's3cret' });
    expect(await ok.set('conn:io', 'v')).toBe('OK');
    expect(await ok.get('conn:io')).toBe('v');
    const anon = secured.client({ enableReadyCheck: false });
    await expect(anon.get('conn:io')).rejects.toThrow(/NOAUTH Authentication required/);
    await expect(anon.auth('nope')).rejects.toThrow(/WRONGPASS/);
    expect(await anon.auth('s3cret')).toBe('OK');
    expect(await anon.get('conn:io')).toBe('v');
  });

  it('clearing requirepass at run time lets waiting connections in', async () => {
    const e = await startEngine({ requirepass: 'pw' });
    try {
      const s = await Session.open(e.port);
      expect(await s.call('PING')).toBe('-NOAUTH Authentication required.\r\n');
      const admin = e.client({ password: 'pw' });
      expect(await admin.config('SET', 'requirepass', '')).toBe('OK');
      expect(await s.call('PING')).toBe('+PONG\r\n');
      s.close();
    } finally {
      await e.stop();
    }
  });

  it('works with redis-cli -a and --no-auth-warning', async () => {
    // Asynchronous: the engine runs in this process, so the test must not block its loop.
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile('redis-cli', ['-p', String(secured.port), ...args], { encoding: 'latin1', timeout: 10_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) : 0, stdout, stderr }),
        );
      });
    if ((await cli(['--version'])).code !== 0) {
      console.log('redis-cli not installed: skipped');
      return;
    }
    const ok = await cli(['--no-auth-warning', '-a', 's3cret', 'PING']);
    expect(ok.stdout).toBe('PONG\n');
    expect(ok.stderr).toBe('');
    const warned = await cli(['-a', 's3cret', 'PING']);
    expect(warned.stderr).toMatch(/Using a password/);
    expect(warned.stdout).toBe('PONG\n');
    const noauth = await cli(['GET', 'x']);
    expect(noauth.stdout).toMatch(/NOAUTH Authentication required/);
  });
});

describe('RESET', () => {
  it('returns the connection to its initial state', async () => {
    const s = await Session.open(engine.port);
    await s.call('SELECT', '3');
    await s.call('CLIENT', 'SETNAME', 'before-reset');
    await s.call('WATCH', 'reset:k');
    await s.call('MULTI');
    await s.call('HELLO', '3');
    await s.call('CLIENT', 'REPLY', 'OFF');
    s.send(['RESET']);
    expect(await s.next()).toBe('+RESET\r\n');
    const info = await s.call('CLIENT', 'INFO');
    expect(info).toMatch(/ name= /);
    expect(info).toMatch(/ db=0 /);
    expect(info).toMatch(/ multi=-1 /);
    expect(info).toMatch(/ resp=2\n/);
    expect(info.startsWith('$')).toBe(true);
    expect(engine.server.dbs[0].watched.has('reset:k')).toBe(false);
    expect(await s.call('SUBSCRIBE', 'reset:ch')).toMatch(/subscribe/);
    expect(await s.call('RESET')).toBe('+RESET\r\n');
    expect(engine.server.pubsub.channels.has('reset:ch')).toBe(false);
    expect(await s.call('GET', 'reset:k')).toBe('$-1\r\n');
    s.close();
  });

  it('matches redis-server inside MULTI and in pub/sub context', async () => {
    await differential(
      [engine.port, real?.port],
      [['MULTI'], ['SET', 'reset:x', '1'], ['RESET'], ['EXEC'], ['SUBSCRIBE', 'r:c'], ['RESET'], ['GET', 'reset:x'], ['RESET', 'x']],
    );
  });
});
