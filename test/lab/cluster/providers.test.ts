/** The lab cluster behind bench's ClusterProvider and chaos's ChaosClusterProvider. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchStatePath, benchUpOptions, createClusterProvider } from '../../../lab/cluster/bench-provider.js';
import { up, type SupervisorEvent } from '../../../lab/cluster/index.js';
import { respOnce } from '../../../lab/cluster/resp.js';
import { built, notBuiltReason, pidAlive, tmpDir, waitFor } from './helpers.js';
import { readState } from '../../../lab/cluster/state.js';

if (!built) console.log(`skipping the provider tests: ${notBuiltReason}`);

describe.skipIf(!built)('providers', { timeout: 90_000 }, () => {
  it('bench: up(mode, overrides) gives the client endpoint and a down that stops everything', async () => {
    process.env.MEMLAB_STATE_DIR = tmpDir();
    const h = await createClusterProvider().up('wait', { rttMs: 1 });
    const statePath = benchStatePath();
    expect(statePath.startsWith(process.env.MEMLAB_STATE_DIR)).toBe(true);
    const s = readState(statePath)!;
    try {
      expect(h.primaryAz).toBe('az-a');
      expect(h.nodes).toBe(3);
      expect(h.endpoint).toEqual(s.nodes[0].views['az-a']);
      expect(await respOnce(h.endpoint, ['PING'])).toBe('PONG');
      expect(await h.stats()).toEqual({});
    } finally {
      await h.down();
    }
    expect(readState(statePath)).toBeNull();
    for (const n of s.nodes) expect(pidAlive(n.pid!)).toBe(false);
  });

  it('bench: --same-az direct puts the client on the primary itself, past the delay line', async () => {
    process.env.MEMLAB_STATE_DIR = tmpDir();
    expect(benchUpOptions('plain', { rttMs: 1 }).sameAz).toBeUndefined(); // the profile decides
    const h = await createClusterProvider().up('plain', { rttMs: 1, sameAz: 'direct' });
    const s = readState(benchStatePath())!;
    try {
      const n1 = s.nodes.find((n) => n.id === 'n1')!;
      expect(h.endpoint).toEqual({ host: n1.host, port: n1.port });
      expect(await respOnce(h.endpoint, ['PING'])).toBe('PONG');
    } finally {
      await h.down();
    }
  });

  it('chaos needs: per-node priorities, several targets in one step, events, settled, running', async () => {
    const events: SupervisorEvent[] = [];
    const c = await up({ statePath: path.join(tmpDir(), 'state.json'), rttMs: 1, jitterMs: 0, downAfterMs: 600, failoverTimeoutMs: 3000, nodeConfig: { n2: { 'replica-priority': 0 } }, onEvent: (e) => events.push(e), log: () => {} });
    try {
      await waitFor('settled', () => c.supervisor.settled());
      expect(c.supervisor.running()).toEqual(['n1', 'n2', 'n3']);
      // n2 has priority 0: Sentinel never promotes it, whatever its offset.
      const r = await c.fault({ kind: 'crash', target: ['n1'] });
      expect(r.nodes).toEqual(['n1']);
      const s = await waitFor('failover', async () => ((await c.state()).primary !== 'n1' ? c.state() : null));
      expect(s.primary).toBe('n3');
      expect(c.supervisor.running()).toEqual(['n2', 'n3']);
      await waitFor('settled after failover', () => c.supervisor.settled());
      expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['fault', 'promote', 'switch-primary', 'replicaof']));
      expect(events.find((e) => e.kind === 'switch-primary')!.message).toBe('+switch-master n1 -> n3 (epoch 1)');
      // The restarted old primary comes back as a primary (it was never reconfigured) and is then pointed at n3.
      await c.fault({ kind: 'restart', target: 'n1', empty: true });
      await waitFor('n1 following n3', async () => (await c.status()).nodes.find((n) => n.id === 'n1')!.following === 'n3');
      await c.fault({ kind: 'pause', target: 'n1,n2' });
      expect((await c.state()).nodes.filter((n) => n.status === 'paused').map((n) => n.id)).toEqual(['n1', 'n2']);
      await c.fault({ kind: 'resume', target: ['n1', 'n2'] });
    } finally {
      await c.down();
    }
  });
});
