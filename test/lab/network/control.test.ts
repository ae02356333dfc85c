import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlServer, ProxyClient, spawnProxy } from '../../../lab/network/control.js';
import { DelayLine } from '../../../lab/network/delay-line.js';
import { probe, startEchoServer, type EchoServer } from '../../../lab/network/probe.js';
import { sleep, waitFor } from './helpers.js';

let echo: EchoServer;
beforeAll(async () => {
  echo = await startEchoServer();
});
afterAll(async () => {
  await echo.close();
});

describe('control protocol', () => {
  it('adds links, applies faults to several at once, reports stats and errors', async () => {
    const line = new DelayLine();
    const server = new ControlServer(line);
    const ep = await server.listen();
    const client = await ProxyClient.connect(ep);
    try {
      expect(await client.call('ping', {})).toBe('pong');
      const added = await client.addLinks([
        { id: 'az-a->n2', listen: { host: '127.1.8.1', port: 0 }, target: echo.endpoint, delayMs: 0.5 },
        { id: 'az-a->n3', listen: { host: '127.1.8.2', port: 0 }, target: echo.endpoint, delayMs: 1 },
      ]);
      expect(added.map((a) => a.id)).toEqual(['az-a->n2', 'az-a->n3']);
      expect(added[0].listen.port).toBeGreaterThan(0);
      const r = await probe(added[0].listen, { protocol: 'echo', count: 50 });
      expect(r.p50).toBeGreaterThanOrEqual(0.93);

      await client.cut([{ link: 'az-a->n2' }, { link: 'az-a->n3', sources: ['127.0.1.1'] }]);
      let st = await client.stats();
      expect(st.links.map((l) => l.state)).toEqual(['cut', 'up']);
      expect(st.links[1].sourceCuts).toEqual([{ source: '127.0.1.1', forward: true, backward: true, crashed: false }]);
      await expect(probe(added[0].listen, { protocol: 'echo', count: 2, warmup: 0, timeoutMs: 200 })).rejects.toThrow('no answer');
      await client.heal([{ link: 'az-a->n2' }, { link: 'az-a->n3' }]);
      await client.setDelay('az-a->n2', 2);
      st = await client.stats('az-a->n2');
      expect(st.links).toHaveLength(1);
      expect(st.links[0]).toMatchObject({ state: 'up', delayMs: 2 });
      expect(st.process.pid).toBe(process.pid);
      expect(st.process.cpu.user).toBeGreaterThan(0);
      // JSON turns an empty summary's NaN into null.
      expect((await client.stats('az-a->n3')).links[0].forward.delay.p50).toBeNull();

      await expect(client.cut([{ link: 'nope' }])).rejects.toThrow("no link 'nope'");
      await expect(client.call('fault', { kind: 'explode' as 'cut', actions: [] })).rejects.toThrow("unknown fault 'explode'");
      await expect(client.call('bogus' as 'ping', {})).rejects.toThrow("unknown command 'bogus'");
    } finally {
      client.close();
      await server.close();
      await line.close();
    }
  });
});

// spawnProxy runs the compiled entry (npm test builds it first).
const entry = process.env.MEMLAB_PROXY_ENTRY ?? path.resolve('dist/lab/network/proxy-main.js');
// npm test compiles first: a missing entry is a failure, not a skip.
if (!existsSync(entry)) throw new Error(`${entry} is not built: run npx tsc -p .`);

describe('proxy process', () => {
  it('runs links in its own process and exits when its parent goes away', async () => {
    const p = await spawnProxy({ entry });
    try {
      expect(p.pid).not.toBe(process.pid);
      const [l] = await p.client.addLinks([{ id: 'x', listen: { host: '127.1.8.9', port: 0 }, target: echo.endpoint, delayMs: 0.5 }]);
      const r = await probe(l.listen, { protocol: 'echo', count: 50 });
      expect(r.p50).toBeGreaterThanOrEqual(0.93);
      const st = await p.client.stats();
      expect(st.process.pid).toBe(p.pid);
      expect(st.links[0].forward.chunks).toBeGreaterThanOrEqual(50);
      // The parent's end of stdin closing is what a dead supervisor looks like.
      p.child.stdin!.end();
      await waitFor(() => p.child.exitCode !== null || p.child.signalCode !== null, 5000, 'proxy exit');
      expect(p.child.exitCode).toBe(0);
    } finally {
      await p.stop(500);
    }
  });

  it('stop() shuts it down', async () => {
    const p = await spawnProxy({ entry, clock: 'timer' });
    expect((await p.client.stats()).process.line.clock.kind).toBe('timer');
    await p.stop();
    await sleep(10);
    expect(() => process.kill(p.pid, 0)).toThrow();
  });
});
