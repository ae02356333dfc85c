import { describe, expect, it } from 'vitest';
import type { Bugs } from '../../../engine/log/types.js';
import type { Fault } from '../../../lab/sim/faults.js';
import { runSeed, type SeedResult } from '../../../lab/sim/run.js';

/**
 * The checker must catch a broken protocol. Each deliberately broken variant runs through
 * the simulator on fixed seeds until a schedule exposes it; the test names the checks that
 * may fire (the oracle's, a machine's own invariant, or the client history's).
 */
function hunt(bugs: Bugs, opts: { seeds: number; historyOnly?: boolean; faults?: (s: number) => Fault[]; want?: string }): SeedResult[] {
  const found: SeedResult[] = [];
  for (let s = 1; s <= opts.seeds; s++) {
    const r = runSeed(s, { bugs, historyOnly: opts.historyOnly, faults: opts.faults?.(s) });
    if (!r.ok) found.push(r);
    if (opts.want ? found.some((x) => x.violations[0].kind === opts.want) : found.length >= 3) break;
  }
  return found;
}

const kinds = (rs: SeedResult[]) => rs.map((r) => r.violations[0].kind);

describe('the simulator catches deliberately broken protocols', () => {
  it('commitOnMinority: a write acknowledged on one replica is lost to a failover', () => {
    const rs = hunt({ commitOnMinority: true }, { seeds: 200 });
    expect(rs.length).toBeGreaterThan(0);
    for (const k of kinds(rs)) expect(['committed-changed', 'lost-commit', 'divergent-apply', 'invariant', 'linearizability']).toContain(k);
  }, 120_000);

  it('commitOnMinority is caught by the client history alone (lost acknowledged writes)', () => {
    // Most schedules trip a follower's own invariant first (its applied prefix is missing from
    // the best promised log); 8 of seeds 1-1500 get through to a lost acknowledged write.
    const rs = hunt({ commitOnMinority: true }, { seeds: 800, historyOnly: true, want: 'linearizability' });
    expect(kinds(rs)).toContain('linearizability');
  }, 120_000);

  it('skipLeaseWait: a new writer serves while the old one still serves on its lease', () => {
    const rs = hunt({ skipLeaseWait: true }, { seeds: 300, want: 'stale-primary' });
    expect(kinds(rs)).toContain('stale-primary');
  }, 120_000);

  it('noLeaseCheck: a writer resuming from a pause serves without a lease', () => {
    const rs = hunt({ noLeaseCheck: true }, { seeds: 100, want: 'stale-primary' });
    expect(kinds(rs)).toContain('stale-primary');
  }, 120_000);

  it('noFence: an old writer keeps appending, split brain', () => {
    const rs = hunt({ noFence: true }, { seeds: 100 });
    expect(rs.length).toBeGreaterThan(0);
    for (const k of kinds(rs)) expect(['stale-primary', 'two-serving', 'committed-changed', 'invariant', 'divergent-apply', 'lost-commit']).toContain(k);
    expect(kinds(hunt({ noFence: true }, { seeds: 100, historyOnly: true, want: 'linearizability' }))).toContain('linearizability');
  }, 120_000);

  it('ackBeforeFsync: acknowledged entries vanish when every log replica loses power', () => {
    // Power loss of the whole cluster while writes are in flight.
    const power = (s: number): Fault[] => [{ t: 700 + 7 * s, kind: 'killAll', down: 50 }];
    const rs = hunt({ ackBeforeFsync: true }, { seeds: 100, faults: power });
    expect(rs.length).toBeGreaterThan(0);
    for (const k of kinds(rs)) expect(['committed-changed', 'lost-commit', 'divergent-apply', 'invariant', 'lost-write']).toContain(k);
    expect(kinds(hunt({ ackBeforeFsync: true }, { seeds: 100, faults: power, historyOnly: true, want: 'linearizability' }))).toContain('linearizability');
    // The correct protocol survives the same power losses.
    for (let s = 1; s <= 30; s++) expect(runSeed(s, { faults: power(s) }).violations).toEqual([]);
  }, 120_000);

  it('serveBeforeReplay: a new writer serves before replaying and re-committing the tail', () => {
    const rs = hunt({ serveBeforeReplay: true }, { seeds: 20, want: 'served-before-replay' });
    expect(kinds(rs)).toContain('served-before-replay');
    expect(kinds(hunt({ serveBeforeReplay: true }, { seeds: 50, historyOnly: true, want: 'linearizability' }))).toContain('linearizability');
  }, 120_000);

  it('readUncommitted: followers apply entries that never commit', () => {
    const rs = hunt({ readUncommitted: true }, { seeds: 20 });
    expect(rs.length).toBeGreaterThan(0);
    for (const k of kinds(rs)) expect(['uncommitted-apply', 'divergent-apply', 'invariant']).toContain(k);
  }, 120_000);

  it('noAdopt: a candidate that keeps its own log loses committed writes', () => {
    const rs = hunt({ noAdopt: true }, { seeds: 20 });
    expect(rs.length).toBeGreaterThan(0);
    for (const k of kinds(rs)) expect(['committed-changed', 'divergent-apply', 'invariant', 'lost-commit']).toContain(k);
    expect(kinds(hunt({ noAdopt: true }, { seeds: 50, historyOnly: true, want: 'linearizability' }))).toContain('linearizability');
  }, 120_000);
});
