import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestEngine } from '../../helpers/engine.js';
import { family } from '../../helpers/family.js';
import type { RealRedis } from '../../helpers/redis-server.js';
import { allCommands } from '../../../engine/commands/index.js';
import { command } from '../../../engine/commands/define.js';
import { Block } from '../../../engine/commands/types.js';
import { NULL_ARRAY } from '../../../engine/resp/reply.js';
import { Server } from '../../../engine/server/server.js';
import { Logger } from '../../../engine/server/logger.js';
import { runBoth, Session } from './resp-session.js';

// No shared client: it would show up in the CLIENT LIST / KILL replies compared here.
const fx = family({ client: false, real: 'CLIENT' });
let engine: TestEngine, real: RealRedis | null;
beforeAll(() => {
  ({ engine, real } = fx);
});

/** Redis 7.0.15's CLIENT LIST fields, in order. */
const FIELDS = [
  'id', 'addr', 'laddr', 'fd', 'name', 'age', 'idle', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'qbuf', 'qbuf-free', 'argv-mem',
  'multi-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem', 'events', 'cmd', 'user', 'redir', 'resp',
];

function parseLine(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of line.split(' ')) {
    const i = kv.indexOf('=');
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

describe('CLIENT errors (differential)', () => {
  it('replies exactly as redis-server', async () => {
    const cmds = [
      ['CLIENT', 'SETNAME', 'a b'],
      ['CLIENT', 'SETNAME', '\xe9'],
      ['CLIENT', 'SETNAME'],
      ['CLIENT', 'SETNAME', 'ab'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', ''],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'LIST', 'TYPE', 'foo'],
      ['CLIENT', 'LIST', 'TYPE', 'pubsub'],
      ['CLIENT', 'LIST', 'TYPE', 'master'],
      ['CLIENT', 'LIST', 'TYPE', 'SLAVE'],
      ['CLIENT', 'LIST', 'ID', 'abc'],
      ['CLIENT', 'LIST', 'ID', '0'],
      ['CLIENT', 'LIST', 'ID'],
      ['CLIENT', 'LIST', 'FOO'],
      ['CLIENT', 'LIST', 'TYPE', 'normal', 'x'],
      ['CLIENT', 'KILL', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'ID', 'abc'],
      ['CLIENT', 'KILL', 'ID', '0'],
      ['CLIENT', 'KILL', 'ID', '99999'],
      ['CLIENT', 'KILL', 'TYPE', 'foo'],
      ['CLIENT', 'KILL', 'USER', 'bob'],
      ['CLIENT', 'KILL', 'SKIPME', 'maybe'],
      ['CLIENT', 'KILL', 'FOO', 'bar'],
      ['CLIENT', 'KILL', 'ID'],
      ['CLIENT', 'KILL', 'ID', '5', 'TYPE'],
      ['CLIENT', 'KILL', 'ADDR', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'LADDR', '127.0.0.1:1'],
      ['CLIENT', 'KILL', 'MAXAGE', '5'],
      ['CLIENT', 'REPLY', 'FOO'],
      ['CLIENT', 'REPLY', 'on', 'x'],
      ['CLIENT', 'UNBLOCK', 'abc'],
      ['CLIENT', 'UNBLOCK', '1', 'FOO'],
      ['CLIENT', 'UNBLOCK', '99999'],
      ['CLIENT', 'UNBLOCK', '1', 'timeout', 'x'],
      ['CLIENT', 'PAUSE', 'abc'],
      ['CLIENT', 'PAUSE', '-1'],
      ['CLIENT', 'PAUSE', '1.5'],
      ['CLIENT', 'PAUSE', '10', 'FOO'],
      ['CLIENT', 'PAUSE', '10', 'write', 'x'],
      ['CLIENT', 'NO-EVICT', 'maybe'],
      ['CLIENT', 'NO-EVICT', 'ON'],
      ['CLIENT', 'NO-EVICT', 'off'],
      ['CLIENT', 'SETINFO', 'lib-name', 'x'],
      ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'maybe'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'HELP'],
      ['CLIENT'],
      ['CLIENT', 'FOO'],
      ['CLIENT', 'UNPAUSE'],
    ];
    const [mine, theirs] = await runBoth([engine.port, real?.port ?? engine.port], cmds);
    expect(mine).toEqual(theirs);
    expect(mine[0]).toBe('-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    expect(mine[43]).toBe("-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n");
  });

  it('answers TRACKINGINFO like redis-server in RESP2 and RESP3', async () => {
    const cmds = [['CLIENT', 'TRACKINGINFO'], ['HELLO', '3'], ['CLIENT', 'TRACKINGINFO']];
    const [mine, theirs] = await runBoth([engine.port, real?.port ?? engine.port], cmds);
    expect(mine[0]).toEqual(theirs[0]);
    expect(mine[2]).toEqual(theirs[2]);
  });
});

describe('CLIENT ID, INFO, LIST', () => {
  it('reports the connection in Redis 7.0.15 CLIENT LIST format', async () => {
    const r = engine.client();
    await r.client('SETNAME', 'lister');
    const id = await r.client('ID');
    const info = (await r.client('INFO')) as string;
    expect(info.endsWith('\n')).toBe(true);
    const line = info.slice(0, -1);
    expect(line.split(' ').map((kv) => kv.slice(0, kv.indexOf('=')))).toEqual(FIELDS);
    const f = parseLine(line);
    expect(f.id).toBe(String(id));
    expect(f.name).toBe('lister');
    expect(f.flags).toBe('N');
    expect(f.cmd).toBe('client|info');
    expect(f.laddr).toBe(`127.0.0.1:${engine.port}`);
    expect(f.addr).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Number(f.fd)).toBeGreaterThan(0);
    expect(f.events).toBe('r');
    expect(f.user).toBe('default');
    expect(f.resp).toBe('2');
    if (real) {
      const rr = real.client();
      const theirs = ((await rr.client('INFO')) as string).slice(0, -1);
      expect(theirs.split(' ').map((kv) => kv.slice(0, kv.indexOf('=')))).toEqual(FIELDS);
    }
  });

  it('filters by TYPE and ID and shows session flags', async () => {
    const a = await Session.open(engine.port);
    const b = await Session.open(engine.port);
    const idA = (await a.call('CLIENT', 'ID')).slice(1, -2);
    const idB = (await b.call('CLIENT', 'ID')).slice(1, -2);
    await a.call('SUBSCRIBE', 'cl:ch');
    await b.call('MULTI');
    await b.call('PING');
    const r = engine.client();
    const pubsub = ((await r.client('LIST', 'TYPE', 'pubsub')) as string).trim().split('\n');
    expect(pubsub.map((l) => parseLine(l).id)).toEqual([idA]);
    expect(parseLine(pubsub[0]).flags).toBe('P');
    expect(parseLine(pubsub[0]).sub).toBe('1');
    const byId = ((await r.client('LIST', 'ID', idB, '999999', idA)) as string).trim().split('\n').map(parseLine);
    expect(byId.map((l) => l.id)).toEqual([idB, idA]);
    expect(byId[0].flags).toBe('x');
    expect(byId[0].multi).toBe('1');
    const all = ((await r.client('LIST')) as string).trim().split('\n').map(parseLine);
    expect(all.map((l) => l.id)).toEqual(expect.arrayContaining([idA, idB]));
    const normal = ((await r.client('LIST', 'TYPE', 'normal')) as string).trim().split('\n').map(parseLine);
    expect(normal.map((l) => l.id)).not.toContain(idA);
    a.close();
    b.close();
  });

  it('answers CLIENT LIST as a verbatim string in RESP3', async () => {
    const s = await Session.open(engine.port);
    await s.call('HELLO', '3');
    const reply = await s.call('CLIENT', 'LIST', 'ID', '1');
    expect(reply).toBe('=4\r\ntxt:\r\n');
    const mine = await s.call('CLIENT', 'INFO');
    expect(mine).toMatch(/^=\d+\r\ntxt:id=\d+ .* resp=3\n\r\n$/);
    s.close();
  });
});

describe('CLIENT KILL', () => {
  it('kills by address (old form), by id, by type, and itself only with SKIPME no', async () => {
    const r = engine.client();
    const victim = await Session.open(engine.port);
    const vid = (await victim.call('CLIENT', 'ID')).slice(1, -2);
    const vaddr = parseLine(((await r.client('LIST', 'ID', vid)) as string).trim()).addr;
    expect(await r.client('KILL', vaddr)).toBe('OK');
    await victim.conn.waitClosed();
    expect(await r.client('LIST', 'ID', vid)).toBe('');

    const v2 = await Session.open(engine.port);
    const id2 = (await v2.call('CLIENT', 'ID')).slice(1, -2);
    expect(await r.client('KILL', 'ID', id2)).toBe(1);
    await v2.conn.waitClosed();
    expect(await r.client('KILL', 'ID', id2)).toBe(0);

    const sub = await Session.open(engine.port);
    await sub.call('SUBSCRIBE', 'kill:ch');
    expect(await r.client('KILL', 'TYPE', 'pubsub')).toBe(1);
    await sub.conn.waitClosed();
    expect(engine.server.pubsub.channels.has('kill:ch')).toBe(false);

    const self = await Session.open(engine.port);
    const selfId = (await self.call('CLIENT', 'ID')).slice(1, -2);
    expect(await self.call('CLIENT', 'KILL', 'ID', selfId)).toBe(':0\r\n');
    expect(await self.call('CLIENT', 'KILL', 'ID', selfId, 'SKIPME', 'no')).toBe(':1\r\n');
    await self.conn.waitClosed();

    const byLaddr = await Session.open(engine.port);
    await byLaddr.call('PING');
    const killer = await Session.open(engine.port);
    const n = Number((await killer.call('CLIENT', 'KILL', 'LADDR', `127.0.0.1:${engine.port}`, 'USER', 'default')).slice(1, -2));
    expect(n).toBeGreaterThanOrEqual(1);
    await byLaddr.conn.waitClosed();
    expect(await killer.call('PING')).toBe('+PONG\r\n');
    killer.close();
  });
});

describe('CLIENT REPLY', () => {
  it('OFF, ON and SKIP behave as in redis-server, byte for byte', async () => {
    const script = async (port: number) => {
      const s = await Session.open(port);
      for (const c of [
        ['CLIENT', 'REPLY', 'SKIP'],
        ['PING', 'skipped'],
        ['PING', 'seen1'],
        ['CLIENT', 'REPLY', 'OFF'],
        ['PING', 'off'],
        ['SET', 'reply:k', 'v'],
        ['CLIENT', 'REPLY', 'SKIP'],
        ['CLIENT', 'REPLY', 'ON'],
        ['GET', 'reply:k'],
        ['CLIENT', 'REPLY', 'SKIP'],
        ['CLIENT', 'REPLY', 'ON'],
        ['PING', 'seen2'],
      ])
        s.send(c);
      const out: string[] = [];
      for (let i = 0; i < 5; i++) out.push(await s.next());
      expect(await s.silent(50)).toBe(true);
      s.close();
      return out;
    };
    const mine = await script(engine.port);
    expect(mine).toEqual(['$5\r\nseen1\r\n', '+OK\r\n', '$1\r\nv\r\n', '+OK\r\n', '$5\r\nseen2\r\n']);
    if (real) expect(mine).toEqual(await script(real.port));
  });

  it('OFF still delivers pub/sub messages, as redis-server 7.0 does', async () => {
    const script = async (p: number, publish: (ch: string) => Promise<number>) => {
      const s = await Session.open(p);
      await s.call('HELLO', '3');
      await s.call('SUBSCRIBE', 'off:ch');
      s.send(['CLIENT', 'REPLY', 'OFF']);
      await new Promise((f) => setTimeout(f, 30));
      expect(await publish('off:ch')).toBe(1);
      const msg = await s.next();
      s.send(['PING']);
      const silent = await s.silent(80);
      s.close();
      return [msg, silent];
    };
    const want = ['>3\r\n$7\r\nmessage\r\n$6\r\noff:ch\r\n$1\r\nx\r\n', true];
    expect(await script(engine.port, (ch) => engine.client().publish(ch, 'x'))).toEqual(want);
    if (real) expect(await script(real.port, (ch) => real!.client().publish(ch, 'x'))).toEqual(want);
  });
});

describe('CLIENT UNBLOCK and CLIENT PAUSE', () => {
  // A server with one extra command that blocks until its key exists, independent of lists.
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const waitFor = command('testwait', 2, ['readonly', 'blocking'], [1, 1, 1], { group: 'generic', summary: 'test', since: '0' }, (ctx, argv) => {
      const v = ctx.db.get(argv[1], ctx.now);
      if (v !== undefined) return v as string;
      return ctx.noBlock ? NULL_ARRAY : new Block([argv[1]], 0, NULL_ARRAY);
    });
    server = new Server([...allCommands(), waitFor], { logger: new Logger('test', 'nothing') });
    port = (await server.listen(0, '127.0.0.1')).port;
  });
  afterAll(async () => server.close());

  it('unblocks with the timeout reply or with -UNBLOCKED', async () => {
    const blocked = await Session.open(port);
    const id = (await blocked.call('CLIENT', 'ID')).slice(1, -2);
    blocked.send(['TESTWAIT', 'ub:k']);
    const ctl = await Session.open(port);
    await new Promise((f) => setTimeout(f, 30));
    expect(await ctl.call('CLIENT', 'LIST', 'ID', id)).toMatch(/ flags=b /);
    expect(await ctl.call('CLIENT', 'UNBLOCK', id)).toBe(':1\r\n');
    expect(await blocked.next()).toBe('*-1\r\n');
    expect(await ctl.call('CLIENT', 'UNBLOCK', id)).toBe(':0\r\n');
    blocked.send(['TESTWAIT', 'ub:k']);
    await new Promise((f) => setTimeout(f, 30));
    expect(await ctl.call('CLIENT', 'UNBLOCK', id, 'ERROR')).toBe(':1\r\n');
    expect(await blocked.next()).toBe('-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
    expect(await blocked.call('PING')).toBe('+PONG\r\n');
    blocked.close();
    ctl.close();
  });

  it('PAUSE WRITE holds writes but not reads; UNPAUSE releases them in order', async () => {
    const ctl = await Session.open(port);
    const w = await Session.open(port);
    expect(await ctl.call('CLIENT', 'PAUSE', '5000', 'WRITE')).toBe('+OK\r\n');
    const t0 = Date.now();
    w.send(['SET', 'pause:k', '1']);
    w.send(['GET', 'pause:k']);
    const pub = await Session.open(port);
    pub.send(['PUBLISH', 'pause:ch', 'x']);
    expect(await ctl.call('GET', 'pause:k')).toBe('$-1\r\n');
    expect(await w.silent(100)).toBe(true);
    expect(await pub.silent(0)).toBe(true);
    expect(await ctl.call('CLIENT', 'LIST', 'ID', (await ctl.call('CLIENT', 'ID')).slice(1, -2))).toMatch(/ flags=N /);
    const other = await Session.open(port);
    expect(await other.call('CLIENT', 'UNPAUSE')).toBe('+OK\r\n');
    expect(await w.next()).toBe('+OK\r\n');
    expect(await w.next()).toBe('$1\r\n1\r\n');
    expect(await pub.next()).toBe(':0\r\n');
    expect(Date.now() - t0).toBeLessThan(4000);
    for (const x of [ctl, w, pub, other]) x.close();
  });

  it('PAUSE ALL holds every command until the timeout', async () => {
    const ctl = await Session.open(port);
    const c = await Session.open(port);
    expect(await ctl.call('CLIENT', 'PAUSE', '200')).toBe('+OK\r\n');
    const t0 = Date.now();
    expect(await c.call('PING')).toBe('+PONG\r\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    ctl.close();
    c.close();
  });
});
