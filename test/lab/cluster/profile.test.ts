import { describe, expect, it } from 'vitest';
import { loadTopologyProfile, resolveSpec } from '../../../lab/cluster/profile.js';
import { tmpFile } from './helpers.js';

describe('topology profiles', () => {
  it('the default profile gives the documented defaults', () => {
    const s = resolveSpec();
    expect(s).toMatchObject({
      profile: 'default',
      mode: 'plain',
      azs: ['az-a', 'az-b', 'az-c'],
      replicas: 2,
      clientAz: 'az-a',
      rttMs: 1,
      jitterMs: 0.1,
      net: 'auto',
      backend: 'process',
      basePort: 'auto',
      supervisor: { az: 'az-a', masterName: 'memlab', probeIntervalMs: 100, downAfterMs: 1000, failoverTimeoutMs: 5000 },
    });
  });

  it('flags override the profile, and --azs makes up names past the list', () => {
    const s = resolveSpec({ mode: 'wait', azs: 5, rttMs: 2, jitterMs: 0, replicas: 4, net: 'proxy' });
    expect(s.azs).toEqual(['az-a', 'az-b', 'az-c', 'az-d', 'az-e']);
    expect(s).toMatchObject({ mode: 'wait', rttMs: 2, jitterMs: 0, replicas: 4, net: 'proxy' });
    expect(resolveSpec({ azs: 1 }).azs).toEqual(['az-a']);
    expect(resolveSpec().sameAz).toBe('proxy');
    expect(resolveSpec({ sameAz: 'direct' }).sameAz).toBe('direct');
  });

  it('a copied profile is validated with errors naming the file and the field', () => {
    const bad = tmpFile('t.yaml', 'name: t\nmode: strong\nlatency: { rtt: fast }\nsupervisor: { downAfter: 1000ms, bogus: 1 }\n');
    let msg = '';
    try {
      loadTopologyProfile(bad);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain(bad);
    expect(msg).toMatch(/field 'mode' must be one of "plain", "wait", "durable"/);
    expect(msg).toMatch(/field 'latency\.rtt' has the wrong format/);
    expect(msg).toMatch(/field 'supervisor\.bogus' is not a known field/);
  });

  it('rejects inconsistent clusters clearly', () => {
    const f = tmpFile('t.yaml', 'name: t\nazs: [x, y]\nclientAz: z\n');
    expect(() => resolveSpec({ topology: f })).toThrow(/clientAz 'z' is not one of the cluster's AZs \(x, y\)/);
    expect(() => resolveSpec({ rttMs: 1, jitterMs: 2 })).toThrow(/jitter .* must not exceed the round trip/);
    expect(() => resolveSpec({ topology: 'nope' })).toThrow(/no topology profile named 'nope'; available: .*default/);
    const pairs = tmpFile('p.yaml', 'name: p\nlatency: { pairs: [{ a: az-a, b: az-q, rtt: 2ms }] }\n');
    expect(() => resolveSpec({ topology: pairs })).toThrow(/latency pair az-a\/az-q names an AZ not in azs/);
  });

  it('per AZ pair round trips and node options reach the spec', () => {
    const f = tmpFile('p.yaml', 'name: p\nlatency: { rtt: 1ms, pairs: [{ a: az-a, b: az-c, rtt: 3ms }] }\nengine: { config: { hz: 50 } }\n');
    const s = resolveSpec({ topology: f, nodeConfig: { n2: { 'replica-priority': 0 } } });
    expect(s.pairs).toEqual([{ a: 'az-a', b: 'az-c', rttMs: 3 }]);
    expect(s.engineConfig).toEqual({ hz: '50' });
    expect(s.nodeConfig).toEqual({ n2: { 'replica-priority': '0' } });
  });
});
