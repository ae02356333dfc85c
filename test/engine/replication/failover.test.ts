import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { replicationOf } from '../../../engine/replication/replication.js';
import { SentinelFailover, type FailoverAction, type NodeObservation } from '../../../lab/cluster/failover.js';
import { expectConverged, Relay, rep, waitFor } from './helpers.js';

/**
 * Failover as the lab's supervisor does it: probes (PING + INFO replication) feed
 * SentinelFailover; its actions become REPLICAOF commands.
 */

/** One probe over a fresh connection: PING and INFO replication, or unreachable after 700 ms. */
function probe(id: string, port: number, portToId: Map<number, string>): Promise<NodeObservation> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (obs: NodeObservation) => {
      clearTimeout(timer);
      s.destroy();
      resolve(obs);
    };
    const timer = setTimeout(() => done({ id, reachable: false }), 700);
    s.on('error', () => done({ id, reachable: false }));
    s.on('close', () => done({ id, reachable: false }));
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      const m = /^\+PONG\r\n\$(\d+)\r\n/.exec(buf);
      if (!m || buf.length < m[0].length + Number(m[1])) return;
      const kv = new Map<string, string>();
      for (const line of buf.slice(m[0].length).split('\r\n')) {
        const i = line.indexOf(':');
        if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
      }
      const role = kv.get('role') === 'slave' ? 'slave' : 'master';
      done({
        id,
        reachable: true,
        role,
        offset: Number(role === 'slave' ? kv.get('slave_repl_offset') : kv.get('master_repl_offset')),
        priority: role === 'slave' ? Number(kv.get('slave_priority')) : undefined,
        following: role === 'slave' ? (portToId.get(Number(kv.get('master_port'))) ?? null) : null,
        linkDownMs: kv.has('master_link_down_since_seconds') ? Math.max(0, Number(kv.get('master_link_down_since_seconds'))) * 1000 : 0,
      });
    });
    s.write('PING\r\nINFO replication\r\n');
  });
}

interface Node {
  engine: TestEngine;
  /** Where the supervisor reaches it. */
  probePort: number;
  /** Other ports that lead to it (the relays replicas dial). */
  aliases?: number[];
}

class Supervisor {
  readonly fo: SentinelFailover;
  readonly actions: FailoverAction[] = [];
  constructor(
    readonly nodes: Map<string, Node>,
    primary: string,
  ) {
    this.fo = new SentinelFailover(primary, [...nodes.keys()], { downAfterMs: 1500, failoverTimeoutMs: 10_000, pingPeriodMs: 400 }, Date.now());
  }

  private portToId(): Map<number, string> {
    const m = new Map<number, string>();
    for (const [id, n] of this.nodes) {
      m.set(n.engine.port, id);
      for (const a of n.aliases ?? []) m.set(a, id);
    }
    return m;
  }

  async round(): Promise<void> {
    const ports = this.portToId();
    const all = await Promise.all([...this.nodes].map(([id, n]) => probe(id, n.probePort, ports)));
    // Replicas first, so the primary's observation is judged with their roles known.
    all.sort((a, b) => Number(a.id === this.fo.primary) - Number(b.id === this.fo.primary));
    for (const obs of all) {
      const actions = this.fo.observe(obs, Date.now());
      // The first round only seeds what the machine knows of each node.
      if (!this.seeded) continue;
      for (const a of actions) {
        this.actions.push(a);
        await this.perform(a);
      }
    }
    this.seeded = true;
  }

  private seeded = false;

  private async perform(a: FailoverAction): Promise<void> {
    const cmd = (id: string, ...args: string[]) => {
      const c = this.nodes.get(id)!.engine.client();
      return c.call(...(args as [string, ...string[]])).finally(() => c.disconnect());
    };
    if (a.kind === 'promote') await cmd(a.node, 'REPLICAOF', 'NO', 'ONE').catch(() => {});
    else if (a.kind === 'replicaof') await cmd(a.node, 'REPLICAOF', '127.0.0.1', String(this.nodes.get(a.primary)!.engine.port)).catch(() => {});
  }

  async until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
    await waitFor(what, async () => {
      await this.round();
      return cond();
    }, timeoutMs);
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function engine(): Promise<TestEngine> {
  const e = await startEngine();
  replicationOf(e.server);
  cleanup.push(async () => {
    rep(e).stop();
    await e.stop();
  });
  return e;
}

async function relay(port: number): Promise<Relay> {
  const r = await new Relay(port).listen();
  cleanup.push(() => r.close());
  return r;
}

async function write(e: TestEngine, prefix: string, n: number): Promise<void> {
  const c = e.client();
  const p = c.pipeline();
  for (let i = 0; i < n; i++) p.set(`${prefix}:${i}`, String(i));
  p.hset(`${prefix}:h`, 'f', prefix);
  await p.exec();
}

/** n1 primary; n2 and n3 replicate through relays; n3 misses the last writes. */
async function setup() {
  const n1 = await engine();
  const n2 = await engine();
  const n3 = await engine();
  const s1 = await relay(n1.port);
  const p2 = await relay(n1.port);
  const p3 = await relay(n1.port);
  replicationOf(n2.server).replicaOf('127.0.0.1', p2.port, false);
  replicationOf(n3.server).replicaOf('127.0.0.1', p3.port, false);
  await waitFor('replicas online', () => rep(n1).state.countAcks(0) === 2);
  await write(n1, 'w1', 200);
  expect(await n1.client().wait(2, 2000)).toBe(2);
  p3.pause();
  await write(n1, 'w2', 100);
  expect(await n1.client().wait(1, 2000)).toBe(1);
  const nodes = new Map<string, Node>([
    ['n1', { engine: n1, probePort: s1.port, aliases: [p2.port, p3.port] }],
    ['n2', { engine: n2, probePort: n2.port }],
    ['n3', { engine: n3, probePort: n3.port }],
  ]);
  return { n1, n2, n3, s1, p2, p3, nodes };
}

async function exists(e: TestEngine, key: string): Promise<boolean> {
  return (await e.client().exists(key)) === 1;
}

describe('failover with Sentinel\'s rules', { timeout: 90_000 }, () => {
  it('primary killed: the most advanced replica is promoted, the other continues partially, a restarted empty old primary resyncs fully', async () => {
    const { n1, n2, n3, p3, nodes } = await setup();
    const sup = new Supervisor(nodes, 'n1');
    await sup.until('watching', () => sup.fo.phaseName === 'watching');
    // Kill the primary (its sockets close; the paused link's bytes never arrive).
    p3.cut();
    rep(n1).stop();
    await n1.stop();
    await sup.until('n2 promoted and n3 following it', () => sup.fo.primary === 'n2' && sup.fo.phaseName === 'watching');
    const promote = sup.actions.find((a) => a.kind === 'promote');
    expect(promote).toMatchObject({ node: 'n2' });
    await waitFor('n3 linked to n2', () => rep(n3).link?.state === 'connected' && rep(n3).link?.config.port === n2.port);
    // n3 had n1's history up to an offset n2 covers: partial, and it gets the w2 it missed.
    expect(n2.server.stats.syncPartialOk).toBe(1);
    expect(n2.server.stats.syncFull).toBe(0);
    await write(n2, 'w4', 50);
    await expectConverged(n2, [n3]);
    expect(await exists(n3, 'w2:99')).toBe(true);

    // The old primary comes back as an empty process on a new port; the supervisor repoints it.
    const back = await engine();
    nodes.set('n1', { engine: back, probePort: back.port });
    await sup.until('n1 following n2', () => rep(back).link?.state === 'connected');
    await write(n2, 'w5', 10);
    await expectConverged(n2, [n3, back]);
    expect(n2.server.stats.syncFull).toBe(1);
  });

  it('a partitioned old primary keeps taking writes; when it returns it is repointed and drops them', async () => {
    const { n1, n2, n3, s1, p2, p3, nodes } = await setup();
    const sup = new Supervisor(nodes, 'n1');
    await sup.until('watching', () => sup.fo.phaseName === 'watching');
    // n1 cut off from its peers and the supervisor, but not from a client.
    s1.cut();
    p2.cut();
    p3.cut();
    const direct = n1.client();
    for (let i = 0; i < 20; i++) expect(await direct.set(`w3:${i}`, 'lost')).toBe('OK');
    await sup.until('n2 promoted', () => sup.fo.primary === 'n2' && sup.fo.phaseName === 'watching');
    expect(sup.actions.find((a) => a.kind === 'promote')).toMatchObject({ node: 'n2' });
    await write(n2, 'w4', 50);
    expect(((await n2.client().role()) as unknown[])[0]).toBe('master');

    // The partition heals: n1 answers as a master again and is pointed at n2.
    s1.heal();
    await sup.until('n1 following n2', () => rep(n1).link?.state === 'connected' && rep(n1).link?.config.port === n2.port);
    await expectConverged(n2, [n1, n3]);
    // n1's offset went beyond the promotion point: a full resync, its writes are gone.
    expect(rep(n1).replicaStats.fullSyncs).toBe(1);
    expect(await exists(n1, 'w3:0')).toBe(false);
    for (const e of [n1, n2, n3]) {
      expect(await exists(e, 'w2:99')).toBe(true);
      expect(await exists(e, 'w4:49')).toBe(true);
    }
    await expect(n1.client().set('x', '1')).rejects.toThrow(/READONLY/);
  });
});
