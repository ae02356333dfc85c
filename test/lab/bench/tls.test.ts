import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../../lab/bench/runner.js';
import { workloadFrom } from '../../../lab/workloads/profile.js';
import { freePort, haveRedisServer } from '../../helpers/redis-server.js';
import { tmpDir } from './helpers.js';

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
const skip = !haveRedisServer() || !haveOpenssl;
if (skip) console.log('skipping rediss:// tests: they need redis-server and openssl');

describe.skipIf(skip)('rediss:// targets', () => {
  let proc: ChildProcess | undefined;
  let port = 0;
  beforeAll(async () => {
    const dir = tmpDir();
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
    expect(gen.status).toBe(0);
    port = await freePort();
    proc = spawn(
      'redis-server',
      ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const net = await import('node:net');
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) break;
      if (i > 100) throw new Error('redis-server with TLS did not start (built without TLS?)');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(() => {
    proc?.kill('SIGKILL');
  });

  const workload = workloadFrom({ name: 'tls', ops: { get: 1, set: 1 }, keys: { count: 100 }, connections: 2, duration: '300ms', warmup: '100ms' });

  it('runs over TLS (self-signed certificate accepted with tlsInsecure)', { timeout: 60_000 }, async () => {
    const r = await runBench({ workload, target: `rediss://127.0.0.1:${port}`, tlsInsecure: true, workers: 1, progress: 'none', log: () => {} });
    expect(r.modes[0].target).toBe(`rediss://127.0.0.1:${port}`);
    expect(r.modes[0].all.count).toBeGreaterThan(0);
    expect(r.modes[0].all.errors).toBe(0);
  });

  it('verifies the certificate by default', async () => {
    await expect(runBench({ workload, target: `rediss://127.0.0.1:${port}`, workers: 1, progress: 'none', log: () => {} })).rejects.toThrow(/cannot connect to rediss:.*self-signed certificate/);
  });
});
