import { describe, expect, it } from 'vitest';
import { SentinelFailover, type FailoverAction, type NodeObservation } from '../../../lab/cluster/failover.js';

const cfg = { downAfterMs: 1000, failoverTimeoutMs: 5000, pingPeriodMs: 100 };

function replica(id: string, offset: number, extra: Partial<NodeObservation> = {}): NodeObservation {
  return { id, reachable: true, role: 'slave', offset, priority: 100, following: 'n1', ...extra };
}

function kinds(actions: FailoverAction[]): string[] {
  return actions.filter((a) => a.kind !== 'log').map((a) => `${a.kind}:${'node' in a ? a.node : `${a.from}->${a.to}`}`);
}

describe('Sentinel failover rules', () => {
  it('does nothing while the primary answers', () => {
    const f = new SentinelFailover('n1', ['n1', 'n2', 'n3'], cfg, 0);
    for (let t = 100; t <= 5000; t += 100) {
      f.observe({ id: 'n1', reachable: true, role: 'master', offset: t }, t);
      f.observe(replica('n2', t), t);
      expect(kinds(f.observe(replica('n3', t), t))).toEqual([]);
    }
    expect(f.primary).toBe('n1');
  });

  it('promotes the replica with the highest offset only after down-after', () => {
    const f = new SentinelFailover('n1', ['n1', 'n2', 'n3'], cfg, 0);
    f.observe({ id: 'n1', reachable: true, role: 'master' }, 0);
    let acts: FailoverAction[] = [];
    for (let t = 100; t <= 1000; t += 100) {
      f.observe({ id: 'n1', reachable: false }, t);
      f.observe(replica('n2', 500), t);
      acts = f.observe(replica('n3', 700), t);
      expect(kinds(acts)).toEqual([]);
    }
    acts = [...f.observe({ id: 'n1', reachable: false }, 1100), ...f.observe(replica('n2', 500), 1100), ...f.observe(replica('n3', 700), 1100)];
    expect(kinds(acts)).toEqual(['promote:n3']);
    // n3 reports master: the primary switches and the others are repointed.
    acts = f.observe({ id: 'n3', reachable: true, role: 'master', offset: 700 }, 1200);
    expect(kinds(acts)).toEqual(['switch-primary:n1->n3', 'replicaof:n2']);
    expect(f.primary).toBe('n3');
  });

  it('orders by priority before offset (a better-priority laggard wins), then by id', () => {
    const f = new SentinelFailover('n1', ['n1', 'n2', 'n3'], cfg, 0);
    f.observe(replica('n2', 100, { priority: 10 }), 1500);
    f.observe(replica('n3', 900, { priority: 100 }), 1500);
    expect(f.selectCandidate(1500)).toBe('n2');
    const g = new SentinelFailover('n1', ['n1', 'n3', 'n2'], cfg, 0);
    g.observe(replica('n3', 500), 1500);
    g.observe(replica('n2', 500), 1500);
    expect(g.selectCandidate(1500)).toBe('n2');
  });

  it('skips priority-0, unreachable and long-disconnected replicas', () => {
    const f = new SentinelFailover('n1', ['n1', 'n2', 'n3', 'n4'], cfg, 0);
    f.observe(replica('n2', 999, { priority: 0 }), 1500);
    f.observe({ id: 'n3', reachable: false }, 1500);
    f.observe(replica('n4', 10, { linkDownMs: 60_000 }), 1500);
    expect(f.selectCandidate(1500)).toBeNull();
  });

  it('repoints the old primary as a replica when it comes back (it will drop its divergent writes)', () => {
    const f = new SentinelFailover('n1', ['n1', 'n2'], cfg, 0);
    expect(kinds(f.observe(replica('n2', 5), 1500))).toEqual(['promote:n2']);
    f.observe({ id: 'n2', reachable: true, role: 'master' }, 1600);
    expect(f.primary).toBe('n2');
    const acts = f.observe({ id: 'n1', reachable: true, role: 'master', offset: 50 }, 3000);
    expect(kinds(acts)).toEqual(['replicaof:n1']);
  });

  it('aborts a promotion that does not complete and retries', () => {
    const f = new SentinelFailover('n1', ['n1', 'n2'], cfg, 0);
    expect(kinds(f.observe(replica('n2', 5), 1500))).toEqual(['promote:n2']);
    f.observe(replica('n2', 5), 4000);
    expect(f.phaseName).toBe('promoting');
    const acts = f.observe(replica('n2', 5), 6600);
    expect(acts.some((a) => a.kind === 'log' && a.message.startsWith('-failover-abort-timeout'))).toBe(true);
    expect(kinds(f.tick(6700))).toEqual(['promote:n2']);
    expect(f.currentEpoch).toBe(2);
  });
});
