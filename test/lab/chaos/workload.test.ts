import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestParser } from '../../../engine/resp/parser.js';
import { ChaosWorkload, KeySpace, classifyError, type ChaosOperation, type ChaosWorkloadConfig } from '../../../lab/chaos/workload.js';

/**
 * A scripted RESP server: answers like a primary, except that `stall(n)` commands (by a
 * global counter) get no reply at all, and `readonly` makes writes fail with -READONLY.
 */
class FakeServer {
  server!: net.Server;
  port = 0;
  commands = 0;
  connections = 0;
  stall: (n: number, cmd: string) => boolean = () => false;
  readonly = false;
  waitReply = 1;
  private readonly counters = new Map<string, number>();
  private readonly socks = new Set<net.Socket>();

  async start(): Promise<void> {
    this.server = net.createServer((sock) => {
      this.connections++;
      this.socks.add(sock);
      sock.on('close', () => this.socks.delete(sock));
      sock.on('error', () => {});
      const parser = new RequestParser();
      sock.on('data', (d: Buffer) => {
        parser.feed(d);
        for (let cmd = parser.next(); cmd; cmd = parser.next()) this.reply(sock, cmd);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private reply(sock: net.Socket, argv: string[]): void {
    const name = String(argv[0]).toUpperCase();
    const n = ++this.commands;
    if (name !== 'ROLE' && this.stall(n, name)) return;
    const w = (s: string) => sock.write(s);
    switch (name) {
      case 'ROLE':
        return void w('*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n');
      case 'SET':
      case 'SADD':
      case 'INCRBY':
        if (this.readonly) return void w("-READONLY You can't write against a read only replica.\r\n");
        if (name === 'SET') return void w('+OK\r\n');
        if (name === 'SADD') return void w(':1\r\n');
        {
          const v = (this.counters.get(argv[1]) ?? 0) + Number(argv[2]);
          this.counters.set(argv[1], v);
          return void w(`:${v}\r\n`);
        }
      case 'GET':
        return void w('$-1\r\n');
      case 'SMEMBERS':
        return void w('*0\r\n');
      case 'WAIT':
        return void w(`:${this.waitReply}\r\n`);
      default:
        return void w(`-ERR unknown command '${name}'\r\n`);
    }
  }

  async stop(): Promise<void> {
    for (const s of this.socks) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const cfg = (over: Partial<ChaosWorkloadConfig> = {}): ChaosWorkloadConfig => ({
  clients: 4,
  mix: { register: 1, set: 1, counter: 1 },
  readFraction: 0.2,
  keysPerType: 4,
  opsPerKey: 50,
  opTimeoutMs: 100,
  connectTimeoutMs: 200,
  wait: null,
  keyPrefix: 't:',
  seed: 1,
  ...over,
});

let t0 = process.hrtime.bigint();
const clock = () => Number((process.hrtime.bigint() - t0) / 1000n);

/** Run until `minOps` operations were issued (and at least `minMs`): counts, not time, so a loaded machine only makes it slower. */
async function run(server: FakeServer, over: Partial<ChaosWorkloadConfig>, minOps: number, minMs = 0): Promise<{ ops: ChaosOperation[]; wl: ChaosWorkload }> {
  t0 = process.hrtime.bigint();
  const wl = new ChaosWorkload(cfg(over), () => ({ node: 'n1', host: '127.0.0.1', port: server.port }), clock);
  const start = Date.now();
  wl.start();
  while ((wl.history().length < minOps || Date.now() - start < minMs) && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 10));
  await wl.stop();
  return { ops: wl.history(), wl };
}

let srv: FakeServer | null = null;
afterEach(async () => {
  await srv?.stop();
  srv = null;
});

describe('chaos workload: client retirement', () => {
  it('retires a client after an unknown outcome: every client id is sequential and ends at its unknown operation', async () => {
    srv = new FakeServer();
    await srv.start();
    srv.stall = (n) => n % 37 === 0;
    const { ops, wl } = await run(srv, {}, 400, 1000);
    const unknown = ops.filter((o) => o.result === 'unknown');
    expect(unknown.length).toBeGreaterThan(3);
    for (const u of unknown) {
      expect(u.complete).toBeUndefined();
      expect(u.error).toBe('TIMEOUT');
    }
    const byClient = new Map<number, ChaosOperation[]>();
    for (const o of ops) byClient.set(o.client, [...(byClient.get(o.client) ?? []), o]);
    for (const [, list] of byClient) {
      list.sort((a, b) => a.invoke - b.invoke);
      // Sequential: each operation starts after the one before it ended.
      for (let i = 1; i < list.length; i++) expect(list[i].invoke).toBeGreaterThanOrEqual(list[i - 1].complete!);
      // Nothing after an unknown outcome under the same id.
      const u = list.findIndex((o) => o.result === 'unknown');
      if (u >= 0) expect(u).toBe(list.length - 1);
    }
    expect(wl.stats.retired).toBe(unknown.length);
    expect(byClient.size).toBeLessThanOrEqual(4 + unknown.length);
    expect(wl.stats.clientIds).toBe(4 + unknown.length);
  });

  it('a definite refusal (READONLY) is a fail, and the client keeps its id', async () => {
    srv = new FakeServer();
    await srv.start();
    srv.readonly = true;
    const { ops, wl } = await run(srv, { clients: 2, readFraction: 0 }, 12);
    expect(ops.length).toBeGreaterThanOrEqual(12);
    for (const o of ops) {
      expect(o.result).toBe('fail');
      expect(o.error).toBe('READONLY');
      expect(typeof o.complete).toBe('number');
    }
    expect(new Set(ops.map((o) => o.client)).size).toBe(2);
    expect(wl.stats.retired).toBe(0);
    // READONLY means "not the primary": the client reconnects before its next operation.
    expect(srv.connections).toBeGreaterThan(4);
  });

  it('writes unique values and records WAIT answers in wait mode', async () => {
    srv = new FakeServer();
    await srv.start();
    srv.waitReply = 0;
    const { ops } = await run(srv, { clients: 3, wait: { replicas: 1, timeoutMs: 10 } }, 40);
    const writes = ops.filter((o) => o.f === 'write' || o.f === 'add');
    expect(writes.length).toBeGreaterThan(10); // of 40+ ops, 80% writes, 2/3 of them SET/SADD
    expect(new Set(writes.map((o) => o.value)).size).toBe(writes.length);
    for (const o of ops.filter((x) => x.result === 'ok' && ['write', 'add', 'incr'].includes(x.f))) expect(o.wait).toBe(0);
    for (const o of ops.filter((x) => x.f === 'incr' && x.result === 'ok')) expect(typeof o.output).toBe('number');
  });

  it('reads back every key it touched, as final operations of a fresh client', async () => {
    srv = new FakeServer();
    await srv.start();
    const { ops, wl } = await run(srv, { clients: 2 }, 30);
    const rb = await wl.readBack({ node: 'n1', host: '127.0.0.1', port: srv.port });
    expect(rb.missing).toEqual([]);
    expect(new Set(rb.ops.map((o) => o.key))).toEqual(new Set(wl.keys().map((k) => k.key)));
    const maxClient = Math.max(...ops.map((o) => o.client));
    for (const o of rb.ops) {
      expect(o.final).toBe(true);
      expect(o.client).toBeGreaterThan(maxClient);
    }
  });
});

describe('chaos workload: pieces', () => {
  it('keys are replaced after opsPerKey operations', () => {
    const ks = new KeySpace('p:', 2, 3);
    let x = 0;
    const random = () => (x++ % 2) / 2;
    const picked = Array.from({ length: 12 }, () => ks.pick('register', random));
    const counts = new Map<string, number>();
    for (const k of picked) counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const [, n] of counts) expect(n).toBeLessThanOrEqual(3);
    expect(ks.keys().length).toBeGreaterThanOrEqual(4);
  });

  it('classifies errors: only definite refusals fail', () => {
    const reply = (m: string) => Object.assign(new Error(m), { name: 'ReplyError' });
    expect(classifyError(reply("READONLY You can't write against a read only replica."))).toEqual({ result: 'fail', kind: 'READONLY', reconnect: true });
    expect(classifyError(reply('NOREPLICAS Not enough good replicas to write.'))).toMatchObject({ result: 'fail', reconnect: false });
    expect(classifyError(reply('ERR wrong number of arguments'))).toMatchObject({ result: 'fail', kind: 'ERR' });
    expect(classifyError(reply('UNKNOWN the write may have been committed'))).toMatchObject({ result: 'unknown' });
    expect(classifyError(new Error('Command timed out'))).toMatchObject({ result: 'unknown', kind: 'TIMEOUT' });
    expect(classifyError(new Error('Connection is closed.'))).toMatchObject({ result: 'unknown' });
    expect(classifyError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toMatchObject({ result: 'fail' });
    expect(classifyError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({ result: 'unknown', kind: 'ECONNRESET' });
  });
});
