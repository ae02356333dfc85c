import { describe, expect, it } from 'vitest';
import { Follower, type FollowerOut } from '../../../engine/log/follower.js';
import { campaignDelay, defaultLogConfig, type Entry, type Position, type PromiseReply, type ReadReply, type ToReplica } from '../../../engine/log/types.js';

const L = 100;
const cfg = defaultLogConfig(['L1', 'L2', 'L3'], { leaseMs: L, heartbeatMs: 20, retransmitMs: 25, readTimeoutMs: 25, campaignOffsetMs: 10, maxBatch: 4, snapshotEvery: 3 });
const ent = (index: number, epoch: number): Entry<string> => ({ index, epoch, payload: `p${index}` });
const sent = (out: FollowerOut<string>[]) => out.filter((o) => o.kind === 'send') as { kind: 'send'; to: string; msg: ToReplica<string> }[];

function readReply(f: Follower<string>, out: FollowerOut<string>[], over: Partial<ReadReply<string>>): ReadReply<string> {
  const req = sent(out).find((s) => s.msg.type === 'read')!;
  const m = req.msg as Extract<ToReplica<string>, { type: 'read' }>;
  return {
    type: 'readReply',
    from: req.to,
    reqId: m.reqId,
    fromIndex: m.fromIndex,
    prevEpoch: f.applied.epoch,
    entries: [],
    commitIndex: 0,
    promisedEpoch: 1,
    mark: null,
    ...over,
  };
}

const grant = (from: string, epoch: number, last: Position, snapshot: Position = { index: 0, epoch: 0 }): PromiseReply => ({
  type: 'promiseReply',
  from,
  epoch,
  granted: true,
  promisedEpoch: epoch,
  last,
  snapshot,
});

describe('Follower: applying the log', () => {
  it('applies committed entries in order, asks for a snapshot every N, and ignores stale replies', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    const o1 = f.tick(1);
    const r1 = readReply(f, o1, { entries: [ent(1, 1), ent(2, 1), ent(3, 1)], commitIndex: 3 });
    const a1 = f.handle(r1, 2);
    expect(a1.map((o) => o.kind)).toEqual(['apply', 'takeSnapshot']);
    expect(f.applied).toEqual({ index: 3, epoch: 1 });
    // A duplicate of the same reply changes nothing.
    expect(f.handle(r1, 3)).toEqual([]);
    expect(f.applied.index).toBe(3);
    const o2 = f.tick(12);
    expect((sent(o2)[0].msg as { fromIndex: number }).fromIndex).toBe(4);
  });

  it('refuses (invariant) an entry beyond the commit index a replica reports', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    const r = readReply(f, f.tick(1), { entries: [ent(1, 1), ent(2, 1)], commitIndex: 1 });
    expect(() => f.handle(r, 2)).toThrow(/invariant: .*uncommitted/);
  });

  it('asks the engine for a snapshot when the log was trimmed past it', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    const out = f.handle(readReply(f, f.tick(1), { trimmed: { index: 50, epoch: 2 } }), 2);
    expect(out).toEqual([{ kind: 'needSnapshot', atLeast: { index: 50, epoch: 2 } }]);
    expect(f.tick(20)).toEqual([]);
    f.snapshotLoaded({ index: 60, epoch: 2 }, 30);
    expect((sent(f.tick(31))[0].msg as { fromIndex: number }).fromIndex).toBe(61);
  });
});

describe("Follower: reading the log in its own AZ (readFrom)", () => {
  const local = { ...cfg, readFrom: 'L2' };
  type Answer = { mark: { epoch: number; sentAt: number; writer: string } | null; committed: number } | null;

  /** Tick every 5 ms over [from, to); answer each read at once as `answer` says (null: lost). Returns where reads went. */
  function drive(f: Follower<string>, from: number, to: number, answer: (replica: string, t: number) => Answer): string[] {
    const dest: string[] = [];
    for (let t = from; t < to; t += 5) {
      for (const s of sent(f.tick(t))) {
        if (s.msg.type !== 'read') continue;
        dest.push(s.to);
        const a = answer(s.to, t);
        if (!a) continue;
        const m = s.msg;
        const upTo = Math.min(a.committed, m.fromIndex + m.max - 1);
        const entries: Entry<string>[] = [];
        for (let i = m.fromIndex; i <= upTo; i++) entries.push(ent(i, 1));
        const reply: ReadReply<string> = { type: 'readReply', from: s.to, reqId: m.reqId, fromIndex: m.fromIndex, prevEpoch: m.fromIndex === 1 ? 0 : 1, entries, commitIndex: a.committed, promisedEpoch: 1, mark: a.mark };
        f.handle(reply, t);
      }
    }
    return dest;
  }
  const fresh = (t: number): Answer => ({ mark: { epoch: 1, sentAt: t, writer: 'N1' }, committed: Math.floor(t / 10) });

  it('reads only from its local replica while that replica keeps up with the writer', () => {
    const f = new Follower<string>('N2', local, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    const dest = drive(f, 0, 200, (_r, t) => fresh(t));
    expect(new Set(dest)).toEqual(new Set(['L2']));
    expect(f.readingFrom).toBe('L2');
    expect(f.applied.index).toBeGreaterThanOrEqual(18);
    // Without readFrom, reads go to every replica in turn (the control).
    const g = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    expect(new Set(drive(g, 0, 200, (_r, t) => fresh(t)))).toEqual(new Set(['L1', 'L2', 'L3']));
    expect(g.readingFrom).toBe('all');
  });

  it('reads from all replicas while the local one falls behind the writer, keeps applying, and goes back once it catches up', () => {
    const f = new Follower<string>('N2', local, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    drive(f, 0, 100, (_r, t) => fresh(t));
    // The writer cannot reach L2 from t = 100: its mark and commit stay where they were.
    const cut = drive(f, 100, 300, (r, t) => (r === 'L2' ? fresh(100) : fresh(t)));
    // Two heartbeats (40 ms) of no renewal through L2, then every replica in turn.
    expect(cut.slice(0, 8)).toEqual(Array(8).fill('L2'));
    expect(cut.slice(-9).filter((r) => r !== 'L2').length).toBeGreaterThanOrEqual(6);
    expect(f.readingFrom).toBe('all');
    expect(f.applied.index).toBeGreaterThanOrEqual(27);
    expect(f.role).toBe('following');
    // L2 hears the writer again: once a reply of its shows the current mark, reads stay there.
    const back = drive(f, 300, 400, (_r, t) => fresh(t));
    expect(back.slice(-10)).toEqual(Array(10).fill('L2'));
    expect(f.applied.index).toBeGreaterThanOrEqual(38);
  });

  it('moves on when a read to the local replica gets no answer', () => {
    const f = new Follower<string>('N2', local, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    drive(f, 0, 50, (_r, t) => fresh(t));
    const down = drive(f, 50, 250, (r, t) => (r === 'L2' ? null : fresh(t)));
    expect(down[0]).toBe('L2');
    expect(down[1]).not.toBe('L2');
    expect(f.readingFrom).toBe('all');
    expect(f.applied.index).toBeGreaterThanOrEqual(20);
    expect(f.role).toBe('following');
  });

  it('refuses (invariant) a readFrom that is not one of the log replicas', () => {
    expect(() => new Follower<string>('N2', { ...cfg, readFrom: 'L9' }, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0)).toThrow(/invariant: readFrom L9/);
  });
});

describe('Follower: campaigning', () => {
  it('waits strictly more than the lease (with drift and its offset) after the last renewal it saw', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    const wait = campaignDelay(cfg);
    expect(wait).toBeGreaterThan(L * (1 + cfg.driftRate) + cfg.campaignOffsetMs);
    // A renewal at t=50: the writer's mark moved.
    f.handle(readReply(f, f.tick(45), { mark: { epoch: 1, sentAt: 7, writer: 'N1' } }), 50);
    expect(f.knownWriter).toBe('N1');
    // The same mark again is not a renewal.
    f.handle(readReply(f, f.tick(60), { mark: { epoch: 1, sentAt: 7, writer: 'N1' } }), 60);
    expect(f.tick(50 + wait).some((o) => o.kind === 'campaign')).toBe(false);
    const c = f.tick(50 + wait + 0.5);
    expect(c[0]).toEqual({ kind: 'campaign', epoch: 2 });
    expect(sent(c).map((s) => [s.to, s.msg.type, (s.msg as { epoch: number }).epoch])).toEqual([
      ['L1', 'promise', 2],
      ['L2', 'promise', 2],
      ['L3', 'promise', 2],
    ]);
  });

  it('on a cold start (no epoch, no writer seen) counts its offset four times, so start-up jitter cannot beat the first node', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    const cold = campaignDelay(cfg) + 3 * cfg.campaignOffsetMs;
    expect(f.tick(campaignDelay(cfg) + 1).some((o) => o.kind === 'campaign')).toBe(false);
    expect(f.tick(cold).some((o) => o.kind === 'campaign')).toBe(false);
    expect(f.tick(cold + 0.5)[0]).toEqual({ kind: 'campaign', epoch: 1 });
    // Once any epoch is known, the plain offset applies (the test above).
    const g = new Follower<string>('N3', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    g.handle(readReply(g, g.tick(1), { promisedEpoch: 1 }), 2);
    expect(g.tick(2 + campaignDelay(cfg) + 0.5)[0]).toEqual({ kind: 'campaign', epoch: 2 });
  });

  it('adopts the most up-to-date promised log: highest last epoch first, then highest index', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    f.handle(readReply(f, f.tick(1), { entries: [ent(1, 1)], commitIndex: 1, promisedEpoch: 2 }), 2);
    f.tick(600); // campaign for epoch 3
    expect(f.handle(grant('L1', 3, { index: 9, epoch: 1 }), 601)).toEqual([]);
    const a = f.handle(grant('L3', 3, { index: 3, epoch: 2 }), 602);
    expect(sent(a)[0]).toEqual({ kind: 'send', to: 'L3', msg: { type: 'fetch', from: 'N2', epoch: 3, campaign: 'N2@b1#3', fromIndex: 2, max: 4 } });

    const g = new Follower<string>('N3', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    g.handle(readReply(g, g.tick(1), { promisedEpoch: 1 }), 2);
    g.tick(600); // epoch 2
    g.handle(grant('L1', 2, { index: 4, epoch: 1 }), 601);
    const b = g.handle(grant('L2', 2, { index: 6, epoch: 1 }), 601);
    expect(sent(b).map((s) => s.to)).toEqual(['L2']);
  });

  it('promotes to a writer holding the fetched tail plus a no-op of its epoch', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    f.handle(readReply(f, f.tick(1), { entries: [ent(1, 1)], commitIndex: 1, promisedEpoch: 2 }), 2);
    f.tick(600); // campaign for epoch 3
    f.handle(grant('L1', 3, { index: 9, epoch: 1 }), 601);
    const out = f.handle(grant('L2', 3, { index: 3, epoch: 2 }), 602);
    expect(sent(out)[0]).toMatchObject({ to: 'L2', msg: { type: 'fetch', epoch: 3, fromIndex: 2 } });
    const done = f.handle(
      { type: 'fetchReply', from: 'L2', epoch: 3, ok: true, promisedEpoch: 3, fromIndex: 2, prevEpoch: 1, entries: [ent(2, 2), ent(3, 2)], last: { index: 3, epoch: 2 } },
      603,
    );
    const p = done.find((o) => o.kind === 'promoted') as Extract<FollowerOut<string>, { kind: 'promoted' }>;
    expect(p).toBeDefined();
    const w = p.writer;
    expect(w.epoch).toBe(3);
    expect([1, 2, 3, 4].map((i) => `${w.entry(i)?.index}@${w.entry(i)?.epoch}`)).toEqual(['1@1', '2@2', '3@2', '4@3']);
    expect(w.entry(4)?.payload).toBeNull();
    expect(w.ready).toBe(false);
    expect(f.role).toBe('promoted');
  });

  it('gives up on a refusal for the epoch, and retries a lease refusal after the lease', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    f.tick(500);
    expect(f.role).toBe('campaigning');
    f.handle({ type: 'promiseReply', from: 'L1', epoch: 1, granted: false, reason: 'lease', promisedEpoch: 0, leaseRemaining: 40, last: { index: 0, epoch: 0 }, snapshot: { index: 0, epoch: 0 } }, 501);
    expect(sent(f.tick(530)).some((s) => s.to === 'L1')).toBe(false);
    expect(sent(f.tick(545)).some((s) => s.to === 'L1')).toBe(true);
    f.handle({ type: 'promiseReply', from: 'L2', epoch: 1, granted: false, reason: 'epoch', promisedEpoch: 7, last: { index: 0, epoch: 0 }, snapshot: { index: 0, epoch: 0 } }, 546);
    expect(f.role).toBe('following');
    expect(f.epochSeen).toBe(7);
  });

  it('refuses (invariant) a best promised log behind what it already applied: that would lose commits', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    f.handle(readReply(f, f.tick(1), { entries: [ent(1, 1), ent(2, 1)], commitIndex: 2 }), 2);
    f.tick(600);
    f.handle(grant('L1', 2, { index: 1, epoch: 1 }), 601);
    expect(() => f.handle(grant('L2', 2, { index: 1, epoch: 1 }), 602)).toThrow(/invariant: best promised log/);
  });

  it('starts from a snapshot instead when the best log was trimmed past its applied index', () => {
    const f = new Follower<string>('N2', cfg, { snapshot: { index: 0, epoch: 0 }, incarnation: 'b1' }, 0);
    f.tick(500);
    f.handle(grant('L1', 1, { index: 40, epoch: 1 }, { index: 30, epoch: 1 }), 501);
    const out = f.handle(grant('L2', 1, { index: 40, epoch: 1 }, { index: 30, epoch: 1 }), 502);
    expect(out).toEqual([{ kind: 'needSnapshot', atLeast: { index: 30, epoch: 1 } }]);
  });
});
