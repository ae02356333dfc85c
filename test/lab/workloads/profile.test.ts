import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listProfiles, ProfileError } from '../../../lab/profiles/load.js';
import { loadWorkload, parseMix, workloadFrom } from '../../../lab/workloads/profile.js';

function tmpProfile(body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-wl-'));
  const f = path.join(dir, 'w.yaml');
  writeFileSync(f, body);
  return f;
}

describe('shipped workload profiles', () => {
  const names = listProfiles('workloads');
  it('include the six the issue asks for', () => {
    for (const n of ['cache-90-10', 'session-50-50', 'write-heavy-10-90', 'counters', 'leaderboard', 'queue']) expect(names).toContain(n);
  });

  it.each(names)('%s loads, validates and has a sensible mix', (name) => {
    const { workload } = loadWorkload(name);
    expect(workload.name).toBe(name);
    expect(workload.mix.length).toBeGreaterThan(0);
    expect(workload.durationMs).toBeGreaterThan(0);
    expect(workload.values.min).toBeLessThanOrEqual(workload.values.max);
  });

  it('have the mixes their names promise', () => {
    const weights = (n: string) => Object.fromEntries(loadWorkload(n).workload.mix.map((m) => [m.op, m.weight]));
    expect(weights('cache-90-10')).toEqual({ get: 90, set: 10 });
    expect(weights('session-50-50')).toEqual({ get: 50, set: 50 });
    expect(weights('write-heavy-10-90')).toEqual({ get: 10, set: 90 });
    expect(Object.keys(weights('counters')).sort()).toEqual(['get', 'incr', 'incrby']);
    expect(Object.keys(weights('leaderboard')).sort()).toEqual(['zadd', 'zincrby', 'zrange', 'zrevrange']);
    expect(weights('queue')).toEqual({ lpush: 50, rpop: 50 });
  });
});

describe('defaults and units', () => {
  it('fills every default and parses units', () => {
    const w = workloadFrom({ name: 'x', ops: { get: 1 } });
    expect(w).toMatchObject({
      keys: { count: 100000, distribution: 'uniform', theta: 0.99, prefix: 'memlab:' },
      values: { min: 100, max: 100 },
      connections: 50,
      pipeline: 1,
      durationMs: 10000,
      warmupMs: 2000,
      rate: null,
      wait: { replicas: 1, timeoutMs: 1000 },
      prefill: true,
    });
    expect(workloadFrom({ name: 'x', ops: { get: 1 }, values: { min: '1kb', max: '4KiB' }, rate: '20k/s' })).toMatchObject({
      values: { min: 1000, max: 4096 },
      rate: 20000,
    });
    expect(workloadFrom({ name: 'x', ops: { get: 1 }, rate: 'closed' }).rate).toBeNull();
    expect(workloadFrom({ name: 'x', ops: { get: 1 }, rate: 0 }).rate).toBeNull();
    expect(workloadFrom({ name: 'x', ops: { get: 0, set: 1 } }).mix).toEqual([{ op: 'set', weight: 1 }]);
  });
});

describe('validation errors name the file, the field and what is allowed', () => {
  it('bad enum', () => {
    const f = tmpProfile('name: x\nops: { get: 1 }\nkeys: { distribution: zipf }\n');
    expect(() => loadWorkload(f)).toThrow(new ProfileError(`${f}: field 'keys.distribution' must be one of "uniform", "zipfian", "sequential"`));
  });
  it('unknown operation lists the known ones', () => {
    const f = tmpProfile('name: x\nops: { gett: 1 }\n');
    expect(() => loadWorkload(f)).toThrow(`${f}: field 'ops.gett' is not a known operation (known: get, set, del, incr, incrby, hget, hset, zadd, zincrby, zrange, zrevrange, lpush, rpop)`);
  });
  it('unknown field', () => {
    const f = tmpProfile('name: x\nops: { get: 1 }\nconections: 3\n');
    expect(() => loadWorkload(f)).toThrow(/field 'conections' is not a known field \(known: name, description, keys,/);
  });
  it('duration without a unit', () => {
    const f = tmpProfile('name: x\nops: { get: 1 }\nduration: "10"\n');
    expect(() => loadWorkload(f)).toThrow(`${f}: field 'duration' has the wrong format (a duration with a unit, e.g. 500ms, 10s, 1m)`);
  });
  it('theta out of range, bad rate, min > max, no positive weight, missing ops', () => {
    expect(() => workloadFrom({ name: 'x', ops: { get: 1 }, keys: { theta: 1 } }, 'p.yaml')).toThrow("p.yaml: field 'keys.theta' must be < 1");
    expect(() => workloadFrom({ name: 'x', ops: { get: 1 }, rate: 'fast' }, 'p.yaml')).toThrow(/p.yaml: field 'rate' has the wrong format \(null or 'closed'/);
    expect(() => workloadFrom({ name: 'x', ops: { get: 1 }, values: { min: 10, max: 5 } }, 'p.yaml')).toThrow("p.yaml: field 'values.min' (10) must be <= values.max (5)");
    expect(() => workloadFrom({ name: 'x', ops: { get: 0 } }, 'p.yaml')).toThrow("p.yaml: field 'ops' needs at least one operation with weight > 0");
    expect(() => workloadFrom({ name: 'x' }, 'p.yaml')).toThrow("p.yaml: field 'ops' is required");
  });
});

describe('command-line overrides', () => {
  it('apply with types taken from the schema', () => {
    const { workload, profile } = loadWorkload('cache-90-10', [
      'connections=100',
      'keys.distribution=sequential',
      'keys.prefix=123',
      'rate=20k/s',
      'ops.get=80',
      'wait.timeoutMs=50',
      'prefill=false',
    ]);
    expect(workload.connections).toBe(100);
    expect(workload.keys.distribution).toBe('sequential');
    expect(workload.keys.prefix).toBe('123');
    expect(workload.rate).toBe(20000);
    expect(workload.mix).toEqual([
      { op: 'get', weight: 80 },
      { op: 'set', weight: 10 },
    ]);
    expect(workload.wait.timeoutMs).toBe(50);
    expect(workload.prefill).toBe(false);
    expect(profile.connections).toBe(100);
  });

  it('can replace the whole mix and switch back to closed-loop', () => {
    const { workload } = loadWorkload('cache-90-10', ['rate=1000', 'ops={set: 1}', 'rate=closed']);
    expect(workload.mix).toEqual([{ op: 'set', weight: 1 }]);
    expect(workload.rate).toBeNull();
    expect(parseMix('get=90, set:10')).toEqual({ get: 90, set: 10 });
    expect(() => parseMix('get')).toThrow(/op=weight/);
  });

  it('reject unknown paths and bad values, naming the override', () => {
    expect(() => loadWorkload('cache-90-10', ['keys.distrib=zipfian'])).toThrow(
      "--set keys.distrib=zipfian: 'keys.distrib' is not a workload field (known at keys: count, distribution, theta, prefix)",
    );
    expect(() => loadWorkload('cache-90-10', ['connections'])).toThrow(/expected path=value/);
    expect(() => loadWorkload('cache-90-10', ['connections=many'])).toThrow(/with --set connections=many: field 'connections' must be integer/);
    expect(() => loadWorkload('cache-90-10', ['ops.gett=1'])).toThrow(/'ops.gett' is not a workload field/);
  });
});
