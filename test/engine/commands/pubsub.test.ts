import { beforeAll, describe, expect, it } from 'vitest';
import type { TestEngine } from '../../helpers/engine.js';
import { family } from '../../helpers/family.js';
import type { RealRedis } from '../../helpers/redis-server.js';
import { Session } from './resp-session.js';

const fx = family({ client: false, real: 'pub/sub' });
const { effects } = fx;
let engine: TestEngine, real: RealRedis | null;
beforeAll(() => {
  ({ engine, real } = fx);
});

type Step = [who: 'a' | 'b', argv: string[], replies?: number, unordered?: 'unordered'] | [who: 'a' | 'b', 'read'];

/**
 * Run a two-connection script and record every byte string each step produced; run on the
 * engine and on redis-server and compare. `replies` is how many replies a command produces
 * on its own connection (SUBSCRIBE a b: 2).
 */
async function script(port: number, steps: Step[]): Promise<string[]> {
  const conns = { a: await Session.open(port), b: await Session.open(port) };
  const out: string[] = [];
  for (const st of steps) {
    const s = conns[st[0]];
    if (st[1] === 'read') {
      out.push(`${st[0]}< ${await s.next()}`);
      continue;
    }
    s.send(st[1]);
    const n = st[2] ?? 1;
    const got: string[] = [];
    for (let i = 0; i < n; i++) got.push(`${st[0]}> ${st[1].join(' ')} => ${(await s.next()).replace(/\$2\r\nid\r\n:\d+/, '$2\r\nid\r\n:N')}`);
    // Redis walks a hash table for "all channels": compare the channels and the running
    // counts as two sets, since which channel gets which count depends on that order.
    if (st[3] === 'unordered') {
      const counts = got.map((g) => /:(\d+)\r\n$/.exec(g)?.[1]).sort();
      out.push(...got.map((g) => g.replace(/:\d+\r\n$/, ':C\r\n')).sort(), `counts ${counts.join(',')}`);
    } else out.push(...got);
  }
  for (const c of Object.values(conns)) {
    expect(await c.silent(50)).toBe(true);
    c.close();
  }
  return out;
}

async function differential(steps: Step[]): Promise<string[]> {
  const mine = await script(engine.port, steps);
  if (real) expect(mine).toEqual(await script(real.port, steps));
  return mine;
}

describe('pub/sub in RESP2 (differential)', () => {
  it('subscribes, counts, delivers, restricts the context and unsubscribes like redis-server', async () => {
    const out = await differential([
      ['a', ['UNSUBSCRIBE']],
      ['a', ['PUNSUBSCRIBE']],
      ['a', ['SUBSCRIBE', 'ps:a', 'ps:b', 'ps:a'], 3],
      ['a', ['PSUBSCRIBE', 'ps:h*']],
      ['a', ['GET', 'x']],
      ['a', ['PING']],
      ['a', ['PING', 'hi']],
      ['a', ['SSUBSCRIBE', 'ps:s1']],
      ['b', ['PUBLISH', 'ps:a', 'm1']],
      ['a', 'read'],
      ['b', ['PUBLISH', 'ps:hello', 'm2']],
      ['a', 'read'],
      ['b', ['PUBLISH', 'ps:nobody', 'm']],
      ['b', ['SPUBLISH', 'ps:s1', 'm3']],
      ['a', 'read'],
      ['b', ['PUBSUB', 'CHANNELS', 'ps:[a]']],
      ['b', ['PUBSUB', 'CHANNELS', 'nomatch*']],
      ['b', ['PUBSUB', 'NUMSUB', 'ps:a', 'ps:zz']],
      ['b', ['PUBSUB', 'NUMSUB']],
      ['b', ['PUBSUB', 'NUMPAT']],
      ['b', ['PUBSUB', 'SHARDCHANNELS']],
      ['b', ['PUBSUB', 'SHARDNUMSUB', 'ps:s1', 'ps:none']],
      ['b', ['PUBSUB', 'NUMPAT', 'x']],
      ['b', ['PUBSUB', 'CHANNELS', 'a', 'b']],
      ['b', ['PUBSUB', 'FOO']],
      ['b', ['PUBSUB', 'HELP']],
      ['b', ['PUBLISH', 'a']],
      ['b', ['SUBSCRIBE']],
      ['a', ['UNSUBSCRIBE'], 2, 'unordered'],
      ['a', ['SUNSUBSCRIBE']],
      ['a', ['SUNSUBSCRIBE']],
      ['a', ['PUNSUBSCRIBE', 'zz']],
      ['a', ['GET', 'x']],
      ['a', ['PUNSUBSCRIBE']],
      ['a', ['GET', 'x']],
      ['a', ['MULTI']],
      ['a', ['SUBSCRIBE', 'ps:z']],
      ['a', ['EXEC']],
      ['a', ['QUIT']],
    ]);
    expect(out[2]).toBe('a> SUBSCRIBE ps:a ps:b ps:a => *3\r\n$9\r\nsubscribe\r\n$4\r\nps:a\r\n:1\r\n');
    expect(out).toContain('a< *3\r\n$7\r\nmessage\r\n$4\r\nps:a\r\n$2\r\nm1\r\n');
    expect(out).toContain('a< *4\r\n$8\r\npmessage\r\n$5\r\nps:h*\r\n$8\r\nps:hello\r\n$2\r\nm2\r\n');
    expect(out).toContain('a< *3\r\n$8\r\nsmessage\r\n$5\r\nps:s1\r\n$2\r\nm3\r\n');
    expect(out).toContain(
      "a> GET x => -ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
  });
});

describe('pub/sub in RESP3 (differential)', () => {
  it('uses push frames for confirmations and messages, and leaves other commands usable', async () => {
    const out = await differential([
      ['a', ['HELLO', '3']],
      ['a', ['SUBSCRIBE', 'p3:a', 'p3:b'], 2],
      ['a', ['GET', 'p3:x']],
      ['a', ['PING']],
      ['b', ['PUBLISH', 'p3:a', 'hi']],
      ['a', 'read'],
      ['a', ['UNSUBSCRIBE'], 2, 'unordered'],
      ['a', ['UNSUBSCRIBE']],
      ['a', ['PSUBSCRIBE', 'p3:*']],
      ['b', ['PUBLISH', 'p3:q', 'x']],
      ['a', 'read'],
      ['a', ['RESET']],
      ['b', ['PUBLISH', 'p3:q', 'y']],
    ]);
    const msg = out.find((l) => l.startsWith('a< >3'));
    expect(msg).toBe('a< >3\r\n$7\r\nmessage\r\n$4\r\np3:a\r\n$2\r\nhi\r\n');
    expect(out[out.length - 1]).toBe('b> PUBLISH p3:q y => :0\r\n');
  });
});

describe('pub/sub through ioredis', () => {
  it('delivers channel and pattern messages and counts receivers', async () => {
    const sub = engine.client();
    const pub = engine.client();
    const got: string[] = [];
    sub.on('message', (ch: string, m: string) => got.push(`message ${ch} ${m}`));
    sub.on('pmessage', (p: string, ch: string, m: string) => got.push(`pmessage ${p} ${ch} ${m}`));
    await sub.subscribe('io:news');
    await sub.psubscribe('io:*');
    expect(await pub.publish('io:news', 'hello')).toBe(2);
    expect(await pub.publish('other', 'x')).toBe(0);
    await new Promise((f) => setTimeout(f, 100));
    expect(got.sort()).toEqual(['message io:news hello', 'pmessage io:* io:news hello']);
    expect(await pub.pubsub('NUMSUB', 'io:news')).toEqual(['io:news', 1]);
    await sub.quit();
  });

  it('produces no keyspace effect for PUBLISH and forgets subscribers that disconnect', async () => {
    const pub = engine.client();
    await pub.ping();
    effects.length = 0;
    await pub.publish('fx:ch', 'm');
    expect(effects).toEqual([]);
    const sub = engine.client();
    await sub.subscribe('gone:ch');
    await sub.psubscribe('gone:*');
    expect(engine.server.pubsub.channels.has('gone:ch')).toBe(true);
    sub.disconnect();
    await new Promise((f) => setTimeout(f, 100));
    expect(engine.server.pubsub.channels.has('gone:ch')).toBe(false);
    expect(engine.server.pubsub.patterns.has('gone:*')).toBe(false);
    expect(await pub.publish('gone:ch', 'm')).toBe(0);
  });

  it('keeps a multi-channel SUBSCRIBE as one reply for CLIENT REPLY SKIP', async () => {
    const s = await Session.open(engine.port);
    s.send(['CLIENT', 'REPLY', 'SKIP']);
    s.send(['SUBSCRIBE', 'sk:a', 'sk:b']);
    s.send(['PING']);
    expect(await s.next()).toBe('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    expect(await s.silent(50)).toBe(true);
    s.close();
  });
});
