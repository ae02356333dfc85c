/**
 * Cost per mode at the measured throughput, as if the cluster ran flat out for a month:
 *
 *   monthly       = nodes x node hourly price x hoursPerMonth
 *                 + billed GB written per month x USD per GB (MemoryDB's log; 0 for ElastiCache)
 *   cost per GB   = monthly / payload GB written per month
 *   cost per 1M   = monthly / (writes per month / 1e6)
 *
 * Payload bytes are the key + data bytes of successful writes (lab/workloads/ops.ts). The
 * billed bytes are the bytes the cluster appended to its log when it reports them (durable),
 * else the payload bytes (a lower bound: a real log also stores framing and metadata).
 * GB = 2^30 bytes.
 */
import type { Pricing } from './pricing.js';

export const GB = 2 ** 30;
const SECONDS_PER_HOUR = 3600;

export interface CostInput {
  pricing: Pricing;
  mode: string;
  /** Engine nodes billed (primary + replicas). */
  nodes: number;
  /** Default: the service's defaultNodeType. */
  nodeType?: string;
  durationSec: number;
  /** Successful write operations in the window. */
  writes: number;
  payloadBytes: number;
  /** Bytes appended to the log in the window, if the cluster reported them. */
  logBytes?: number;
}

export interface CostResult {
  service: string;
  nodeType: string;
  nodes: number;
  nodeHourlyUsd: number;
  dataWrittenUsdPerGb: number;
  billedBytesBasis: 'log' | 'payload' | 'none';
  writesPerSec: number;
  payloadBytesPerSec: number;
  payloadGbPerMonth: number;
  billedGbPerMonth: number;
  monthlyNodeUsd: number;
  monthlyDataUsd: number;
  monthlyCostUsd: number;
  /** null when nothing was written. */
  costPerGbUsd: number | null;
  costPerMillionWritesUsd: number | null;
  verified: boolean;
  sources: string[];
  asOf: string[];
}

export function serviceFor(pricing: Pricing, mode: string): string {
  const hit = Object.entries(pricing.services).find(([, s]) => s.modes.includes(mode));
  if (!hit) throw new Error(`pricing profile '${pricing.name}' has no service for mode '${mode}'`);
  return hit[0];
}

export function computeCost(input: CostInput): CostResult {
  const { pricing } = input;
  const service = serviceFor(pricing, input.mode);
  const s = pricing.services[service];
  const nodeType = input.nodeType ?? s.defaultNodeType;
  const node = s.nodeTypes[nodeType];
  if (!node) throw new Error(`pricing profile '${pricing.name}': ${service} has no node type '${nodeType}' (known: ${Object.keys(s.nodeTypes).join(', ')})`);
  if (!(input.durationSec > 0)) throw new Error('cost: duration must be > 0');
  const secondsPerMonth = pricing.hoursPerMonth * SECONDS_PER_HOUR;
  const writesPerSec = input.writes / input.durationSec;
  const payloadBytesPerSec = input.payloadBytes / input.durationSec;
  const perGb = s.dataWritten.usdPerGb;
  const basis: CostResult['billedBytesBasis'] = perGb === 0 ? 'none' : input.logBytes !== undefined ? 'log' : 'payload';
  const billedBytesPerSec = basis === 'log' ? input.logBytes! / input.durationSec : basis === 'payload' ? payloadBytesPerSec : 0;
  const payloadGbPerMonth = (payloadBytesPerSec * secondsPerMonth) / GB;
  const billedGbPerMonth = (billedBytesPerSec * secondsPerMonth) / GB;
  const monthlyNodeUsd = input.nodes * node.hourlyUsd * pricing.hoursPerMonth;
  const monthlyDataUsd = billedGbPerMonth * perGb;
  const monthlyCostUsd = monthlyNodeUsd + monthlyDataUsd;
  const writesPerMonth = writesPerSec * secondsPerMonth;
  return {
    service,
    nodeType,
    nodes: input.nodes,
    nodeHourlyUsd: node.hourlyUsd,
    dataWrittenUsdPerGb: perGb,
    billedBytesBasis: basis,
    writesPerSec,
    payloadBytesPerSec,
    payloadGbPerMonth,
    billedGbPerMonth,
    monthlyNodeUsd,
    monthlyDataUsd,
    monthlyCostUsd,
    costPerGbUsd: payloadGbPerMonth > 0 ? monthlyCostUsd / payloadGbPerMonth : null,
    costPerMillionWritesUsd: writesPerMonth > 0 ? monthlyCostUsd / (writesPerMonth / 1e6) : null,
    verified: pricing.verified,
    sources: [...new Set([node.source, s.dataWritten.source])],
    asOf: [...new Set([node.asOf, s.dataWritten.asOf])],
  };
}
