import { describe, expect, it } from 'vitest';
import { computeCost, GB } from '../../../lab/cost/cost.js';
import { loadPricing, type Pricing } from '../../../lab/cost/pricing.js';
import { validate } from '../../../lab/profiles/load.js';
import { PRICING_SCHEMA } from '../../../lab/cost/pricing.js';

const pricing: Pricing = {
  name: 't',
  currency: 'USD',
  verified: false,
  hoursPerMonth: 730,
  services: {
    ec: {
      modes: ['plain', 'wait'],
      defaultNodeType: 'n1',
      nodeTypes: { n1: { hourlyUsd: 0.2, source: 'https://x', asOf: '2024-06' } },
      dataWritten: { usdPerGb: 0, source: 'https://x', asOf: '2024-06' },
    },
    mdb: {
      modes: ['durable'],
      defaultNodeType: 'd1',
      nodeTypes: { d1: { hourlyUsd: 0.3, source: 'https://y', asOf: '2024-06' }, d2: { hourlyUsd: 0.6, source: 'https://y', asOf: '2024-06' } },
      dataWritten: { usdPerGb: 0.2, source: 'https://z', asOf: '2024-05' },
    },
  },
};
const month = 730 * 3600;

describe('cost', () => {
  it('plain/wait: node-hours only', () => {
    // 10 s, 1000 writes/s of 1 KiB.
    const c = computeCost({ pricing, mode: 'wait', nodes: 3, durationSec: 10, writes: 10_000, payloadBytes: 10_000 * 1024 });
    expect(c.service).toBe('ec');
    expect(c.monthlyNodeUsd).toBeCloseTo(3 * 0.2 * 730, 9);
    expect(c.monthlyDataUsd).toBe(0);
    expect(c.billedBytesBasis).toBe('none');
    expect(c.payloadGbPerMonth).toBeCloseTo((1024 * 1000 * month) / GB, 6);
    expect(c.costPerGbUsd).toBeCloseTo(438 / ((1024 * 1000 * month) / GB), 9);
    expect(c.costPerMillionWritesUsd).toBeCloseTo(438 / ((1000 * month) / 1e6), 9);
  });

  it('durable: nodes plus GB written, from the log bytes when reported', () => {
    const payload = computeCost({ pricing, mode: 'durable', nodes: 3, durationSec: 1, writes: 1, payloadBytes: GB / month });
    // Exactly 1 GB of payload over a month.
    expect(payload.billedBytesBasis).toBe('payload');
    expect(payload.monthlyDataUsd).toBeCloseTo(0.2, 9);
    expect(payload.monthlyCostUsd).toBeCloseTo(3 * 0.3 * 730 + 0.2, 9);
    const log = computeCost({ pricing, mode: 'durable', nodes: 3, durationSec: 1, writes: 1, payloadBytes: GB / month, logBytes: (2 * GB) / month });
    expect(log.billedBytesBasis).toBe('log');
    expect(log.monthlyDataUsd).toBeCloseTo(0.4, 9);
    expect(log.costPerGbUsd).toBeCloseTo(3 * 0.3 * 730 + 0.4, 6);
    expect(log.sources).toEqual(['https://y', 'https://z']);
    expect(computeCost({ pricing, mode: 'durable', nodes: 2, nodeType: 'd2', durationSec: 1, writes: 0, payloadBytes: 0 })).toMatchObject({
      nodeType: 'd2',
      monthlyCostUsd: 2 * 0.6 * 730,
      costPerGbUsd: null,
      costPerMillionWritesUsd: null,
    });
  });

  it('refuses unknown node types and modes without a service', () => {
    expect(() => computeCost({ pricing, mode: 'durable', nodes: 1, nodeType: 'x', durationSec: 1, writes: 1, payloadBytes: 1 })).toThrow(/no node type 'x' \(known: d1, d2\)/);
    expect(() => computeCost({ pricing: { ...pricing, services: { ec: pricing.services.ec } }, mode: 'durable', nodes: 1, durationSec: 1, writes: 1, payloadBytes: 1 })).toThrow(/no service for mode 'durable'/);
  });
});

describe('pricing profile', () => {
  it('aws-us-east-1 loads, says it is unverified, and every price has a source URL and a date', () => {
    const { pricing: p } = loadPricing('aws-us-east-1');
    expect(p.verified).toBe(false);
    expect(p.note).toMatch(/re-check/i);
    expect(Object.values(p.services).flatMap((s) => s.modes).sort()).toEqual(['durable', 'plain', 'wait']);
    for (const s of Object.values(p.services)) {
      for (const price of [...Object.values(s.nodeTypes), s.dataWritten]) {
        expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
        expect(price.asOf).toMatch(/^\d{4}-\d{2}/);
      }
    }
    expect(p.services.memorydb.dataWritten.usdPerGb).toBeGreaterThan(0);
  });

  it('rejects a price without its source', () => {
    const bad = structuredClone(pricing) as unknown as { services: { ec: { nodeTypes: { n1: Record<string, unknown> } } } };
    delete bad.services.ec.nodeTypes.n1.source;
    expect(() => validate(bad, PRICING_SCHEMA, 'p.yaml')).toThrow("p.yaml: field 'services.ec.nodeTypes.n1.source' is required");
  });
});
