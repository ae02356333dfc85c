import { EntryLog } from './entry-log.js';
import { Writer, type Apply } from './writer.js';
import {
  campaignDelay,
  invariant,
  majority,
  type Entry,
  type FetchReply,
  type FromReplica,
  type LogConfig,
  type NodeId,
  type Position,
  type PromiseReply,
  type ReadReply,
  type Send,
  type ToReplica,
  type WriterMark,
} from './types.js';

/** Write a snapshot of the engine at exactly this applied position, then call snapshotStored. */
export interface TakeSnapshot {
  readonly kind: 'takeSnapshot';
  readonly at: Position;
}
/** The log no longer holds what comes next: load the newest snapshot (≥ atLeast), then snapshotLoaded. */
export interface NeedSnapshot {
  readonly kind: 'needSnapshot';
  readonly atLeast: Position;
}
/** Informational: a campaign for `epoch` started (the engine may log it). */
export interface Campaign {
  readonly kind: 'campaign';
  readonly epoch: number;
}
/** The campaign won: route replica replies to this writer from now on (it is not serving yet). */
export interface Promoted<P> {
  readonly kind: 'promoted';
  readonly writer: Writer<P>;
}

export type FollowerOut<P> = Send<ToReplica<P>> | Apply<P> | TakeSnapshot | NeedSnapshot | Campaign | Promoted<P>;

interface CampaignState<P> {
  epoch: number;
  id: string;
  startedAt: number;
  grants: Map<NodeId, PromiseReply>;
  /** When to ask each replica (again). */
  askAt: Map<NodeId, number>;
  fetch: { from: NodeId; next: number; target: Position; tail: Entry<P>[]; sentAt: number } | null;
}

/** How many times the campaign offsets count on a cold start (see campaignWait). */
const COLD_START_OFFSETS = 4;

/**
 * An engine replica's log client. Reads committed entries from the log replicas and emits
 * them in order; watches the writer's lease renewals as the replicas report them; once none
 * has been seen for longer than a lease can last, campaigns: promises from a majority,
 * adopts the most up-to-date log among them, and hands over to a Writer.
 */
export class Follower<P = unknown> {
  private state: 'following' | 'campaigning' | 'waitSnapshot' | 'promoted' = 'following';
  private appliedPos: Position;
  /** Entries from the last durable snapshot through the applied position (a new writer needs them). */
  private log: EntryLog<P>;
  private maxEpoch: number;
  private mark: WriterMark | null = null;
  private lastRenewalAt: number;
  private read: { reqId: number; to: NodeId; sentAt: number } | null = null;
  private reqSeq = 0;
  private rr: number;
  /** Reading from cfg.readFrom alone (it keeps up); false: every replica in turn. */
  private local: boolean;
  private snapshotPending = false;
  private camp: CampaignState<P> | null = null;
  private readonly quorum: number;
  private readonly incarnation: string;

  constructor(
    readonly id: NodeId,
    private readonly cfg: LogConfig,
    start: { snapshot: Position; maxEpoch?: number; incarnation: string },
    now: number,
  ) {
    this.incarnation = start.incarnation;
    this.appliedPos = start.snapshot;
    this.log = new EntryLog<P>(start.snapshot);
    this.maxEpoch = Math.max(start.maxEpoch ?? 0, start.snapshot.epoch);
    this.lastRenewalAt = now;
    this.quorum = majority(cfg.replicas.length);
    let h = 0;
    for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    this.rr = h % cfg.replicas.length;
    invariant(cfg.readFrom === undefined || cfg.replicas.includes(cfg.readFrom), `readFrom ${cfg.readFrom} is not one of the log replicas`);
    this.local = cfg.readFrom !== undefined;
  }

  get applied(): Position {
    return this.appliedPos;
  }
  get role(): 'following' | 'campaigning' | 'waitSnapshot' | 'promoted' {
    return this.state;
  }
  get epochSeen(): number {
    return this.maxEpoch;
  }
  /** The writer the replicas last reported (for redirecting clients), if any. */
  get knownWriter(): NodeId | null {
    return this.mark?.writer ?? null;
  }
  /** Where reads go now: the local replica's id, or 'all' (in turn). */
  get readingFrom(): NodeId | 'all' {
    return this.local ? this.cfg.readFrom! : 'all';
  }
  get campaignEpoch(): number | null {
    return this.camp?.epoch ?? null;
  }

  tick(now: number): FollowerOut<P>[] {
    const out: FollowerOut<P>[] = [];
    switch (this.state) {
      case 'following':
        if (now - this.lastRenewalAt > this.campaignWait()) this.startCampaign(now, out);
        else if (!this.read || now - this.read.sentAt >= this.cfg.readTimeoutMs) {
          if (this.read && this.read.to === this.cfg.readFrom) this.local = false;
          this.sendRead(now, out);
        }
        break;
      case 'campaigning':
        this.campaignTick(now, out);
        break;
      default:
        break;
    }
    return out;
  }

  handle(msg: FromReplica<P>, now: number): FollowerOut<P>[] {
    const out: FollowerOut<P>[] = [];
    switch (msg.type) {
      case 'readReply':
        this.onRead(msg, now, out);
        break;
      case 'promiseReply':
        this.onPromise(msg, now, out);
        break;
      case 'fetchReply':
        this.onFetch(msg, now, out);
        break;
      default:
        break;
    }
    return out;
  }

  /** The engine stored the snapshot it was asked for: trim the log below it. */
  snapshotStored(at: Position, _now: number): FollowerOut<P>[] {
    this.snapshotPending = false;
    const out: FollowerOut<P>[] = [];
    if (at.index <= this.log.base.index) return out;
    if (at.index <= this.appliedPos.index) {
      invariant(this.log.epochAt(at.index) === at.epoch, `snapshot ${at.index}@${at.epoch} disagrees with the applied log`);
      this.log.trimTo(at.index);
    }
    for (const r of this.cfg.replicas) out.push({ kind: 'send', to: r, msg: { type: 'trim', from: this.id, index: at.index, epoch: at.epoch } });
    return out;
  }

  snapshotFailed(): void {
    this.snapshotPending = false;
  }

  /** The engine loaded a snapshot (after NeedSnapshot): continue from there. */
  snapshotLoaded(at: Position, now: number): void {
    invariant(this.state !== 'promoted', 'snapshot loaded into a promoted follower');
    this.appliedPos = at;
    this.log = new EntryLog<P>(at);
    this.maxEpoch = Math.max(this.maxEpoch, at.epoch);
    this.state = 'following';
    this.read = null;
    this.camp = null;
    this.lastRenewalAt = now;
  }

  /** Our writer lost before serving: the engine's memory is still our applied prefix. */
  resume(seenEpoch: number, now: number): void {
    invariant(this.state === 'promoted', 'resume of a follower that was not promoted');
    this.state = 'following';
    this.camp = null;
    this.read = null;
    this.maxEpoch = Math.max(this.maxEpoch, seenEpoch);
    this.lastRenewalAt = now;
  }

  private sendRead(now: number, out: FollowerOut<P>[]): void {
    let to = this.cfg.readFrom!;
    if (!this.local) {
      to = this.cfg.replicas[this.rr];
      this.rr = (this.rr + 1) % this.cfg.replicas.length;
    }
    this.read = { reqId: ++this.reqSeq, to, sentAt: now };
    out.push({ kind: 'send', to, msg: { type: 'read', from: this.id, reqId: this.read.reqId, fromIndex: this.appliedPos.index + 1, max: this.cfg.maxBatch, waitMs: this.cfg.readWaitMs } });
  }

  private observe(promisedEpoch: number, mark: WriterMark | null, now: number): void {
    if (promisedEpoch > this.maxEpoch) {
      // Someone is campaigning or writing in a newer epoch: give them a lease's time.
      this.maxEpoch = promisedEpoch;
      this.lastRenewalAt = now;
    }
    if (mark && (!this.mark || mark.epoch > this.mark.epoch || (mark.epoch === this.mark.epoch && mark.sentAt > this.mark.sentAt))) {
      this.mark = mark;
      this.lastRenewalAt = now;
    }
  }

  /**
   * The local replica keeps up while it reports the newest writer mark we know (within two
   * heartbeats) and that mark is recent: one the writer cannot reach, or that fell behind,
   * sends us back to reading from all replicas, which is also how it gets another chance.
   */
  private keepsUp(mark: WriterMark | null, now: number): boolean {
    const hb2 = 2 * this.cfg.heartbeatMs;
    return mark !== null && this.mark !== null && mark.epoch === this.mark.epoch && this.mark.sentAt - mark.sentAt <= hb2 && now - this.lastRenewalAt <= hb2;
  }

  private onRead(r: ReadReply<P>, now: number, out: FollowerOut<P>[]): void {
    this.observe(r.promisedEpoch, r.mark, now);
    if (r.from === this.cfg.readFrom) this.local = this.keepsUp(r.mark, now);
    if (this.state !== 'following' || !this.read || r.reqId !== this.read.reqId) return;
    this.read = null;
    if (r.fromIndex !== this.appliedPos.index + 1) return;
    if (r.trimmed) {
      this.state = 'waitSnapshot';
      out.push({ kind: 'needSnapshot', atLeast: r.trimmed });
      return;
    }
    if (r.entries.length > 0) {
      invariant(r.prevEpoch === this.appliedPos.epoch, `replica ${r.from} disagrees on committed entry ${this.appliedPos.index}: epoch ${r.prevEpoch} vs ${this.appliedPos.epoch}`);
      for (const e of r.entries) {
        invariant(e.index <= r.commitIndex, `replica ${r.from} sent uncommitted entry ${e.index}`);
        this.log.push(e);
      }
      const last = r.entries[r.entries.length - 1];
      this.appliedPos = { index: last.index, epoch: last.epoch };
      out.push({ kind: 'apply', entries: r.entries });
      if (this.cfg.snapshotEvery > 0 && !this.snapshotPending && this.appliedPos.index - this.log.base.index >= this.cfg.snapshotEvery) {
        this.snapshotPending = true;
        out.push({ kind: 'takeSnapshot', at: this.appliedPos });
      }
      // A full batch: more is waiting, keep reading.
      if (r.entries.length >= this.cfg.maxBatch) this.sendRead(now, out);
    }
  }

  // ---- takeover ----

  /**
   * On a log no writer has used yet (a cold start), node start-up jitter on a loaded machine
   * (hundreds of ms) exceeds the offsets' steps, so they count COLD_START_OFFSETS times: the
   * node with the smallest offset, the first AZ's, wins the first election.
   */
  private campaignWait(): number {
    const cold = this.maxEpoch === 0 && this.mark === null;
    return campaignDelay(this.cfg) + (cold ? (COLD_START_OFFSETS - 1) * this.cfg.campaignOffsetMs : 0);
  }

  private startCampaign(now: number, out: FollowerOut<P>[]): void {
    const epoch = this.maxEpoch + 1;
    this.maxEpoch = epoch;
    this.state = 'campaigning';
    this.read = null;
    this.camp = { epoch, id: `${this.id}@${this.incarnation}#${epoch}`, startedAt: now, grants: new Map(), askAt: new Map(), fetch: null };
    out.push({ kind: 'campaign', epoch });
    this.campaignTick(now, out);
  }

  private campaignTick(now: number, out: FollowerOut<P>[]): void {
    const c = this.camp!;
    if (now - c.startedAt > this.cfg.campaignTimeoutMs) {
      this.abort(now);
      return;
    }
    if (c.fetch) {
      if (now - c.fetch.sentAt >= this.cfg.retransmitMs) this.sendFetch(now, out);
      return;
    }
    for (const r of this.cfg.replicas) {
      if (c.grants.has(r)) continue;
      const at = c.askAt.get(r) ?? -Infinity;
      if (now >= at) {
        c.askAt.set(r, now + this.cfg.retransmitMs);
        out.push({ kind: 'send', to: r, msg: { type: 'promise', from: this.id, epoch: c.epoch, campaign: c.id } });
      }
    }
  }

  private abort(now: number): void {
    this.state = 'following';
    this.camp = null;
    this.lastRenewalAt = now;
  }

  private onPromise(r: PromiseReply, now: number, out: FollowerOut<P>[]): void {
    const c = this.camp;
    if (r.promisedEpoch > this.maxEpoch) this.maxEpoch = r.promisedEpoch;
    if (this.state !== 'campaigning' || !c || r.epoch !== c.epoch || c.fetch) return;
    if (r.granted) {
      c.grants.set(r.from, r);
      if (c.grants.size >= this.quorum) this.decide(now, out);
      return;
    }
    if (r.reason === 'epoch') {
      this.abort(now);
      return;
    }
    // A lease it granted is still running: ask again just after it ends (its clock may be fast).
    const wait = (r.leaseRemaining ?? 0) * (1 + 2 * this.cfg.driftRate) + 1;
    c.askAt.set(r.from, now + Math.min(wait, this.cfg.leaseMs * 2));
  }

  private decide(now: number, out: FollowerOut<P>[]): void {
    const c = this.camp!;
    let best: PromiseReply | null = null;
    for (const g of c.grants.values()) {
      if (!best || g.last.epoch > best.last.epoch || (g.last.epoch === best.last.epoch && g.last.index > best.last.index)) best = g;
    }
    const a = this.appliedPos;
    if (this.cfg.bugs?.noAdopt || (best!.last.index === a.index && best!.last.epoch === a.epoch)) {
      this.promote([], now, out);
      return;
    }
    // Every committed entry is in the best log of any majority (Raft's leader completeness).
    invariant(best!.last.index >= a.index && best!.last.epoch >= a.epoch, `best promised log ${best!.last.index}@${best!.last.epoch} is behind our applied ${a.index}@${a.epoch}`);
    if (best!.snapshot.index > a.index) {
      // What we would need to fetch is only in a snapshot: catch up from it first.
      this.state = 'waitSnapshot';
      this.camp = null;
      out.push({ kind: 'needSnapshot', atLeast: best!.snapshot });
      return;
    }
    c.fetch = { from: best!.from, next: a.index + 1, target: best!.last, tail: [], sentAt: now };
    this.sendFetch(now, out);
  }

  private sendFetch(now: number, out: FollowerOut<P>[]): void {
    const c = this.camp!;
    const f = c.fetch!;
    f.sentAt = now;
    out.push({ kind: 'send', to: f.from, msg: { type: 'fetch', from: this.id, epoch: c.epoch, campaign: c.id, fromIndex: f.next, max: this.cfg.maxBatch } });
  }

  private onFetch(r: FetchReply<P>, now: number, out: FollowerOut<P>[]): void {
    const c = this.camp;
    if (r.promisedEpoch > this.maxEpoch) this.maxEpoch = r.promisedEpoch;
    if (this.state !== 'campaigning' || !c || !c.fetch || r.epoch !== c.epoch || r.from !== c.fetch.from) return;
    const f = c.fetch;
    if (r.fromIndex !== f.next) return;
    if (!r.ok) {
      this.abort(now);
      return;
    }
    if (r.trimmed) {
      this.state = 'waitSnapshot';
      this.camp = null;
      out.push({ kind: 'needSnapshot', atLeast: r.trimmed });
      return;
    }
    const expect = f.tail.length ? f.tail[f.tail.length - 1].epoch : this.appliedPos.epoch;
    if (r.prevEpoch !== expect) {
      // Its log changed under us (trimmed/reset since the promise): campaign again later.
      invariant(f.tail.length > 0, `replica ${r.from} disagrees on committed entry ${f.next - 1}: epoch ${r.prevEpoch} vs ${expect}`);
      this.abort(now);
      return;
    }
    for (const e of r.entries) f.tail.push(e);
    f.next += r.entries.length;
    if (f.next > f.target.index) {
      const last = f.tail[f.tail.length - 1];
      if (!last || last.index !== f.target.index || last.epoch !== f.target.epoch) {
        this.abort(now);
        return;
      }
      this.promote(f.tail, now, out);
    } else if (r.entries.length === 0) {
      this.abort(now);
    } else {
      this.sendFetch(now, out);
    }
  }

  private promote(tail: Entry<P>[], now: number, out: FollowerOut<P>[]): void {
    const c = this.camp!;
    const log = this.log.clone();
    for (const e of tail) {
      if (e.index <= log.lastIndex) continue;
      log.push(e);
    }
    const peerLast = new Map<NodeId, Position>();
    for (const g of c.grants.values()) peerLast.set(g.from, g.last);
    const writer = new Writer<P>(this.id, this.cfg, { epoch: c.epoch, log, applied: this.appliedPos, peerLast }, now);
    this.state = 'promoted';
    this.camp = null;
    out.push({ kind: 'promoted', writer });
  }
}
