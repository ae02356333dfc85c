/** Servers a bench starts on loopback: a free port, waiting for a listener, Debian's redis-server. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts a connection; gives up after about 10 s. */
export async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** redis-server's arguments for loopback on `port` with persistence off. */
export function redisServerArgs(port: number): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
}

/** Debian's redis-server on a free loopback port, persistence off, once it listens. */
export async function startRedisServer(): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('redis-server', redisServerArgs(port), { stdio: 'ignore' });
  await waitPort(port);
  return { port, proc };
}
