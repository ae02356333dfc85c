/** Servers a bench starts on loopback: a free port, waiting for a listener, Debian's redis-server. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';

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

/** Whether `taskset` can give servers and load generators a CPU each (2+ CPUs). */
export function canPin(): boolean {
  return os.cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
}

/** `cmd args` run on the CPUs in `cpus` (taskset execs it, so the pid stays the command's); as is when null. */
export function pinned(cmd: string, args: string[], cpus: string | null): [string, string[]] {
  return cpus === null ? [cmd, args] : ['taskset', ['-c', cpus, cmd, ...args]];
}

/** Debian's redis-server on a free loopback port, persistence off, once it listens. */
export async function startRedisServer(cpus: string | null = null): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(...pinned('redis-server', redisServerArgs(port), cpus), { stdio: 'ignore' });
  await waitPort(port);
  return { port, proc };
}
