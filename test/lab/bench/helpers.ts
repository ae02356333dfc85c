import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitPort } from '../../../bench/lib/servers.js';
import { freePort, haveRedisServer, startRealRedis } from '../../helpers/redis-server.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(REPO, 'dist/cli/main.js');

export function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'memlab-bench-'));
}

export interface Server {
  kind: 'redis-server' | 'memlab engine';
  url: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A server in its own process (so SIGSTOP can pause it): Debian's redis-server when
 * installed, else the memlab engine from dist/.
 */
export async function startServer(): Promise<Server> {
  if (haveRedisServer()) {
    const r = await startRealRedis();
    return { kind: 'redis-server', url: `redis://127.0.0.1:${r.port}`, port: r.port, proc: r.proc, stop: () => r.stop() };
  }
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, 'server', '--port', String(port), '-c', 'loglevel=warning'], { stdio: 'ignore' });
  await waitPort(port);
  return {
    kind: 'memlab engine',
    url: `redis://127.0.0.1:${port}`,
    port,
    proc,
    stop: async () => {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

export function haveRedisBenchmark(): boolean {
  return spawnSync('redis-benchmark', ['--version']).status === 0;
}

export { haveRedisServer, startRealRedis };
