/** Pricing profiles: profiles/pricing/<name>.yaml (node-hour and per-GB-written prices). */
import { loadProfile } from '../profiles/load.js';

const PRICE = {
  type: 'object',
  additionalProperties: false,
  required: ['source', 'asOf'],
  properties: {
    hourlyUsd: { type: 'number', minimum: 0 },
    usdPerGb: { type: 'number', minimum: 0 },
    source: { type: 'string', pattern: '^https?://', description: 'a URL' },
    asOf: { type: 'string', pattern: '^\\d{4}-\\d{2}(-\\d{2})?$', description: 'a date, YYYY-MM or YYYY-MM-DD' },
  },
};

export const PRICING_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'currency', 'verified', 'services'],
  properties: {
    name: { type: 'string' },
    region: { type: 'string' },
    currency: { enum: ['USD'] },
    verified: { type: 'boolean' },
    note: { type: 'string' },
    hoursPerMonth: { type: 'number', exclusiveMinimum: 0, default: 730 },
    services: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['modes', 'defaultNodeType', 'nodeTypes', 'dataWritten'],
        properties: {
          description: { type: 'string' },
          modes: { type: 'array', minItems: 1, items: { enum: ['plain', 'wait', 'durable'] } },
          defaultNodeType: { type: 'string' },
          nodeTypes: { type: 'object', minProperties: 1, additionalProperties: { ...PRICE, required: ['hourlyUsd', 'source', 'asOf'] } },
          dataWritten: { ...PRICE, required: ['usdPerGb', 'source', 'asOf'] },
        },
      },
    },
  },
};

export interface Price {
  hourlyUsd?: number;
  usdPerGb?: number;
  source: string;
  asOf: string;
}

export interface ServicePricing {
  description?: string;
  modes: string[];
  defaultNodeType: string;
  nodeTypes: Record<string, Price & { hourlyUsd: number }>;
  dataWritten: Price & { usdPerGb: number };
}

export interface Pricing {
  name: string;
  region?: string;
  currency: 'USD';
  verified: boolean;
  note?: string;
  hoursPerMonth: number;
  services: Record<string, ServicePricing>;
}

export function loadPricing(nameOrPath: string): { path: string; pricing: Pricing } {
  const { path, profile } = loadProfile<Pricing>('pricing', nameOrPath, PRICING_SCHEMA);
  for (const [name, s] of Object.entries(profile.services)) {
    if (!s.nodeTypes[s.defaultNodeType]) {
      throw new Error(`${path}: field 'services.${name}.defaultNodeType' must be one of ${Object.keys(s.nodeTypes).join(', ')}`);
    }
  }
  return { path, pricing: profile };
}
