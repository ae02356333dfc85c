import { describe, expect, it } from 'vitest';
import { LogReplica, applyPersistOps, emptyDurable, type DurableState, type ReplicaOut } from '../../../engine/log/replica.js';
import type { AppendMsg, AppendReply, Entry, FromReplica, PromiseReply, ReadReply } from '../../../engine/log/types.js';

const L = 100;
const ent = (index: number, epoch: number, payload: string | null = `p${index}`): Entry<string> => ({ index, epoch, payload });
const app = (over: Partial<AppendMsg<string>>): AppendMsg<string> => ({
  type: 'append',
  from: 'N1',
  epoch: 1,
  prevIndex: 0,
  prevEpoch: 0,
  entries: [],
  commitIndex: 0,
  sentAt: 0,
  ...over,
});
const sends = (out: ReplicaOut<string>[]) => out.filter((o) => o.kind === 'send').map((o) => (o as { msg: FromReplica<string> }).msg);
const persists = (out: ReplicaOut<string>[]) => out.filter((o) => o.kind === 'persist') as Extract<ReplicaOut<string>, { kind: 'persist' }>[];

/** A replica past its start-up lease guard, with a disk that applies what it persists. */
function replica(disk: DurableState<string> = emptyDurable<string>(), now = 0) {
  return { r: new LogReplica<string>('L1', { leaseMs: L }, disk, now), disk };
}

/** Feed an output list's persists to disk and complete them; returns the replies that follow. */
function sync(r: LogReplica<string>, disk: DurableState<string>, out: ReplicaOut<string>[], now: number): FromReplica<string>[] {
  const replies: FromReplica<string>[] = [];
  let pending = persists(out);
  while (pending.length) {
    const p = pending.shift()!;
    applyPersistOps(disk, p.ops);
    const more = r.persisted(p.id, now);
    replies.push(...sends(more));
    pending.push(...persists(more));
  }
  return replies;
}

describe('LogReplica: append', () => {
  it('acknowledges only after the entries are fsynced', () => {
    const { r, disk } = replica();
    const out = r.handle(app({ entries: [ent(1, 1), ent(2, 1)] }), 1000);
    expect(sends(out)).toEqual([]);
    expect(persists(out)).toHaveLength(1);
    const replies = sync(r, disk, out, 1001) as AppendReply[];
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ ok: true, matchIndex: 2, requestEpoch: 1, promisedEpoch: 1 });
    expect(disk.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(disk.promisedEpoch).toBe(1); // the adopted epoch is persisted with (before) the entries
  });

  it('group-commits: appends arriving during an fsync are persisted together by the next one', () => {
    const { r } = replica();
    const o1 = r.handle(app({ entries: [ent(1, 1)] }), 1000);
    const o2 = r.handle(app({ prevIndex: 1, prevEpoch: 1, entries: [ent(2, 1)] }), 1000);
    const o3 = r.handle(app({ prevIndex: 2, prevEpoch: 1, entries: [ent(3, 1)] }), 1000);
    expect(persists(o1)).toHaveLength(1);
    expect(persists(o2)).toHaveLength(0);
    expect(persists(o3)).toHaveLength(0);
    const after1 = r.persisted(persists(o1)[0].id, 1001);
    expect(sends(after1).map((m) => (m as AppendReply).matchIndex)).toEqual([1]);
    const next = persists(after1);
    expect(next).toHaveLength(1);
    expect(next[0].ops.flatMap((o) => (o.op === 'append' ? o.entries.map((e) => e.index) : []))).toEqual([2, 3]);
    const after2 = r.persisted(next[0].id, 1002);
    expect(sends(after2).map((m) => (m as AppendReply).matchIndex)).toEqual([2, 3]);
  });

  it('while held (one event-loop turn), starts no persist; releasing starts one for every message handled', () => {
    const { r, disk } = replica();
    r.holdPersist();
    const a = r.handle(app({ entries: [ent(1, 1)] }), 1000);
    const b = r.handle(app({ prevIndex: 1, prevEpoch: 1, entries: [ent(2, 1)] }), 1000);
    expect(persists([...a, ...b])).toEqual([]);
    expect(sends([...a, ...b])).toEqual([]);
    const out = r.releasePersist();
    expect(persists(out)).toHaveLength(1);
    const replies = sync(r, disk, out, 1001) as AppendReply[];
    expect(replies.map((x) => x.matchIndex)).toEqual([1, 2]);
    expect(disk.entries.map((e) => e.index)).toEqual([1, 2]);
    // Nothing queued: releasing again starts nothing.
    expect(r.releasePersist()).toEqual([]);
  });

  it('holds even a duplicate append until what it covers is durable', () => {
    const { r } = replica();
    const o1 = r.handle(app({ entries: [ent(1, 1)] }), 1000);
    const dup = r.handle(app({ entries: [ent(1, 1)] }), 1000);
    expect(sends(dup)).toEqual([]);
    expect(sends(r.persisted(persists(o1)[0].id, 1001))).toHaveLength(2);
  });

  it('refuses an append from an epoch below its promise, naming its epoch', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ epoch: 3, entries: [ent(1, 3)] }), 1000), 1000);
    const out = r.handle(app({ epoch: 2, prevIndex: 1, prevEpoch: 3, entries: [ent(2, 2)] }), 1001);
    expect(sends(out)).toEqual([expect.objectContaining({ type: 'appendReply', ok: false, promisedEpoch: 3, requestEpoch: 2 })]);
    expect(r.last.index).toBe(1);
  });

  it('nacks a gap with a hint at its log end, and a conflict with the start of the conflicting run', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1), ent(2, 1), ent(3, 1)] }), 1000), 1000);
    const gap = sends(r.handle(app({ prevIndex: 7, prevEpoch: 1, entries: [ent(8, 1)] }), 1001))[0] as AppendReply;
    expect(gap).toMatchObject({ ok: false, hintIndex: 3, promisedEpoch: 1 });
    const conflict = sends(r.handle(app({ epoch: 2, prevIndex: 3, prevEpoch: 2, entries: [ent(4, 2)] }), 1002))[0] as AppendReply;
    expect(conflict).toMatchObject({ ok: false, hintIndex: 0 });
  });

  it('cuts a conflicting uncommitted suffix and never cuts on a stale shorter append', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1), ent(2, 1), ent(3, 1)], commitIndex: 1 }), 1000), 1000);
    // Stale duplicate of the first append: nothing may be removed.
    sync(r, disk, r.handle(app({ entries: [ent(1, 1)] }), 1001), 1001);
    expect(r.last.index).toBe(3);
    // Epoch 2's writer holds 1..1 and writes its own 2.
    const replies = sync(r, disk, r.handle(app({ epoch: 2, prevIndex: 1, prevEpoch: 1, entries: [ent(2, 2)] }), 1002), 1002);
    expect(replies[0]).toMatchObject({ ok: true, matchIndex: 2 });
    expect(r.last).toEqual({ index: 2, epoch: 2 });
    expect(disk.entries.map((e) => `${e.index}@${e.epoch}`)).toEqual(['1@1', '2@2']);
  });

  it('refuses to cut an entry it knows is committed (invariant)', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1), ent(2, 1)], commitIndex: 2 }), 1000), 1000);
    expect(() => r.handle(app({ epoch: 2, prevIndex: 1, prevEpoch: 1, entries: [ent(2, 2)] }), 1001)).toThrow(/invariant/);
  });

  it('turns a pending ack into a refusal if a newer epoch took over before the fsync finished', () => {
    const { r, disk } = replica();
    const o1 = r.handle(app({ epoch: 1, entries: [ent(1, 1), ent(2, 1)] }), 1000);
    // Epoch 2 arrives while the first fsync is in flight and cuts entry 2.
    r.handle(app({ epoch: 2, from: 'N2', prevIndex: 1, prevEpoch: 1, entries: [ent(2, 2)] }), 1000);
    const replies = sync(r, disk, o1, 1001) as AppendReply[];
    const toN1 = replies.find((x) => x.requestEpoch === 1)!;
    expect(toN1).toMatchObject({ ok: false, promisedEpoch: 2 });
  });

  it('advances its commit index only over entries it knows match the writer', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1), ent(2, 1), ent(3, 1)] }), 1000), 1000);
    // A heartbeat matched at 1 says "commit 3": only 1 is known to be the writer's.
    r.handle(app({ prevIndex: 1, prevEpoch: 1, commitIndex: 3 }), 1001);
    expect(r.commitIndex).toBe(1);
  });
});

describe('LogReplica: promises and leases', () => {
  const promise = (epoch: number, from = 'N2', campaign = `${from}@1#${epoch}`) => ({ type: 'promise' as const, from, epoch, campaign });

  it('refuses any new epoch for a lease after it starts (it may have granted one before a crash)', () => {
    const { r, disk } = replica(emptyDurable(), 5000);
    const early = sends(r.handle(promise(1), 5000 + L - 1))[0] as PromiseReply;
    expect(early).toMatchObject({ granted: false, reason: 'lease' });
    expect(early.leaseRemaining).toBeCloseTo(1);
    const out = r.handle(promise(1), 5000 + L);
    expect(sends(out)).toEqual([]); // the promise is fsynced first
    const granted = sync(r, disk, out, 5000 + L)[0] as PromiseReply;
    expect(granted).toMatchObject({ granted: true, epoch: 1, last: { index: 0, epoch: 0 } });
    expect(disk.promisedEpoch).toBe(1);
    expect(disk.promisedTo).toBe('N2@1#1');
  });

  it('every accepted append (heartbeats too) extends the lease from its arrival on the replica clock', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1)] }), 1000), 1000);
    r.handle(app({ prevIndex: 1, prevEpoch: 1 }), 1050); // heartbeat
    expect(sends(r.handle(promise(2), 1149))[0]).toMatchObject({ granted: false, reason: 'lease' });
    expect(r.leaseRemaining(1149)).toBeCloseTo(1);
    const out = r.handle(promise(2), 1150);
    expect(sync(r, disk, out, 1150)[0]).toMatchObject({ granted: true });
    // Fenced: the old writer's next append is refused with the new epoch.
    expect(sends(r.handle(app({ prevIndex: 1, prevEpoch: 1 }), 1151))[0]).toMatchObject({ ok: false, promisedEpoch: 2 });
  });

  it('promises an epoch to one candidate only; the same candidate may ask again', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(promise(4, 'N2'), 1000), 1000);
    expect(sends(r.handle(promise(4, 'N3'), 1001))[0]).toMatchObject({ granted: false, reason: 'epoch', promisedEpoch: 4 });
    expect(sends(r.handle(promise(4, 'N2'), 1002))[0]).toMatchObject({ granted: true });
    expect(sends(r.handle(promise(3, 'N3'), 1003))[0]).toMatchObject({ granted: false, reason: 'epoch' });
  });

  it('does not grant an epoch again to a restarted candidate (same node, new campaign id)', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(promise(4, 'N2', 'N2@boot1#4'), 1000), 1000);
    // After a crash N2 forgot it campaigned; asking for 4 again must not make it a second holder of 4.
    expect(sends(r.handle(promise(4, 'N2', 'N2@boot2#4'), 1001))[0]).toMatchObject({ granted: false, reason: 'epoch' });
    // The promise (and who it went to) survives a replica restart.
    const r2 = new LogReplica<string>('L1', { leaseMs: L }, disk, 2000);
    expect(sends(r2.handle(promise(4, 'N2', 'N2@boot1#4'), 2000 + L))[0]).toMatchObject({ granted: true });
    expect(sends(r2.handle(promise(4, 'N2', 'N2@boot2#4'), 2000 + L))[0]).toMatchObject({ granted: false });
  });

  it('with skipLeaseWait (a broken variant) it promises while the lease runs', () => {
    const r = new LogReplica<string>('L1', { leaseMs: L, bugs: { skipLeaseWait: true } }, emptyDurable(), 0);
    const out = r.handle(promise(1), 1);
    expect(persists(out)).toHaveLength(1);
  });

  it('reports its log end with the promise, for the candidate to adopt the best log', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1), ent(2, 1)] }), 1000), 1000);
    const g = sync(r, disk, r.handle(promise(2), 2000), 2000)[0] as PromiseReply;
    expect(g.last).toEqual({ index: 2, epoch: 1 });
  });
});

describe('LogReplica: reads, fetches, trims, recovery', () => {
  it('hands followers committed entries only', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1), ent(2, 1), ent(3, 1)], commitIndex: 2 }), 1000), 1000);
    const rr = sends(r.handle({ type: 'read', from: 'N3', reqId: 7, fromIndex: 1, max: 10 }, 1001))[0] as ReadReply<string>;
    expect(rr.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(rr).toMatchObject({ reqId: 7, commitIndex: 2, prevEpoch: 0, mark: { epoch: 1, writer: 'N1' } });
  });

  it('holds a read with nothing new (waitMs) until an entry commits, the writer renews, a promise moves, or the wait ends; acknowledgements first', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1), ent(2, 1)], commitIndex: 2, sentAt: 5 }), 1000), 1000);
    const read = (reqId: number, fromIndex: number, now: number) => r.handle({ type: 'read', from: 'N3', reqId, fromIndex, max: 10, waitMs: 50 }, now);
    // Something to hand out: answered at once, wait or not.
    expect(sends(read(1, 1, 1001))).toMatchObject([{ type: 'readReply', reqId: 1, commitIndex: 2 }]);
    // Nothing past 2 is committed: held, due at 1052.
    expect(sends(read(2, 3, 1002))).toEqual([]);
    expect(r.nextDeadline()).toBe(1052);
    // An append of entry 3 that does not yet commit it, from the same writer send: still held.
    const o3 = r.handle(app({ prevIndex: 2, prevEpoch: 1, entries: [ent(3, 1)], commitIndex: 2, sentAt: 5 }), 1010);
    expect(sends(o3)).toEqual([]);
    expect(sync(r, disk, o3, 1010).map((m) => m.type)).toEqual(['appendReply']);
    expect(r.nextDeadline()).toBe(1052);
    // The next append commits 3: the held read gets it.
    const out = r.handle(app({ prevIndex: 3, prevEpoch: 1, commitIndex: 3, sentAt: 20 }), 1020);
    const rr = sends(out).find((m) => m.type === 'readReply') as ReadReply<string>;
    expect(rr).toMatchObject({ reqId: 2, fromIndex: 3, commitIndex: 3, mark: { sentAt: 20 } });
    expect(rr.entries.map((e) => e.index)).toEqual([3]);
    expect(r.nextDeadline()).toBeNull();

    // A renewal alone (a heartbeat: new mark, nothing committed) answers a held read.
    expect(sends(read(3, 4, 1030))).toEqual([]);
    const hb = sends(r.handle(app({ prevIndex: 3, prevEpoch: 1, commitIndex: 3, sentAt: 40 }), 1040)).find((m) => m.type === 'readReply');
    expect(hb).toMatchObject({ reqId: 3, entries: [], mark: { sentAt: 40 } });

    // Nothing happens: tick answers it at its deadline, not before.
    expect(sends(read(4, 4, 1100))).toEqual([]);
    expect(sends(r.tick(1149))).toEqual([]);
    expect(sends(r.tick(1150))).toMatchObject([{ type: 'readReply', reqId: 4, entries: [] }]);

    // An append to persist: the held read waits for its fsync, and leaves after the acknowledgement.
    expect(sends(read(41, 4, 1160))).toEqual([]);
    const o4 = r.handle(app({ prevIndex: 3, prevEpoch: 1, entries: [ent(4, 1)], commitIndex: 4, sentAt: 60 }), 1170);
    expect(sends(o4)).toEqual([]);
    const after = sync(r, disk, o4, 1171);
    expect(after.map((m) => m.type)).toEqual(['appendReply', 'readReply']);
    expect((after[1] as ReadReply<string>).entries.map((e) => e.index)).toEqual([4]);

    // A newer read from the same follower replaces the held one; a promise for a new epoch answers it.
    expect(sends(read(5, 5, 1200))).toEqual([]);
    expect(sends(read(6, 5, 1201))).toEqual([]);
    // The promise is persisted first; the held read is answered right after its reply.
    const po = r.handle({ type: 'promise', from: 'N2', epoch: 2, campaign: 'c2' }, 1300);
    expect(sends(po)).toEqual([]);
    expect(sync(r, disk, po, 1301).map((m) => [m.type, (m as { reqId?: number }).reqId])).toEqual([
      ['promiseReply', undefined],
      ['readReply', 6],
    ]);
    expect(r.nextDeadline()).toBeNull();
  });

  it('hands a candidate holding its promise everything, committed or not', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1), ent(2, 1), ent(3, 1)], commitIndex: 1 }), 1000), 1000);
    sync(r, disk, r.handle({ type: 'promise', from: 'N2', epoch: 2, campaign: 'c2' }, 2000), 2000);
    const f = sends(r.handle({ type: 'fetch', from: 'N2', epoch: 2, campaign: 'c2', fromIndex: 2, max: 10 }, 2001))[0];
    expect(f).toMatchObject({ ok: true, prevEpoch: 1, last: { index: 3, epoch: 1 } });
    expect((f as unknown as { entries: readonly Entry[] }).entries.map((e) => e.index)).toEqual([2, 3]);
    const other = sends(r.handle({ type: 'fetch', from: 'N3', epoch: 2, campaign: 'c3', fromIndex: 2, max: 10 }, 2001))[0];
    expect(other).toMatchObject({ ok: false });
  });

  it('trims below a snapshot and then answers reads before it with "trimmed"', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1), ent(2, 1), ent(3, 1)], commitIndex: 3 }), 1000), 1000);
    sync(r, disk, r.handle({ type: 'trim', from: 'N3', index: 2, epoch: 1 }, 1001), 1001);
    expect(r.snapshot).toEqual({ index: 2, epoch: 1 });
    expect(disk.base).toEqual({ index: 2, epoch: 1 });
    expect(disk.entries.map((e) => e.index)).toEqual([3]);
    const rr = sends(r.handle({ type: 'read', from: 'N3', reqId: 1, fromIndex: 2, max: 10 }, 1002))[0] as ReadReply<string>;
    expect(rr.trimmed).toEqual({ index: 2, epoch: 1 });
    const ok = sends(r.handle({ type: 'read', from: 'N3', reqId: 2, fromIndex: 3, max: 10 }, 1002))[0] as ReadReply<string>;
    expect(ok.entries.map((e) => e.index)).toEqual([3]);
  });

  it('a replica lacking the snapshot position is reset to it (its log there was stale)', () => {
    const { r, disk } = replica();
    sync(r, disk, r.handle(app({ entries: [ent(1, 1)] }), 1000), 1000);
    sync(r, disk, r.handle({ type: 'trim', from: 'N3', index: 5, epoch: 2 }, 1001), 1001);
    expect(r.snapshot).toEqual({ index: 5, epoch: 2 });
    expect(r.last).toEqual({ index: 5, epoch: 2 });
    expect(r.commitIndex).toBe(5);
    // The writer then streams from 6 as if it held 1..5.
    const replies = sync(r, disk, r.handle(app({ epoch: 2, prevIndex: 5, prevEpoch: 2, entries: [ent(6, 2)] }), 1002), 1002);
    expect(replies[0]).toMatchObject({ ok: true, matchIndex: 6 });
  });

  it('a reset append replaces a log that lacks the writer base', () => {
    const { r, disk } = replica();
    const out = r.handle(app({ epoch: 3, prevIndex: 10, prevEpoch: 2, reset: true, entries: [ent(11, 3)] }), 1000);
    expect(sync(r, disk, out, 1000)[0]).toMatchObject({ ok: true, matchIndex: 11 });
    expect(disk.base).toEqual({ index: 10, epoch: 2 });
  });

  it('recovers what was persisted; a torn promise record is implied by the entries', () => {
    const disk = emptyDurable<string>();
    applyPersistOps(disk, [{ op: 'append', entries: [ent(1, 1), ent(2, 4)] }]);
    const r = new LogReplica<string>('L1', { leaseMs: L }, disk, 0);
    expect(r.promised).toBe(4);
    expect(r.last).toEqual({ index: 2, epoch: 4 });
    expect(sends(r.handle(app({ epoch: 3, prevIndex: 2, prevEpoch: 4 }), 1000))[0]).toMatchObject({ ok: false, promisedEpoch: 4 });
  });
});
