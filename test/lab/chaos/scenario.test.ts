import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileError, listProfiles } from '../../../lab/profiles/load.js';
import { loadScenario, resolveTarget, skipReason } from '../../../lab/chaos/scenario.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-scenario-'));
let n = 0;
function file(yaml: string): string {
  const p = path.join(dir, `s${n++}.yaml`);
  writeFileSync(p, yaml);
  return p;
}
function error(yaml: string): string {
  try {
    loadScenario(file(yaml));
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return (e as Error).message;
  }
  throw new Error('expected a ProfileError');
}

const ok = `name: t
faults:
  - { at: 2s, do: kill, target: primary, as: old }
  - { at: 4s, do: restart, target: $old }
`;

describe('chaos scenarios: the shipped profiles', () => {
  it('all load, and the log-replica one is skipped outside durable mode with a reason', () => {
    const names = listProfiles('chaos');
    expect(names).toEqual(
      expect.arrayContaining(['kill-primary', 'crash-primary', 'pause-primary', 'cut-primary', 'restart-empty', 'wait-priority', 'lose-az', 'kill-log-then-primary', 'repeated-failovers', 'cold-restart']),
    );
    for (const name of names) {
      const s = loadScenario(name);
      expect(s.faults.length).toBeGreaterThan(0);
      for (const f of s.faults) expect(f.atMs).toBeLessThan(s.roundMs);
    }
    const log = loadScenario('kill-log-then-primary');
    expect(skipReason(log, 'plain')).toMatch(/no transaction log/);
    expect(skipReason(log, 'durable')).toBeNull();
    expect(loadScenario('wait-priority').cluster.priorities).toEqual({ n2: 10, n3: 100 });
  });

  it('fills defaults and parses units', () => {
    const s = loadScenario(file(ok));
    expect(s.roundMs).toBe(8000);
    expect(s.cluster.downAfterMs).toBe(1000);
    expect(s.workload).toMatchObject({ clients: 8, opTimeoutMs: 1000, wait: { replicas: 1, timeoutMs: 100 } });
    expect(s.faults.map((f) => f.atMs)).toEqual([2000, 4000]);
  });

  it('--duration and --clients override the profile, and faults must still fit', () => {
    expect(loadScenario(file(ok), { roundMs: 5000, clients: 3 })).toMatchObject({ roundMs: 5000, workload: { clients: 3 } });
    expect(() => loadScenario(file(ok), { roundMs: 3000 })).toThrow(/faults\.1\.at' is 4s, not inside the round/);
  });
});

describe('chaos scenarios: errors name the file and the field', () => {
  it('schema errors', () => {
    expect(error('name: t\nfaults: []\n')).toMatch(/s\d+\.yaml: field 'faults' must NOT have fewer than 1 items/);
    expect(error('name: t\nfaults:\n  - { at: 1s, do: explode, target: primary }\n')).toMatch(/field 'faults\.0\.do' must be one of "kill", "crash", "pause", "resume", "cut", "heal", "restart"/);
    expect(error('name: t\nfaults:\n  - { at: 1s, do: kill, target: the-primary }\n')).toMatch(/field 'faults\.0\.target' has the wrong format \(primary, replica, replicas/);
    expect(error('name: t\nfaults:\n  - { at: soon, do: kill, target: primary }\n')).toMatch(/field 'faults\.0\.at' has the wrong format \(a duration with a unit/);
    expect(error('name: t\nrounds: 3\nfaults:\n  - { at: 1s, do: kill, target: primary }\n')).toMatch(/field 'rounds' is not a known field \(known: name, description, round/);
    expect(error('name: t\ncluster: { priorities: { x2: 5 } }\nfaults:\n  - { at: 1s, do: kill, target: primary }\n')).toMatch(/cluster\.priorities/);
  });

  it('semantic errors', () => {
    expect(error('name: t\nfaults:\n  - { at: 3s, do: kill, target: primary }\n  - { at: 1s, do: kill, target: primary }\n')).toMatch(/field 'faults\.1\.at' is 1s, before the fault above it/);
    expect(error('name: t\nround: 2s\nfaults:\n  - { at: 3s, do: kill, target: primary }\n')).toMatch(/faults\.0\.at' is 3s, not inside the round \(2s\)/);
    expect(error('name: t\nfaults:\n  - { at: 1s, do: restart, target: $old }\n')).toMatch(/faults\.0\.target' refers to \$old, which no earlier fault binds/);
    expect(error('name: t\nfaults:\n  - { at: 1s, do: cut, target: primary }\n')).toMatch(/faults\.0\.from' is required with cut/);
    expect(error('name: t\nfaults:\n  - { at: 1s, do: kill, target: primary, from: [replicas] }\n')).toMatch(/faults\.0\.from' is only allowed with cut/);
    expect(error('name: t\nfaults:\n  - { at: 1s, do: heal, target: n1 }\n')).toMatch(/faults\.0\.target' is not allowed with heal/);
    expect(error('name: t\nfaults:\n  - { at: 1s, do: kill, target: primary, empty: true }\n')).toMatch(/faults\.0\.empty' is only allowed with restart/);
    expect(error('name: t\nfaults:\n  - { at: 1s, do: kill, target: l2 }\n')).toMatch(/faults\.0\.target' aims at log replicas, which exist in durable mode only: add skip\.plain and skip\.wait/);
    expect(error('name: t\nfaults:\n  - { at: 1s, do: kill, target: primary, as: a }\n  - { at: 2s, do: kill, target: primary, as: a }\n')).toMatch(/faults\.1\.as' binds 'a' a second time/);
    expect(error('name: t\ncluster: { downAfter: 100ms, probeInterval: 100ms }\nfaults:\n  - { at: 1s, do: kill, target: primary }\n')).toMatch(/cluster\.downAfter' \(100ms\) must be at least twice/);
  });

  it('an unknown name lists the available scenarios', () => {
    expect(() => loadScenario('nope')).toThrow(/no chaos profile named 'nope'; available: .*kill-primary/);
  });
});

describe('fault targets', () => {
  const ctx = (primary: string | null) => ({
    primary,
    engines: [
      { id: 'n1', az: 'az-a' },
      { id: 'n2', az: 'az-b' },
      { id: 'n3', az: 'az-c' },
    ],
    logs: [
      { id: 'l1', az: 'az-a' },
      { id: 'l2', az: 'az-b' },
      { id: 'l3', az: 'az-c' },
    ],
    bound: new Map([['old', ['n1']]]),
  });
  it('resolve against the cluster as it is when the fault fires', () => {
    expect(resolveTarget('primary', ctx('n2'))).toEqual(['n2']);
    expect(resolveTarget('replicas', ctx('n2'))).toEqual(['n1', 'n3']);
    expect(resolveTarget('replica', ctx('n1'))).toEqual(['n2']);
    expect(resolveTarget('az:primary', ctx('n2'))).toEqual(['n2', 'l2']);
    expect(resolveTarget('az:az-c', ctx('n1'))).toEqual(['n3', 'l3']);
    // A log replica outside the primary's AZ, so that it and the primary are two separate failures.
    expect(resolveTarget('log', ctx('n1'))).toEqual(['l2']);
    expect(resolveTarget('all', ctx('n1'))).toHaveLength(6);
    expect(resolveTarget('$old', ctx('n3'))).toEqual(['n1']);
    expect(() => resolveTarget('primary', ctx(null))).toThrow(/no primary/);
    expect(() => resolveTarget('n9', ctx('n1'))).toThrow(/no node 'n9'/);
  });
});
