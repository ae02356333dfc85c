import { describe, expect, it } from 'vitest';
import { _layout, Histogram } from '../../../lab/network/histogram.js';
import { clientEndpoint, endpointFrom, isolate, linkOptions, peerEndpoint, planTopology, separate, type TopologyInput } from '../../../lab/network/topology.js';

const input: TopologyInput = {
  azs: ['az-a', 'az-b', 'az-c'],
  nodes: [
    { id: 'n1', az: 'az-a', port: 7001 },
    { id: 'n2', az: 'az-b', port: 7002 },
    { id: 'n3', az: 'az-c', port: 7003 },
    { id: 'l1', az: 'az-a', port: 7101, kind: 'log' },
  ],
  latency: { rttMs: 1, jitterMs: 0.1, pairs: [{ a: 'az-c', b: 'az-a', rttMs: 2 }] },
};

describe('topology', () => {
  const t = planTopology(input);

  it('gives nodes 127.0.<az>.<i> and one link per (source AZ, node) at 127.<from>.<az>.<i>', () => {
    expect(t.nodes.map((n) => `${n.id}@${n.host}:${n.port}`)).toEqual(['n1@127.0.1.1:7001', 'n2@127.0.2.2:7002', 'n3@127.0.3.3:7003', 'l1@127.0.1.4:7101']);
    expect(t.links).toHaveLength(3 * 4);
    const ab = t.links.find((l) => l.id === 'az-a->n2')!;
    expect(ab).toMatchObject({ fromAz: 'az-a', toAz: 'az-b', crossAz: true, listen: { host: '127.1.2.2', port: 7002 }, target: { host: '127.0.2.2', port: 7002 }, rttMs: 1, delayMs: 0.5, jitterMs: 0.05 });
    expect(new Set(t.links.map((l) => `${l.listen.host}:${l.listen.port}`)).size).toBe(t.links.length);
  });

  it('same-AZ links are zero-delay pass-throughs; pair overrides apply both ways', () => {
    expect(t.links.find((l) => l.id === 'az-a->l1')).toMatchObject({ crossAz: false, delayMs: 0, jitterMs: 0, listen: { host: '127.1.1.4' } });
    expect(t.links.find((l) => l.id === 'az-a->n3')!.rttMs).toBe(2);
    expect(t.links.find((l) => l.id === 'az-c->n1')!.rttMs).toBe(2);
    expect(t.links.find((l) => l.id === 'az-b->n3')!.rttMs).toBe(1);
  });

  it('clients live in the primary AZ by default and dial from 127.0.<az>.200', () => {
    expect(t.clientAz).toBe('az-a');
    expect(clientEndpoint(t, 'n2')).toEqual({ host: '127.1.2.2', port: 7002, localAddress: '127.0.1.200' });
    expect(planTopology({ ...input, clientAz: 'az-c' }).clientAz).toBe('az-c');
    expect(endpointFrom(t, 'az-b', 'n1')).toEqual({ host: '127.2.1.1', port: 7001 });
    expect(peerEndpoint(t, 'n2', 'n1')).toEqual({ host: '127.2.1.1', port: 7001, localAddress: '127.0.2.2' });
    expect(linkOptions(t)[0]).toEqual({ id: 'az-a->n1', listen: { host: '127.1.1.1', port: 7001 }, target: { host: '127.0.1.1', port: 7001 }, delayMs: 0, jitterMs: 0 });
  });

  it("with sameAz 'direct', same-AZ peers dial real addresses and faults skip those paths", () => {
    const d = planTopology({ ...input, sameAz: 'direct' });
    expect(d.links).toHaveLength(12 - 4);
    expect(d.links.some((l) => !l.crossAz)).toBe(false);
    expect(endpointFrom(d, 'az-a', 'l1')).toEqual({ host: '127.0.1.4', port: 7101 });
    expect(endpointFrom(d, 'az-a', 'n2')).toEqual({ host: '127.1.2.2', port: 7002 });
    expect(isolate(d, 'n1').map((a) => a.link)).toEqual(['az-b->n1', 'az-c->n1', 'az-a->n2', 'az-a->n3']);
  });

  it('rejects what cannot work, naming it', () => {
    expect(() => planTopology({ ...input, nodes: [...input.nodes, { id: 'n9', az: 'az-x', port: 1 }] })).toThrow("node 'n9' is in unknown AZ 'az-x'");
    expect(() => planTopology({ ...input, nodes: [{ id: 'n1', az: 'az-a', port: 7001, host: '10.0.0.1' }] })).toThrow('loopback 127.x.y.z only');
    expect(() => planTopology({ ...input, nodes: [...input.nodes, { id: 'n1', az: 'az-b', port: 1 }] })).toThrow("node id 'n1' repeats");
    expect(() => planTopology({ ...input, latency: { rttMs: -1 } })).toThrow('rtt must be >= 0');
    expect(() => planTopology({ ...input, clientAz: 'az-q' })).toThrow("client AZ 'az-q'");
  });

  it('isolating a node cuts everything to it and what it dials, not its AZ neighbours', () => {
    const acts = isolate(t, 'n1');
    expect(acts).toEqual([
      { link: 'az-a->n1' },
      { link: 'az-b->n1' },
      { link: 'az-c->n1' },
      { link: 'az-a->n2', sources: ['127.0.1.1'] },
      { link: 'az-a->n3', sources: ['127.0.1.1'] },
      { link: 'az-a->l1', sources: ['127.0.1.1'] },
    ]);
  });

  it('separates a node from an AZ, and AZs from each other', () => {
    expect(separate(t, { node: 'n1' }, { az: 'az-b' })).toEqual([{ link: 'az-a->n2', sources: ['127.0.1.1'] }, { link: 'az-b->n1' }]);
    const azCut = separate(t, { az: 'az-a' }, { az: 'az-c' });
    expect(azCut).toEqual([{ link: 'az-a->n3' }, { link: 'az-c->n1' }, { link: 'az-c->l1' }]);
    const clients = separate(t, { clients: 'az-a' }, { node: 'n2' });
    expect(clients[0].link).toBe('az-a->n2');
    expect(clients[0].sources).toContain('127.0.0.1');
    expect(clients[0].sources).toContain('127.0.1.200');
  });
});

describe('histogram', () => {
  it('is exact below 256 us and within 1% above', () => {
    for (const v of [0, 1, 255, 256, 257, 1000, 12_345, 999_999, 2 ** 33 + 5]) {
      const i = _layout.indexOf(v);
      const lo = _layout.valueOf(i);
      expect(lo).toBeLessThanOrEqual(v);
      expect(v - lo).toBeLessThanOrEqual(Math.max(0, v * 0.008));
      expect(_layout.indexOf(lo)).toBe(i);
    }
  });

  it('reports percentiles in ms', () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.recordUs(i);
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(0.5, 2);
    expect(s.p99).toBeCloseTo(0.99, 2);
    expect(s.min).toBe(0.001);
    expect(s.max).toBe(1);
    expect(s.mean).toBeCloseTo(0.5005, 4);
    h.reset();
    expect(Number.isNaN(h.summary().p50)).toBe(true);
  });
});
