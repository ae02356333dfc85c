/**
 * Chaos scenarios: profiles/chaos/<name>.yaml, a timed sequence of faults under the chaos
 * workload (docs/chaos.md lists every field). Validated in two steps, both with errors that
 * name the file and the field: the JSON schema (lab/profiles/load.ts), then what a schema
 * cannot say (fault order, targets, references, modes).
 */
import { ProfileError, listProfiles, loadProfile } from '../profiles/load.js';
import { parseDuration } from '../profiles/units.js';
import { MODES, type CutPeer, type Mode } from './cluster-api.js';
import type { ChaosWorkloadConfig, DataType } from './workload.js';

const DURATION = { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(us|ms|s|m)$', description: 'a duration with a unit, e.g. 500ms, 3s' };
export const FAULT_KINDS = ['kill', 'crash', 'pause', 'resume', 'cut', 'heal', 'restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
const TARGET = {
  type: 'string',
  pattern: '^(primary|replica|replicas|all|log|az:primary|az:[a-z0-9-]+|[nl]\\d+|\\$[A-Za-z_][A-Za-z0-9_]*)$',
  description: 'primary, replica, replicas, all, log, az:primary, az:<name>, a node id (n2, l1) or $name bound by an earlier fault',
};
const PEER = {
  type: 'string',
  pattern: '^(primary|replicas|log|supervisor|clients|[nl]\\d+)$',
  description: 'primary, replicas, log, supervisor, clients or a node id',
};

export const SCENARIO_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'faults'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', description: 'letters, digits, dot, dash, underscore' },
    description: { type: 'string' },
    round: { ...DURATION, default: '8s' },
    settleTimeout: { ...DURATION, default: '20s' },
    skip: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: Object.fromEntries(MODES.map((m) => [m, { type: 'string', minLength: 1 }])),
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        priorities: {
          type: 'object',
          default: {},
          propertyNames: { pattern: '^n\\d+$' },
          additionalProperties: { type: 'integer', minimum: 0, maximum: 1000 },
        },
        rtt: { ...DURATION, default: '1ms' },
        jitter: { ...DURATION, default: '0.1ms' },
        downAfter: { ...DURATION, default: '1s' },
        failoverTimeout: { ...DURATION, default: '5s' },
        probeInterval: { ...DURATION, default: '100ms' },
      },
    },
    workload: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        clients: { type: 'integer', minimum: 1, maximum: 1000, default: 8 },
        readFraction: { type: 'number', minimum: 0, maximum: 1, default: 0.2 },
        mix: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            register: { type: 'number', minimum: 0, default: 1 },
            set: { type: 'number', minimum: 0, default: 1 },
            counter: { type: 'number', minimum: 0, default: 1 },
          },
        },
        keysPerType: { type: 'integer', minimum: 1, default: 8 },
        opsPerKey: { type: 'integer', minimum: 1, maximum: 2000, default: 150 },
        opTimeout: { ...DURATION, default: '1s' },
        connectTimeout: { ...DURATION, default: '500ms' },
        wait: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { replicas: { type: 'integer', minimum: 1, default: 1 }, timeout: { ...DURATION, default: '100ms' } },
        },
      },
    },
    faults: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'do'],
        properties: {
          at: DURATION,
          do: { enum: [...FAULT_KINDS] },
          target: TARGET,
          from: { type: 'array', minItems: 1, items: PEER },
          empty: { type: 'boolean' },
          as: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'a name: letters, digits, underscore' },
          note: { type: 'string' },
        },
      },
    },
  },
};

/** The YAML file after defaults. */
export interface ScenarioProfile {
  name: string;
  description?: string;
  round: string;
  settleTimeout: string;
  skip: Partial<Record<Mode, string>>;
  cluster: {
    priorities: Record<string, number>;
    rtt: string;
    jitter: string;
    downAfter: string;
    failoverTimeout: string;
    probeInterval: string;
  };
  workload: {
    clients: number;
    readFraction: number;
    mix: Record<DataType, number>;
    keysPerType: number;
    opsPerKey: number;
    opTimeout: string;
    connectTimeout: string;
    wait: { replicas: number; timeout: string };
  };
  faults: FaultSpec[];
}

export interface FaultSpec {
  at: string;
  do: FaultKind;
  target?: string;
  from?: string[];
  empty?: boolean;
  as?: string;
  note?: string;
}

/** A fault with its time parsed (ms since the round's start). */
export interface ScheduledFault extends FaultSpec {
  atMs: number;
}

export interface Scenario {
  path: string;
  profile: ScenarioProfile;
  name: string;
  roundMs: number;
  settleTimeoutMs: number;
  faults: ScheduledFault[];
  cluster: { priorities: Record<string, number>; rttMs: number; jitterMs: number; downAfterMs: number; failoverTimeoutMs: number; probeIntervalMs: number };
  workload: Omit<ChaosWorkloadConfig, 'wait' | 'keyPrefix' | 'seed'> & { wait: { replicas: number; timeoutMs: number } };
}

const usesLog = (s: string) => s === 'log' || /^l\d+$/.test(s);

/** Schema-valid profile → Scenario, or a ProfileError naming the field. */
export function resolveScenario(profile: ScenarioProfile, source: string, overrides: { roundMs?: number; clients?: number } = {}): Scenario {
  const bad = (field: string, why: string): never => {
    throw new ProfileError(`${source}: field '${field}' ${why}`);
  };
  const ms = (v: string, field: string) => parseDuration(v) ?? bad(field, `must be a duration such as 500ms or 3s, got '${v}'`);
  const roundMs = overrides.roundMs ?? ms(profile.round, 'round');
  if (roundMs <= 0) bad('round', 'must be longer than 0');
  const bound = new Set<string>();
  let prev = -1;
  const faults: ScheduledFault[] = profile.faults.map((f, i) => {
    const field = `faults.${i}`;
    const atMs = ms(f.at, `${field}.at`);
    if (atMs < prev) bad(`${field}.at`, `is ${f.at}, before the fault above it: list faults in time order`);
    prev = atMs;
    if (atMs >= roundMs) bad(`${field}.at`, `is ${f.at}, not inside the round (${profile.round}${overrides.roundMs ? `, --duration ${roundMs} ms` : ''})`);
    if (f.do === 'heal') {
      if (f.target !== undefined) bad(`${field}.target`, 'is not allowed with heal (heal lifts every cut)');
    } else if (f.target === undefined) bad(`${field}.target`, `is required with ${f.do}`);
    if (f.from !== undefined && f.do !== 'cut') bad(`${field}.from`, `is only allowed with cut, not ${f.do}`);
    if (f.do === 'cut' && f.from === undefined) bad(`${field}.from`, 'is required with cut: who the target is cut off from (primary, replicas, log, supervisor, clients, a node id)');
    if (f.empty !== undefined && f.do !== 'restart') bad(`${field}.empty`, `is only allowed with restart, not ${f.do}`);
    if (f.target?.startsWith('$') && !bound.has(f.target.slice(1))) bad(`${field}.target`, `refers to ${f.target}, which no earlier fault binds with 'as'`);
    if (f.as) {
      if (bound.has(f.as)) bad(`${field}.as`, `binds '${f.as}' a second time`);
      bound.add(f.as);
    }
    const logTouched = (f.target !== undefined && usesLog(f.target)) || (f.from !== undefined && f.from.length > 0 && f.from.every(usesLog));
    if (logTouched && (!profile.skip.plain || !profile.skip.wait)) {
      bad(`${field}.target`, 'aims at log replicas, which exist in durable mode only: add skip.plain and skip.wait saying so');
    }
    return { ...f, atMs };
  });
  for (const id of Object.keys(profile.cluster.priorities)) if (!/^n[1-9]\d*$/.test(id)) bad(`cluster.priorities.${id}`, 'must name an engine node (n1, n2, ...)');
  const c = profile.cluster;
  const w = profile.workload;
  const cluster = {
    priorities: c.priorities,
    rttMs: ms(c.rtt, 'cluster.rtt'),
    jitterMs: ms(c.jitter, 'cluster.jitter'),
    downAfterMs: ms(c.downAfter, 'cluster.downAfter'),
    failoverTimeoutMs: ms(c.failoverTimeout, 'cluster.failoverTimeout'),
    probeIntervalMs: ms(c.probeInterval, 'cluster.probeInterval'),
  };
  if (cluster.jitterMs > cluster.rttMs) bad('cluster.jitter', `(${c.jitter}) must not exceed cluster.rtt (${c.rtt})`);
  if (cluster.downAfterMs < 2 * cluster.probeIntervalMs) bad('cluster.downAfter', `(${c.downAfter}) must be at least twice cluster.probeInterval (${c.probeInterval})`);
  if (w.mix.register + w.mix.set + w.mix.counter <= 0) bad('workload.mix', 'needs a weight > 0 for at least one of register, set, counter');
  return {
    path: source,
    profile,
    name: profile.name,
    roundMs,
    settleTimeoutMs: ms(profile.settleTimeout, 'settleTimeout'),
    faults,
    cluster,
    workload: {
      clients: overrides.clients ?? w.clients,
      mix: w.mix,
      readFraction: w.readFraction,
      keysPerType: w.keysPerType,
      opsPerKey: w.opsPerKey,
      opTimeoutMs: ms(w.opTimeout, 'workload.opTimeout'),
      connectTimeoutMs: ms(w.connectTimeout, 'workload.connectTimeout'),
      wait: { replicas: w.wait.replicas, timeoutMs: ms(w.wait.timeout, 'workload.wait.timeout') },
    },
  };
}

export function loadScenario(nameOrPath: string, overrides: { roundMs?: number; clients?: number } = {}): Scenario {
  const { path, profile } = loadProfile<ScenarioProfile>('chaos', nameOrPath, SCENARIO_SCHEMA);
  return resolveScenario(profile, path, overrides);
}

/** `all` or a comma-separated list of names/files. */
export function loadScenarios(spec: string, overrides: { roundMs?: number; clients?: number } = {}): Scenario[] {
  const names = spec === 'all' ? listProfiles('chaos') : spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new ProfileError('no chaos scenarios found (profiles/chaos/*.yaml)');
  return names.map((n) => loadScenario(n, overrides));
}

export function skipReason(s: Scenario, mode: Mode): string | null {
  return s.profile.skip[mode] ?? null;
}

/** What the runner knows when it resolves a target. */
export interface TargetContext {
  primary: string | null;
  /** Engine nodes in id order, with AZs. */
  engines: { id: string; az: string }[];
  logs: { id: string; az: string }[];
  bound: Map<string, string[]>;
}

/** Node ids a fault target names, at the moment the fault fires. */
export function resolveTarget(target: string, ctx: TargetContext): string[] {
  const all = [...ctx.engines, ...ctx.logs];
  const azOf = (id: string) => all.find((n) => n.id === id)?.az;
  if (target.startsWith('$')) {
    const v = ctx.bound.get(target.slice(1));
    if (!v) throw new Error(`fault target ${target} is not bound`);
    return v;
  }
  switch (target) {
    case 'primary':
      if (!ctx.primary) throw new Error('no primary is known now');
      return [ctx.primary];
    case 'replicas':
      return ctx.engines.filter((n) => n.id !== ctx.primary).map((n) => n.id);
    case 'replica': {
      const r = ctx.engines.find((n) => n.id !== ctx.primary);
      if (!r) throw new Error('the cluster has no replica');
      return [r.id];
    }
    case 'all':
      return all.map((n) => n.id);
    case 'log': {
      // A log replica outside the primary's AZ, so that losing it and then the primary are two failures.
      const paz = ctx.primary ? azOf(ctx.primary) : undefined;
      const l = ctx.logs.find((n) => n.az !== paz) ?? ctx.logs[0];
      if (!l) throw new Error('the cluster has no log replica');
      return [l.id];
    }
    case 'az:primary': {
      if (!ctx.primary) throw new Error('no primary is known now');
      const az = azOf(ctx.primary);
      return all.filter((n) => n.az === az).map((n) => n.id);
    }
    default:
      if (target.startsWith('az:')) {
        const az = target.slice(3);
        const ids = all.filter((n) => n.az === az).map((n) => n.id);
        if (!ids.length) throw new Error(`no nodes in AZ '${az}'`);
        return ids;
      }
      if (!all.some((n) => n.id === target)) throw new Error(`no node '${target}' (nodes: ${all.map((n) => n.id).join(', ')})`);
      return [target];
  }
}

export function resolvePeers(from: string[]): CutPeer[] {
  return from.map((p) => (['primary', 'replicas', 'log', 'supervisor', 'clients'].includes(p) ? (p as CutPeer) : { node: p }));
}
