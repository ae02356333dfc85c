/**
 * Topology profiles (profiles/topology/<name>.yaml): the defaults of `memlab up`, validated
 * with clear errors, then overridden by flags. `resolveSpec` turns profile + overrides into
 * the ClusterSpec every other part of lab/cluster works from (units parsed, names checked).
 */
import { ProfileError, loadProfile } from '../profiles/load.js';
import { parseDuration } from '../profiles/units.js';
import type { NetRequest } from '../network/netem.js';
import type { ClockKind } from '../network/clock.js';

export const MODES = ['plain', 'wait', 'durable'] as const;
export type Mode = (typeof MODES)[number];
export type Backend = 'process' | 'docker';

const DURATION = {
  type: ['number', 'string'],
  minimum: 0,
  pattern: '^\\d+(\\.\\d+)?\\s*(us|ms|s|m)?$',
  description: 'a duration, e.g. 1ms, 0.5ms, 250us, 2s (a bare number is ms)',
};
const AZ_NAME = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,15}$', description: 'lower-case letters, digits and dashes, at most 16 characters' };

export const TOPOLOGY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', description: 'letters, digits, dot, dash, underscore' },
    description: { type: 'string' },
    mode: { enum: [...MODES], default: 'plain' },
    azs: { type: 'array', items: AZ_NAME, minItems: 1, maxItems: 16, uniqueItems: true, default: ['az-a', 'az-b', 'az-c'] },
    replicas: { type: 'integer', minimum: 0, maximum: 15, default: 2 },
    clientAz: AZ_NAME,
    latency: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        rtt: { ...DURATION, default: '1ms' },
        jitter: { ...DURATION, default: '0.1ms' },
        pairs: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['a', 'b', 'rtt'],
            properties: { a: AZ_NAME, b: AZ_NAME, rtt: DURATION, jitter: DURATION },
          },
        },
      },
    },
    net: { enum: ['auto', 'netem', 'proxy', 'none'], default: 'auto' },
    backend: { enum: ['process', 'docker'], default: 'process' },
    ports: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { base: { type: ['integer', 'string'], minimum: 1, maximum: 65000, pattern: '^auto$', description: "'auto' or a port number", default: 'auto' } },
    },
    supervisor: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        az: AZ_NAME,
        masterName: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', description: 'letters, digits, dot, dash, underscore', default: 'memlab' },
        probeInterval: { ...DURATION, default: '100ms' },
        downAfter: { ...DURATION, default: '1000ms' },
        failoverTimeout: { ...DURATION, default: '5s' },
      },
    },
    engine: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { config: { type: 'object', default: {}, additionalProperties: { type: ['string', 'number', 'boolean'] } } },
    },
    proxy: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        sameAz: { enum: ['proxy', 'direct'], default: 'proxy' },
        clock: { enum: ['worker', 'timer', 'immediate'], default: 'worker' },
      },
    },
    docker: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { image: { type: 'string', minLength: 1, default: 'node:20-bookworm-slim' } },
    },
  },
};

/** The YAML file after defaults. */
export interface TopologyProfile {
  name: string;
  description?: string;
  mode: Mode;
  azs: string[];
  replicas: number;
  clientAz?: string;
  latency: { rtt: number | string; jitter: number | string; pairs: { a: string; b: string; rtt: number | string; jitter?: number | string }[] };
  net: NetRequest;
  backend: Backend;
  ports: { base: number | 'auto' };
  supervisor: { az?: string; masterName: string; probeInterval: number | string; downAfter: number | string; failoverTimeout: number | string };
  engine: { config: Record<string, string | number | boolean> };
  proxy: { sameAz: 'proxy' | 'direct'; clock: ClockKind };
  docker: { image: string };
}

/** What flags (memlab up) and callers (bench, chaos, tests) may override. */
export interface UpOverrides {
  /** Topology profile name (profiles/topology/<name>.yaml) or file; default 'default'. */
  topology?: string;
  mode?: Mode;
  replicas?: number;
  /** Number of AZs: the first N names of the profile's list (az-d... made up past it). */
  azs?: number;
  rttMs?: number;
  jitterMs?: number;
  net?: NetRequest;
  backend?: Backend;
  basePort?: number;
  downAfterMs?: number;
  probeIntervalMs?: number;
  /** Engine options merged over the profile's (memlab server -c). */
  engineConfig?: Record<string, string | number | boolean>;
  /** Engine options of single nodes, e.g. { n2: { 'replica-priority': 50 } }. */
  nodeConfig?: Record<string, Record<string, string | number | boolean>>;
  failoverTimeoutMs?: number;
  /** Overrides the profile's proxy.sameAz (memlab bench: direct, it injects no faults). */
  sameAz?: 'proxy' | 'direct';
}

/** A fully resolved cluster description: plain data, stored in the state file. */
export interface ClusterSpec {
  profile: string;
  profilePath: string;
  mode: Mode;
  azs: string[];
  replicas: number;
  clientAz: string;
  rttMs: number;
  jitterMs: number;
  pairs: { a: string; b: string; rttMs: number; jitterMs?: number }[];
  net: NetRequest;
  backend: Backend;
  basePort: number | 'auto';
  supervisor: { az: string; masterName: string; probeIntervalMs: number; downAfterMs: number; failoverTimeoutMs: number };
  engineConfig: Record<string, string>;
  nodeConfig: Record<string, Record<string, string>>;
  sameAz: 'proxy' | 'direct';
  clock: ClockKind;
  dockerImage: string;
}

export function loadTopologyProfile(nameOrPath = 'default'): { path: string; profile: TopologyProfile } {
  return loadProfile<TopologyProfile>('topology', nameOrPath, TOPOLOGY_SCHEMA);
}

function ms(v: number | string, field: string, source: string): number {
  const d = parseDuration(v);
  if (d === null) throw new ProfileError(`${source}: field '${field}' must be a duration such as 1ms or 500us, got '${v}'`);
  return d;
}

/** az-a, az-b, ... az-z, az-aa, ... */
function azName(i: number): string {
  let s = '';
  let n = i;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return `az-${s}`;
}

/** Profile + overrides -> ClusterSpec; every inconsistency is a ProfileError naming the field. */
export function resolveSpec(o: UpOverrides = {}): ClusterSpec {
  const { path: file, profile: p } = loadTopologyProfile(o.topology ?? 'default');
  const src = file;
  let azs = [...p.azs];
  if (o.azs !== undefined) {
    if (!Number.isInteger(o.azs) || o.azs < 1 || o.azs > 16) throw new ProfileError(`--azs must be an integer 1-16, got ${o.azs}`);
    for (let i = azs.length; i < o.azs; i++) {
      let name = azName(i);
      for (let k = i; azs.includes(name); k++) name = azName(k + 1);
      azs.push(name);
    }
    azs = azs.slice(0, o.azs);
  }
  const replicas = o.replicas ?? p.replicas;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 15) throw new ProfileError(`--replicas must be an integer 0-15, got ${replicas}`);
  const inAzs = (az: string | undefined, what: string): string => {
    const v = az ?? azs[0];
    if (!azs.includes(v)) throw new ProfileError(`${src}: ${what} '${v}' is not one of the cluster's AZs (${azs.join(', ')})`);
    return v;
  };
  const clientAz = inAzs(p.clientAz, 'clientAz');
  const supAz = inAzs(p.supervisor.az ?? clientAz, 'supervisor.az');
  const pairs = p.latency.pairs
    .filter((x) => azs.includes(x.a) && azs.includes(x.b))
    .map((x, i) => ({
      a: x.a,
      b: x.b,
      rttMs: ms(x.rtt, `latency.pairs.${i}.rtt`, src),
      ...(x.jitter === undefined ? {} : { jitterMs: ms(x.jitter, `latency.pairs.${i}.jitter`, src) }),
    }));
  for (const x of p.latency.pairs) {
    if (o.azs === undefined && (!azs.includes(x.a) || !azs.includes(x.b))) throw new ProfileError(`${src}: latency pair ${x.a}/${x.b} names an AZ not in azs (${azs.join(', ')})`);
  }
  const rttMs = o.rttMs ?? ms(p.latency.rtt, 'latency.rtt', src);
  const jitterMs = o.jitterMs ?? ms(p.latency.jitter, 'latency.jitter', src);
  if (!(rttMs >= 0) || !(jitterMs >= 0)) throw new ProfileError(`rtt and jitter must be >= 0 ms (got ${rttMs}, ${jitterMs})`);
  if (jitterMs > rttMs) throw new ProfileError(`jitter (${jitterMs} ms) must not exceed the round trip (${rttMs} ms): a delay cannot be negative`);
  const mode = o.mode ?? p.mode;
  if (!(MODES as readonly string[]).includes(mode)) throw new ProfileError(`--mode must be one of ${MODES.join(', ')}, got '${mode}'`);
  const basePort = o.basePort ?? p.ports.base;
  if (basePort !== 'auto' && !(Number.isInteger(basePort) && basePort >= 1 && basePort <= 65000)) throw new ProfileError(`${src}: ports.base must be 'auto' or a port number, got '${basePort}'`);
  const engineConfig: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...p.engine.config, ...(o.engineConfig ?? {}) })) engineConfig[k] = typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
  const nodeConfig: Record<string, Record<string, string>> = {};
  for (const [id, cfg] of Object.entries(o.nodeConfig ?? {})) {
    nodeConfig[id] = {};
    for (const [k, v] of Object.entries(cfg)) nodeConfig[id][k] = typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
  }
  const sup = p.supervisor;
  const probeIntervalMs = o.probeIntervalMs ?? ms(sup.probeInterval, 'supervisor.probeInterval', src);
  const downAfterMs = o.downAfterMs ?? ms(sup.downAfter, 'supervisor.downAfter', src);
  if (probeIntervalMs < 10) throw new ProfileError(`${src}: supervisor.probeInterval must be at least 10ms`);
  if (downAfterMs < probeIntervalMs * 2) throw new ProfileError(`${src}: supervisor.downAfter (${downAfterMs} ms) must be at least twice probeInterval (${probeIntervalMs} ms)`);
  return {
    profile: p.name,
    profilePath: file,
    mode,
    azs,
    replicas,
    clientAz,
    rttMs,
    jitterMs,
    pairs,
    net: o.net ?? p.net,
    backend: o.backend ?? p.backend,
    basePort,
    supervisor: { az: supAz, masterName: sup.masterName, probeIntervalMs, downAfterMs, failoverTimeoutMs: o.failoverTimeoutMs ?? ms(sup.failoverTimeout, 'supervisor.failoverTimeout', src) },
    engineConfig,
    nodeConfig,
    sameAz: o.sameAz ?? p.proxy.sameAz,
    clock: p.proxy.clock,
    dockerImage: p.docker.image,
  };
}
