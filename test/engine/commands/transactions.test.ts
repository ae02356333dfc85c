import { beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { family } from '../../helpers/family.js';
import type { RealRedis } from '../../helpers/redis-server.js';
import { runBoth, Session } from './resp-session.js';

const fx = family({ client: false, real: 'transaction' });
// Batches, not effects: a transaction must reach the sinks as one batch.
const { batches: appended } = fx;
let engine: TestEngine, real: RealRedis | null;
beforeAll(() => {
  ({ engine, real } = fx);
});

/** Runs `fn` against the engine and, when installed, real redis; both must agree. */
async function both<T>(fn: (r: Redis, mk: () => Redis) => Promise<T>): Promise<T> {
  const mine = await fn(engine.client(), () => engine.client());
  if (real) {
    const theirs = await fn(real.client(), () => real!.client());
    expect(mine).toEqual(theirs);
  }
  return mine;
}

describe('MULTI/EXEC/DISCARD/WATCH errors (differential)', () => {
  it('replies exactly as redis-server to misuse', async () => {
    const cmds = [
      ['MULTI'],
      ['MULTI'],
      ['SET', 'tx:a', '1'],
      ['EXEC'],
      ['EXEC'],
      ['DISCARD'],
      ['MULTI'],
      ['WATCH', 'tx:x'],
      ['SET', 'tx:a', '2'],
      ['EXEC'],
      ['MULTI'],
      ['NOSUCHCMD', 'x'],
      ['SET', 'tx:a'],
      ['EXEC'],
      ['EXEC', 'x'],
      ['MULTI'],
      ['SHUTDOWN'],
      ['EXEC'],
      ['MULTI'],
      ['MULTI', 'x'],
      ['EXEC'],
      ['WATCH'],
      ['UNWATCH', 'x'],
      ['DISCARD', 'x'],
      ['MULTI'],
      ['SET', 'tx:s', 'abc'],
      ['INCR', 'tx:s'],
      ['GET', 'tx:s'],
      ['EXEC'],
      ['MULTI'],
      ['EXEC'],
      ['MULTI'],
      ['PING'],
      ['DISCARD'],
      ['UNWATCH'],
    ];
    const mine = await runBoth([engine.port, real?.port ?? engine.port], cmds);
    expect(mine[0]).toEqual(mine[1]);
    expect(mine[0][1]).toBe('-ERR MULTI calls can not be nested\r\n');
    expect(mine[0][7]).toBe('-ERR WATCH inside MULTI is not allowed\r\n');
    expect(mine[0][9]).toBe('*1\r\n+OK\r\n');
    expect(mine[0][13]).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
    expect(mine[0][14]).toBe("-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n");
    expect(mine[0][16]).toBe('-ERR Command not allowed inside a transaction\r\n');
    expect(mine[0][28]).toBe('*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$3\r\nabc\r\n');
  });
});

describe('WATCH', () => {
  it('aborts EXEC with a null array when another client modifies a watched key', async () => {
    const res = await both(async (r, mk) => {
      const other = mk();
      await r.set('w:k', '1');
      await r.watch('w:k');
      await other.set('w:k', '2');
      const out = await r.multi().set('w:k', '3').exec();
      return [out, await r.get('w:k')];
    });
    expect(res).toEqual([null, '2']);
  });

  it('runs EXEC when nothing touched the watched keys', async () => {
    const res = await both(async (r, mk) => {
      const other = mk();
      await r.watch('w:a', 'w:b');
      await other.set('w:unrelated', '1');
      return r.multi().set('w:a', 'x').get('w:a').exec();
    });
    expect(res).toEqual([
      [null, 'OK'],
      [null, 'x'],
    ]);
  });

  it('is touched by the watching client itself, and by DEL, EXPIRE and FLUSHDB of an existing key', async () => {
    const res = await both(async (r) => {
      const out: unknown[] = [];
      await r.set('w:self', '1');
      await r.watch('w:self');
      await r.set('w:self', '2');
      out.push(await r.multi().ping().exec());
      await r.watch('w:self');
      await r.del('w:self');
      out.push(await r.multi().ping().exec());
      await r.set('w:self', '1');
      await r.watch('w:self');
      await r.expire('w:self', 100);
      out.push(await r.multi().ping().exec());
      await r.watch('w:self');
      await r.flushdb();
      out.push(await r.multi().ping().exec());
      return out;
    });
    expect(res).toEqual([null, null, null, null]);
  });

  it('FLUSHDB/FLUSHALL do not touch watched keys that did not exist (Redis 7)', async () => {
    const res = await both(async (r) => {
      const out: unknown[] = [];
      await r.set('w:other', '1');
      await r.watch('w:absent');
      await r.flushdb();
      out.push(await r.multi().ping().exec());
      await r.set('w:other', '1');
      await r.watch('w:absent');
      await r.flushall();
      out.push(await r.multi().ping().exec());
      return out;
    });
    expect(res).toEqual([[[null, 'PONG']], [[null, 'PONG']]]);
  });

  it('treats keys that expire after WATCH as modified, and stale keys at WATCH as unchanged', async () => {
    const res = await both(async (r) => {
      const out: unknown[] = [];
      await r.set('w:exp', 'v', 'PX', 100);
      await r.watch('w:exp');
      await new Promise((f) => setTimeout(f, 200));
      out.push(await r.multi().ping().exec());
      await r.set('w:stale', 'v', 'PX', 1);
      await new Promise((f) => setTimeout(f, 20));
      await r.watch('w:stale');
      await r.del('w:stale');
      out.push(await r.multi().ping().exec());
      await r.set('w:stale2', 'v', 'PX', 1);
      await new Promise((f) => setTimeout(f, 20));
      await r.watch('w:stale2');
      await r.flushdb();
      out.push(await r.multi().ping().exec());
      return out;
    });
    expect(res).toEqual([null, [[null, 'PONG']], [[null, 'PONG']]]);
  });

  it('SWAPDB touches keys watched in either database', async () => {
    const res = await both(async (r) => {
      const out: unknown[] = [];
      await r.flushall();
      await r.select(1);
      await r.set('w:sw', 'in-db1');
      await r.select(0);
      await r.watch('w:sw');
      await r.swapdb(0, 1);
      out.push(await r.multi().get('w:sw').exec());
      await r.watch('w:nowhere');
      await r.swapdb(0, 1);
      out.push(await r.multi().ping().exec());
      await r.flushall();
      return out;
    });
    expect(res).toEqual([null, [[null, 'PONG']]]);
  });

  it('DISCARD and UNWATCH forget the watches; a disconnect removes them from the keyspace', async () => {
    const r = engine.client();
    const other = engine.client();
    await r.watch('w:d');
    expect(await r.call('MULTI')).toBe('OK');
    expect(await r.call('DISCARD')).toBe('OK');
    await other.set('w:d', 'changed');
    expect(await r.multi().ping().exec()).toEqual([[null, 'PONG']]);
    await r.watch('w:u');
    await r.unwatch();
    await other.set('w:u', 'changed');
    expect(await r.multi().ping().exec()).toEqual([[null, 'PONG']]);
    const gone = engine.client();
    await gone.watch('w:gone');
    expect(engine.server.dbs[0].watched.has('w:gone')).toBe(true);
    gone.disconnect();
    await new Promise((f) => setTimeout(f, 100));
    expect(engine.server.dbs[0].watched.has('w:gone')).toBe(false);
  });
});

describe('EXEC effects', () => {
  it('emits the transaction as one MULTI … EXEC batch, and nothing for read-only transactions', async () => {
    const r = engine.client();
    await r.ping();
    appended.length = 0;
    await r.multi().set('fx:a', '1').incr('fx:n').get('fx:a').exec();
    expect(appended).toEqual([
      [
        { db: 0, argv: ['MULTI'] },
        { db: 0, argv: ['set', 'fx:a', '1'] },
        { db: 0, argv: ['incr', 'fx:n'] },
        { db: 0, argv: ['EXEC'] },
      ],
    ]);
    appended.length = 0;
    await r.multi().get('fx:a').ping().exec();
    expect(appended).toEqual([]);
  });

  it('keeps replies of commands that fail inside EXEC and still applies the others', async () => {
    const s = await Session.open(engine.port);
    expect(await s.call('SET', 'fx:str', 'abc')).toBe('+OK\r\n');
    expect(await s.call('MULTI')).toBe('+OK\r\n');
    expect(await s.call('INCR', 'fx:str')).toBe('+QUEUED\r\n');
    expect(await s.call('SET', 'fx:after', 'y')).toBe('+QUEUED\r\n');
    expect(await s.call('EXEC')).toBe('*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n');
    expect(await s.call('GET', 'fx:after')).toBe('$1\r\ny\r\n');
    s.close();
  });

  it('runs SELECT inside the transaction and tags later effects with the new database', async () => {
    const r = engine.client();
    await r.ping();
    appended.length = 0;
    await r.multi().select(2).set('fx:db2', 'v').exec();
    expect(appended.length).toBe(1);
    expect(appended[0].map((e) => [e.db, e.argv[0]])).toEqual([
      [2, 'MULTI'],
      [2, 'set'],
      [2, 'EXEC'],
    ]);
    await r.select(0);
  });
});

describe('read-only replica rule', () => {
  it('refuses writes when queued and re-checks queued writes at EXEC', async () => {
    const e = await startEngine();
    try {
      const s = await Session.open(e.port);
      expect(await s.call('MULTI')).toBe('+OK\r\n');
      expect(await s.call('SET', 'k', 'v')).toBe('+QUEUED\r\n');
      e.server.role = 'replica';
      expect(await s.call('EXEC')).toBe("-EXECABORT Transaction discarded because of: READONLY You can't write against a read only replica.\r\n");
      expect(await s.call('MULTI')).toBe('+OK\r\n');
      expect(await s.call('SET', 'k', 'v')).toBe("-READONLY You can't write against a read only replica.\r\n");
      expect(await s.call('GET', 'k')).toBe('+QUEUED\r\n');
      expect(await s.call('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
      s.close();
    } finally {
      await e.stop();
    }
  });
});
