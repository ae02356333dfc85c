/**
 * Workload profiles: profiles/workloads/<name>.yaml, validated against WORKLOAD_SCHEMA
 * (defaults filled in), then command-line overrides (`--set path=value`) applied and the
 * result validated again, so an override gets the same clear errors as the file.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { ProfileError, resolveProfile, validate } from '../profiles/load.js';
import { parseDuration, parseRate, parseSize } from '../profiles/units.js';
import { OPS, OP_NAMES, type Family } from './ops.js';

const DURATION = { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(us|ms|s|m|h)$', description: 'a duration with a unit, e.g. 500ms, 10s, 1m' };
const SIZE = {
  type: ['integer', 'string'],
  minimum: 0,
  pattern: '^\\d+(\\.\\d+)?\\s*([kKmMgG]?[iI]?[bB]|[kKmMgG])?$',
  description: 'a size in bytes, e.g. 100, 1kb, 4KiB',
};

const opWeights: Record<string, object> = {};
for (const n of OP_NAMES) opWeights[n] = { type: 'number', minimum: 0 };

export const WORKLOAD_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'ops'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', description: 'letters, digits, dot, dash, underscore' },
    description: { type: 'string' },
    keys: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        count: { type: 'integer', minimum: 1, maximum: 100_000_000, default: 100_000 },
        distribution: { enum: ['uniform', 'zipfian', 'sequential'], default: 'uniform' },
        theta: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.99 },
        prefix: { type: 'string', default: 'memlab:' },
      },
    },
    values: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { min: { ...SIZE, default: 100 }, max: { ...SIZE, default: 100 } },
    },
    members: { type: 'integer', minimum: 1, default: 1000 },
    rangeSize: { type: 'integer', minimum: 1, default: 10 },
    ttlSeconds: { type: 'integer', minimum: 0, default: 0 },
    ops: { type: 'object', additionalProperties: false, minProperties: 1, properties: opWeights },
    connections: { type: 'integer', minimum: 1, maximum: 10_000, default: 50 },
    pipeline: { type: 'integer', minimum: 1, maximum: 10_000, default: 1 },
    duration: { ...DURATION, default: '10s' },
    warmup: { ...DURATION, default: '2s' },
    rate: {
      type: ['number', 'string', 'null'],
      minimum: 0,
      pattern: '^(closed|\\d+(\\.\\d+)?\\s*([kK]|[mM])?\\s*(/s)?)$',
      description: "null or 'closed' for closed-loop, or a target rate such as 20000, 20k, 20k/s",
      default: null,
    },
    maxInFlight: { type: 'integer', minimum: 1, default: 1000 },
    wait: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        replicas: { type: 'integer', minimum: 0, default: 1 },
        timeoutMs: { type: 'integer', minimum: 0, default: 1000 },
      },
    },
    prefill: { type: 'boolean', default: true },
    seed: { type: 'integer', minimum: 0, default: 1 },
  },
};

/** As in the YAML file after defaults. */
export interface WorkloadProfile {
  name: string;
  description?: string;
  keys: { count: number; distribution: 'uniform' | 'zipfian' | 'sequential'; theta: number; prefix: string };
  values: { min: number | string; max: number | string };
  members: number;
  rangeSize: number;
  ttlSeconds: number;
  ops: Record<string, number>;
  connections: number;
  pipeline: number;
  duration: string;
  warmup: string;
  rate: number | string | null;
  maxInFlight: number;
  wait: { replicas: number; timeoutMs: number };
  prefill: boolean;
  seed: number;
}

/** What the load generator runs: units parsed, mix normalized. Plain data (goes to workers). */
export interface Workload {
  name: string;
  keys: WorkloadProfile['keys'];
  values: { min: number; max: number };
  members: number;
  rangeSize: number;
  ttlSeconds: number;
  /** Ops with weight > 0, weights as given. */
  mix: { op: string; weight: number }[];
  families: Family[];
  connections: number;
  pipeline: number;
  durationMs: number;
  warmupMs: number;
  /** Target ops/s for open-loop; null for closed-loop. */
  rate: number | null;
  maxInFlight: number;
  wait: { replicas: number; timeoutMs: number };
  prefill: boolean;
  seed: number;
}

export interface LoadedWorkload {
  /** The file it came from. */
  path: string;
  /** Profile after defaults and overrides (written to results/<run>/profile.yaml). */
  profile: WorkloadProfile;
  workload: Workload;
  overrides: string[];
}

function schemaAt(pathParts: string[]): { schema: Record<string, unknown> | undefined; known: string[] } {
  let s: Record<string, unknown> = WORKLOAD_SCHEMA;
  for (const part of pathParts) {
    const props = s.properties as Record<string, Record<string, unknown>> | undefined;
    if (!props || !props[part]) return { schema: undefined, known: props ? Object.keys(props) : [] };
    s = props[part];
  }
  return { schema: s, known: [] };
}

/**
 * Apply `path=value` overrides (dots for nesting: keys.distribution=zipfian, ops.get=80,
 * wait.timeoutMs=50). Values are read as YAML scalars (numbers, true/false, null), except
 * where the field is a plain string.
 */
export function applyOverrides(profile: Record<string, unknown>, pairs: string[]): void {
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ProfileError(`--set ${pair}: expected path=value, e.g. connections=100 or keys.distribution=zipfian`);
    const path = pair.slice(0, eq).trim();
    const text = pair.slice(eq + 1);
    const parts = path.split('.');
    for (let i = 1; i <= parts.length; i++) {
      const { schema, known } = schemaAt(parts.slice(0, i));
      if (!schema) {
        const where = parts.slice(0, i - 1).join('.') || 'the top level';
        throw new ProfileError(`--set ${pair}: '${parts.slice(0, i).join('.')}' is not a workload field (known at ${where}: ${known.join(', ')})`);
      }
    }
    const leaf = schemaAt(parts).schema!;
    let value: unknown;
    if (leaf.type === 'string') value = text;
    else {
      try {
        value = YAML.parse(text);
      } catch {
        value = text;
      }
      if (value === undefined) value = null;
    }
    let obj = profile;
    for (const part of parts.slice(0, -1)) {
      const next = obj[part];
      if (typeof next !== 'object' || next === null) obj[part] = {};
      obj = obj[part] as Record<string, unknown>;
    }
    obj[parts[parts.length - 1]] = value;
  }
}

/** `get=90,set=10` into an ops mix (replaces the profile's). */
export function parseMix(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+)\s*[=:]\s*(\d+(\.\d+)?)$/i.exec(item);
    if (!m) throw new ProfileError(`--mix: '${item}' should be op=weight, e.g. get=90,set=10`);
    out[m[1].toLowerCase()] = Number(m[2]);
  }
  return out;
}

/** Checks the schema cannot express, then units into numbers. */
export function resolveWorkload(p: WorkloadProfile, source: string): Workload {
  const bad = (field: string, msg: string): never => {
    throw new ProfileError(`${source}: field '${field}' ${msg}`);
  };
  const min = parseSize(p.values.min);
  const max = parseSize(p.values.max);
  if (min === null) bad('values.min', 'must be a size in bytes, e.g. 100, 1kb');
  if (max === null) bad('values.max', 'must be a size in bytes, e.g. 100, 1kb');
  if (min! > max!) bad('values.min', `(${min}) must be <= values.max (${max})`);
  if (max! > 512 * 1024 * 1024) bad('values.max', 'must be at most 512mb (the Redis limit)');
  const mix = Object.entries(p.ops)
    .filter(([, w]) => w > 0)
    .map(([op, weight]) => ({ op, weight }));
  if (mix.length === 0) bad('ops', `needs at least one operation with weight > 0 (known: ${OP_NAMES.join(', ')})`);
  const durationMs = parseDuration(p.duration)!;
  if (durationMs < 100) bad('duration', 'must be at least 100ms');
  const warmupMs = parseDuration(p.warmup)!;
  let rate: number | null = null;
  if (typeof p.rate === 'number') rate = p.rate > 0 ? p.rate : null;
  else if (typeof p.rate === 'string' && p.rate !== 'closed') {
    rate = parseRate(p.rate);
    if (rate === null) bad('rate', "must be null, 'closed' or a rate such as 20000, 20k, 20k/s");
  }
  const families = [...new Set(mix.map((m) => OPS[m.op].family))];
  return {
    name: p.name,
    keys: { ...p.keys },
    values: { min: min!, max: max! },
    members: p.members,
    rangeSize: p.rangeSize,
    ttlSeconds: p.ttlSeconds,
    mix,
    families,
    connections: p.connections,
    pipeline: p.pipeline,
    durationMs,
    warmupMs,
    rate,
    maxInFlight: p.maxInFlight,
    wait: { ...p.wait },
    prefill: p.prefill,
    seed: p.seed,
  };
}

function checkOpNames(data: unknown, source: string): void {
  const ops = (data as { ops?: unknown } | null)?.ops;
  if (ops && typeof ops === 'object') {
    for (const k of Object.keys(ops)) {
      if (!OP_NAMES.includes(k)) throw new ProfileError(`${source}: field 'ops.${k}' is not a known operation (known: ${OP_NAMES.join(', ')})`);
    }
  }
}

/** Load a workload by name or path, apply overrides, validate, resolve. */
export function loadWorkload(nameOrPath: string, overrides: string[] = []): LoadedWorkload {
  const path = resolveProfile('workloads', nameOrPath);
  let data: unknown;
  try {
    data = YAML.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ProfileError(`${path}: not valid YAML: ${(e as Error).message}`);
  }
  // Op names first: the schema alone cannot list the known ones in its message.
  checkOpNames(data, path);
  const profile = validate<WorkloadProfile>(data, WORKLOAD_SCHEMA, path);
  if (overrides.length === 0) return { path, profile, workload: resolveWorkload(profile, path), overrides };
  const copy = structuredClone(profile) as unknown as Record<string, unknown>;
  applyOverrides(copy, overrides);
  const source = `${path} with --set ${overrides.join(' ')}`;
  checkOpNames(copy, source);
  const validated = validate<WorkloadProfile>(copy, WORKLOAD_SCHEMA, source);
  return { path, profile: validated, workload: resolveWorkload(validated, source), overrides };
}

/** Validate an in-memory profile (tests, chaos). */
export function workloadFrom(data: unknown, source = '(inline workload)'): Workload {
  const copy = structuredClone(data);
  checkOpNames(copy, source);
  return resolveWorkload(validate<WorkloadProfile>(copy, WORKLOAD_SCHEMA, source), source);
}
