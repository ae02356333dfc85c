import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DelayLine } from '../../../lab/network/delay-line.js';
import { probe, startEchoServer } from '../../../lab/network/probe.js';
import { startEngine } from '../../helpers/engine.js';

describe('probe', () => {
  it('measures an engine node with PING, directly and through a 1 ms link', async () => {
    const engine = await startEngine();
    const line = new DelayLine();
    try {
      const direct = await probe({ host: engine.host, port: engine.port }, { count: 100 });
      const l = await line.addLink({ id: 'p', listen: { host: '127.1.7.1', port: 0 }, target: { host: engine.host, port: engine.port }, delayMs: 0.5 });
      const far = await probe(l.listen, { count: 100 });
      expect(direct.count).toBe(100);
      expect(direct.p50).toBeLessThan(0.6);
      expect(far.p50).toBeGreaterThanOrEqual(0.93);
      expect(far.p50 - direct.p50).toBeGreaterThan(0.8);
      expect(far.min).toBeLessThanOrEqual(far.p50);
      expect(far.p99).toBeGreaterThanOrEqual(far.p50);
      expect(far.protocol).toBe('resp');
    } finally {
      await line.close();
      await engine.stop();
    }
  });

  it('spaces round trips by intervalMs and echoes payloads of the given size', async () => {
    const echo = await startEchoServer();
    const t0 = performance.now();
    const r = await probe(echo.endpoint, { protocol: 'echo', count: 20, warmup: 0, intervalMs: 5, size: 1000 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(19 * 5);
    expect(r.count).toBe(20);
    await echo.close();
  });

  it('fails clearly on a wrong reply, a refused connection and silence', async () => {
    const liar = net.createServer((c) => c.on('data', () => c.write('-NOAUTH Authentication required.\r\n')));
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', () => r()));
    const port = (liar.address() as net.AddressInfo).port;
    await expect(probe({ host: '127.0.0.1', port })).rejects.toThrow('unexpected reply "-NOAUTH');
    liar.close();
    await expect(probe({ host: '127.0.0.1', port })).rejects.toThrow(`cannot connect to 127.0.0.1:${port}`);
    const mute = net.createServer(() => {});
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    await expect(probe({ host: '127.0.0.1', port: (mute.address() as net.AddressInfo).port }, { timeoutMs: 100 })).rejects.toThrow('no answer within 100 ms');
    mute.close();
  });
});
