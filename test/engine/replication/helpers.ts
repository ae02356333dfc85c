import net from 'node:net';
import type Redis from 'ioredis';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { existingReplication, replicationOf, type Replication } from '../../../engine/replication/replication.js';
import { datasetDigest } from '../../../engine/store/digest.js';
export { rng } from '../../helpers/rng.js';
import { rng } from '../../helpers/rng.js';

/**
 * A TCP relay in front of a node, to break one link on purpose: `cut` drops every
 * connection and refuses new ones until `heal`; `pause` holds data in both directions
 * (a stalled peer) until `resume`.
 */
export class Relay {
  private readonly server: net.Server;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private blocked = false;
  private paused = false;
  private held: { to: net.Socket; data: Buffer }[] = [];
  port = 0;

  constructor(private readonly target: number) {
    this.server = net.createServer((a) => {
      if (this.blocked) return a.destroy();
      const b = net.connect(this.target, '127.0.0.1');
      const pair: [net.Socket, net.Socket] = [a, b];
      this.pairs.add(pair);
      const pipe = (from: net.Socket, to: net.Socket) =>
        from.on('data', (d: Buffer) => {
          if (this.paused) this.held.push({ to, data: d });
          else to.write(d);
        });
      pipe(a, b);
      pipe(b, a);
      const end = () => {
        this.pairs.delete(pair);
        a.destroy();
        b.destroy();
      };
      for (const s of pair) {
        s.on('error', end);
        s.on('close', end);
      }
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  cut(): void {
    this.blocked = true;
    this.held = [];
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  heal(): void {
    this.blocked = false;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const h = this.held;
    this.held = [];
    for (const { to, data } of h) if (!to.destroyed) to.write(data);
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function rep(e: TestEngine): Replication {
  return existingReplication(e.server) ?? replicationOf(e.server);
}

/** INFO section as a map. */
export async function info(c: Redis, section: string): Promise<Map<string, string>> {
  const text = await c.info(section);
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/**
 * Wait until every replica applied everything the primary produced, then compare digests
 * in the same turn (nothing can run in between: no expiry, no write).
 */
export async function expectConverged(primary: TestEngine, replicas: TestEngine[], timeoutMs = 15_000): Promise<string> {
  let digest = '';
  let last = '';
  await waitFor(
    'replicas to converge',
    () => {
      const off = rep(primary).state.offset;
      const offs = replicas.map((r) => rep(r).link?.reploff ?? -1);
      last = `primary ${off}, replicas ${offs.join(',')}`;
      if (offs.some((o) => o !== off)) return false;
      digest = datasetDigest(primary.server.dbs);
      const ds = replicas.map((r) => datasetDigest(r.server.dbs));
      if (ds.some((d) => d !== digest)) throw new Error(`offsets equal (${last}) but digests differ: ${digest} vs ${ds.join(', ')}`);
      return true;
    },
    timeoutMs,
  ).catch((e: Error) => {
    throw new Error(`${e.message} (${last})`);
  });
  return digest;
}

/** A primary with `n` replicas, each linked through its own relay. */
export async function cluster(n: number, config: Record<string, string | number | boolean> = {}) {
  const primary = await startEngine(config);
  replicationOf(primary.server);
  const replicas: TestEngine[] = [];
  const relays: Relay[] = [];
  for (let i = 0; i < n; i++) {
    const relay = await new Relay(primary.port).listen();
    const r = await startEngine(config);
    replicationOf(r.server).replicaOf('127.0.0.1', relay.port, false);
    replicas.push(r);
    relays.push(relay);
  }
  await waitFor('replicas online', () => rep(primary).state.countAcks(0) === n && replicas.every((r) => rep(r).link?.state === 'connected'));
  return {
    primary,
    replicas,
    relays,
    async stop() {
      for (const r of relays) await r.close();
      for (const e of [primary, ...replicas]) {
        rep(e).stop();
        await e.stop();
      }
    },
  };
}

/**
 * A random write workload over every data type: strings with TTLs (some expire during the
 * run, so expiry DELs flow), hashes, lists with blocking pops that get served, sets with
 * SPOP, sorted sets, MULTI/EXEC, several databases, binary values. Returns when done.
 */
export async function randomWorkload(c: Redis, popper: Redis, ops: number, seed: number): Promise<void> {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const key = (t: string) => `${t}:${Math.floor(r() * 20)}`;
  const val = () => (r() < 0.1 ? Buffer.from([0, 255, 13, 10, Math.floor(r() * 256)]) : String(Math.floor(r() * 1000)));
  const pending: Promise<unknown>[] = [];
  // Blocking pops that are served by later pushes (BLPOP becomes LPOP in the stream).
  const pops: Promise<unknown>[] = [];
  for (let i = 0; i < 5; i++) pops.push(popper.blpop(`blist:${i}`, 5));
  for (let i = 0; i < ops; i++) {
    const db = r() < 0.15 ? 1 : 0;
    const p = c.pipeline();
    p.select(db);
    switch (Math.floor(r() * 13)) {
      case 0:
        p.set(key('s'), val(), 'PX', 5 + Math.floor(r() * 200));
        break;
      case 1:
        p.set(key('s'), val());
        p.expire(key('s'), 1 + Math.floor(r() * 3));
        break;
      case 2:
        p.incrbyfloat(key('f'), r());
        p.append(key('s'), 'x');
        break;
      case 3:
        p.hset(key('h'), `f${Math.floor(r() * 5)}`, val(), `g${Math.floor(r() * 5)}`, val());
        if (r() < 0.3) p.hdel(key('h'), 'f1');
        break;
      case 4:
        p.rpush(key('l'), val(), val());
        if (r() < 0.5) p.lpop(key('l'));
        if (r() < 0.2) p.ltrim(key('l'), 0, 3);
        break;
      case 5:
        p.sadd(key('set'), String(Math.floor(r() * 10)), String(Math.floor(r() * 10)));
        if (r() < 0.4) p.spop(key('set'));
        break;
      case 6:
        p.zadd(key('z'), r() * 100, `m${Math.floor(r() * 8)}`);
        if (r() < 0.3) p.zincrby(key('z'), 2.5, 'm1');
        if (r() < 0.2) p.zpopmin(key('z'));
        break;
      case 7:
        // After the pipeline (same connection, so in its db): a real MULTI … EXEC.
        pending.push(p.exec());
        pending.push(c.multi().incr(key('n')).lpush(key('l'), 'tx').sadd(key('set'), 'tx').exec());
        continue;
      case 8:
        p.del(key(pick(['s', 'h', 'l', 'set', 'z'])));
        break;
      case 9:
        p.rpush(`blist:${Math.floor(r() * 5)}`, val());
        break;
      case 10:
        p.pexpire(key(pick(['h', 'l', 'set', 'z'])), 10 + Math.floor(r() * 100));
        break;
      case 12:
        // Commands that name other databases.
        if (r() < 0.3) p.swapdb(0, 1);
        else if (r() < 0.5) p.move(key('s'), db === 0 ? 1 : 0);
        else p.copy(key('h'), key('h'), 'DB', db === 0 ? 1 : 0, 'REPLACE');
        break;
      case 11:
        p.srandmember(key('set'));
        p.getex(key('s'), 'EX', 100);
        p.smove(key('set'), key('set'), 'x');
        break;
    }
    pending.push(p.exec());
    if (i % 50 === 49) await Promise.all(pending.splice(0));
  }
  // Every blocked pop gets served.
  pending.push(c.pipeline().select(0).rpush('blist:0', 'z').rpush('blist:1', 'z').rpush('blist:2', 'z').rpush('blist:3', 'z').rpush('blist:4', 'z').exec());
  await Promise.all(pending);
  await Promise.all(pops);
  // Reads that expire keys lazily on the primary (their DELs are replicated too).
  await new Promise((res) => setTimeout(res, 250));
  const p = c.pipeline();
  for (const db of [0, 1]) {
    p.select(db);
    for (let i = 0; i < 20; i++) p.get(`s:${i}`);
  }
  p.select(0);
  await p.exec();
}
