/**
 * The durable log's protocol vocabulary: entries, messages between engine nodes and log
 * replicas, configuration, and the deliberately broken variants the simulator must catch.
 *
 * All state machines in engine/log are pure: they take messages, clock readings (the
 * node's own monotonic clock, milliseconds) and completions of actions they asked for, and
 * return messages to send and actions to perform. See docs/durable-log.md.
 */

export type NodeId = string;

/** One log entry. `payload === null` is a no-op (a new writer's barrier entry). */
export interface Entry<P = unknown> {
  readonly index: number;
  readonly epoch: number;
  readonly payload: P | null;
}

/** A log position: the entry at `index` was written in `epoch` (0/0 = the empty log). */
export interface Position {
  readonly index: number;
  readonly epoch: number;
}

// ---- engine node -> log replica -------------------------------------------------------

/** Writer → replica. Empty `entries` is a heartbeat (it still renews the lease). */
export interface AppendMsg<P = unknown> {
  readonly type: 'append';
  readonly from: NodeId;
  readonly epoch: number;
  readonly prevIndex: number;
  readonly prevEpoch: number;
  readonly entries: readonly Entry<P>[];
  readonly commitIndex: number;
  /** Writer's clock when sent; echoed so the writer can date the lease this grants. */
  readonly sentAt: number;
  /**
   * prevIndex is at or below the writer's snapshot base: a replica that does not hold
   * (prevIndex, prevEpoch) replaces its log by that committed position (Raft's
   * InstallSnapshot without data: the data is in the snapshot store).
   */
  readonly reset?: boolean;
}

/** Candidate → replica: promise to refuse every epoch below `epoch`. */
export interface PromiseMsg {
  readonly type: 'promise';
  readonly from: NodeId;
  readonly epoch: number;
  /**
   * Unique per campaign, across restarts of the candidate: a retransmitted request of the
   * same campaign is granted again, a restarted process asking for the same epoch is not.
   */
  readonly campaign: string;
}

/** Candidate (holding `epoch`'s promise) → replica: entries from `fromIndex`, committed or not. */
export interface FetchMsg {
  readonly type: 'fetch';
  readonly from: NodeId;
  readonly epoch: number;
  readonly campaign: string;
  readonly fromIndex: number;
  readonly max: number;
}

/** Follower → replica: committed entries from `fromIndex`. */
export interface ReadMsg {
  readonly type: 'read';
  readonly from: NodeId;
  readonly reqId: number;
  readonly fromIndex: number;
  readonly max: number;
  /**
   * Nothing committed from fromIndex yet: the replica may hold the read this long (its own
   * clock), answering as soon as an entry commits, the writer's mark or the promised epoch
   * changes (a long poll, as a Kafka fetch's max wait). Absent or 0: answer at once.
   */
  readonly waitMs?: number;
}

/** Anyone → replica: entries up to (index, epoch) are in a durable snapshot; drop them. */
export interface TrimMsg {
  readonly type: 'trim';
  readonly from: NodeId;
  readonly index: number;
  readonly epoch: number;
}

export type ToReplica<P = unknown> = AppendMsg<P> | PromiseMsg | FetchMsg | ReadMsg | TrimMsg;

// ---- log replica -> engine node -------------------------------------------------------

export interface AppendReply {
  readonly type: 'appendReply';
  readonly from: NodeId;
  /** The epoch of the append this answers. */
  readonly requestEpoch: number;
  /** The replica's promised epoch when it answered; above requestEpoch means "fenced". */
  readonly promisedEpoch: number;
  /** true: the log holds the writer's entries through matchIndex, durably. */
  readonly ok: boolean;
  readonly matchIndex: number;
  /** On a mismatch: the writer should retry with prevIndex <= hintIndex. */
  readonly hintIndex: number;
  readonly prevIndex: number;
  readonly sentAt: number;
}

export interface PromiseReply {
  readonly type: 'promiseReply';
  readonly from: NodeId;
  readonly epoch: number;
  readonly granted: boolean;
  /** Why not: an equal or higher epoch is promised, or a lease granted is still running. */
  readonly reason?: 'epoch' | 'lease';
  readonly promisedEpoch: number;
  /** With reason 'lease': how long (replica's clock) until it runs out. */
  readonly leaseRemaining?: number;
  readonly last: Position;
  readonly snapshot: Position;
}

export interface FetchReply<P = unknown> {
  readonly type: 'fetchReply';
  readonly from: NodeId;
  readonly epoch: number;
  readonly ok: boolean;
  readonly promisedEpoch: number;
  readonly fromIndex: number;
  /** Epoch of the entry at fromIndex - 1 (-1 if the replica does not hold it). */
  readonly prevEpoch: number;
  readonly entries: readonly Entry<P>[];
  readonly last: Position;
  /** Set when fromIndex is at or below the replica's snapshot: start from a snapshot. */
  readonly trimmed?: Position;
}

/** The replica's view of the current writer's latest append: progress here = lease renewed. */
export interface WriterMark {
  readonly epoch: number;
  readonly sentAt: number;
  /** Who sent it: lets replicas redirect clients to the primary. */
  readonly writer: NodeId;
}

export interface ReadReply<P = unknown> {
  readonly type: 'readReply';
  readonly from: NodeId;
  readonly reqId: number;
  readonly fromIndex: number;
  readonly prevEpoch: number;
  readonly entries: readonly Entry<P>[];
  readonly commitIndex: number;
  readonly promisedEpoch: number;
  readonly mark: WriterMark | null;
  readonly trimmed?: Position;
}

export type FromReplica<P = unknown> = AppendReply | PromiseReply | FetchReply<P> | ReadReply<P>;

export type LogMsg<P = unknown> = ToReplica<P> | FromReplica<P>;

export interface Send<M> {
  readonly kind: 'send';
  readonly to: NodeId;
  readonly msg: M;
}

// ---- configuration --------------------------------------------------------------------

/**
 * Deliberately broken variants, for tests that show the simulator's checker catches them.
 * Never set in production.
 */
export interface Bugs {
  /** Writer: an entry counts as committed once any one replica holds it. */
  commitOnMinority?: boolean;
  /** Replicas promise a new epoch while a lease is running; followers campaign early. */
  skipLeaseWait?: boolean;
  /** Writer serves without checking its lease. */
  noLeaseCheck?: boolean;
  /** Replicas accept appends from any epoch (no fence). */
  noFence?: boolean;
  /** Replicas acknowledge before the fsync completes. */
  ackBeforeFsync?: boolean;
  /** A new writer serves as soon as it holds the promises (before replay and re-commit). */
  serveBeforeReplay?: boolean;
  /** Replicas hand uncommitted entries to followers. */
  readUncommitted?: boolean;
  /** A candidate keeps its own log instead of adopting the most up-to-date promiser's. */
  noAdopt?: boolean;
}

export interface LogConfig {
  /** Log replica ids (n = 3: one per AZ). */
  readonly replicas: readonly NodeId[];
  /** Lease L: granted by each replica on its own clock from when it receives an append. */
  readonly leaseMs: number;
  /** Clock rate error bound ρ (0.01 = every clock runs within ±1% of real time). */
  readonly driftRate: number;
  readonly heartbeatMs: number;
  /** An entry not committed by then: the writer gives up (outcome unknown) and steps down. */
  readonly commitTimeoutMs: number;
  /** Resend to a replica that made no progress for this long. */
  readonly retransmitMs: number;
  /** Follower's extra wait before campaigning (per node: priority and anti-duel offset). */
  readonly campaignOffsetMs: number;
  /** Give up a campaign that has not won in this long. */
  readonly campaignTimeoutMs: number;
  /** Resend a read that got no answer for this long. */
  readonly readTimeoutMs: number;
  /** How long a replica may hold a read with nothing new for it (ReadMsg.waitMs; < readTimeoutMs). */
  readonly readWaitMs: number;
  /**
   * The log replica in this node's own AZ, if any. A follower reads from it while it answers
   * and shows the writer's renewals (no cross-AZ hop per read), from all replicas in turn
   * otherwise. Where entries come from never matters for safety: every replica hands out
   * committed entries only, and promises wait out the lease on the replicas' own clocks.
   */
  readonly readFrom?: NodeId;
  readonly maxBatch: number;
  /** Hard cap on appends in flight per replica. */
  readonly maxInflight: number;
  /**
   * Appends in flight per replica below which new entries leave at once; above it, up to
   * maxInflight, an entry waits until it is holdMs old (gathering the entries behind it into
   * one append) unless an acknowledgement frees a slot first.
   */
  readonly eagerInflight: number;
  readonly holdMs: number;
  /** Followers ask the engine for a snapshot every this many applied entries (0 = never). */
  readonly snapshotEvery: number;
  readonly bugs?: Bugs;
}

/**
 * Lease safety needs: the writer's lease, L − m on a clock running at ≥ (1 − ρ), ends in
 * real time no later than the replicas' L on clocks running at ≤ (1 + ρ), both counted from
 * the same send. (L − m)/(1 − ρ) ≤ L/(1 + ρ)  ⇔  m ≥ 2ρL/(1 + ρ).
 */
export function leaseMargin(leaseMs: number, driftRate: number): number {
  return (2 * driftRate * leaseMs) / (1 + driftRate);
}

/**
 * Time after the last renewal a follower saw before campaigning: strictly more than the
 * lease as it can last in real time, measured on a clock that may run slow.
 */
export function campaignDelay(cfg: LogConfig): number {
  if (cfg.bugs?.skipLeaseWait) return cfg.heartbeatMs * 2 + cfg.campaignOffsetMs / 4;
  return (cfg.leaseMs * (1 + cfg.driftRate)) / (1 - cfg.driftRate) + cfg.campaignOffsetMs + 1;
}

export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

export function defaultLogConfig(replicas: readonly NodeId[], over: Partial<LogConfig> = {}): LogConfig {
  const leaseMs = over.leaseMs ?? 2000;
  return {
    replicas,
    leaseMs,
    driftRate: 0.01,
    heartbeatMs: leaseMs / 5,
    commitTimeoutMs: leaseMs * 2,
    retransmitMs: leaseMs / 4,
    campaignOffsetMs: 0,
    campaignTimeoutMs: leaseMs * 3,
    readTimeoutMs: leaseMs / 4,
    // Followers poll every engine tick (10 ms): idle, a held read is what keeps a durable
    // cluster from burning CPU on empty round trips; renewals still arrive at once.
    readWaitMs: leaseMs / 8,
    maxBatch: 256,
    // Four appends in flight per replica leave at once; more wait up to 1 ms to gather. Under
    // load the entries queued meanwhile go out as one bigger append (per-message cost: header,
    // CRC pass, fsync turn, ack, dominates the log replicas' CPU: bench:durable 256 connections
    // 0.40-0.48x plain with 8 eager, 0.50-0.55x with a hard cap of 2), while a long round trip
    // with a few concurrent writers does not make an entry wait a whole round trip for a free
    // slot (the hard cap of 2 did: 2R at R = 4 ms with 4 connections, test/lab/bench/injected-rtt).
    maxInflight: 8,
    eagerInflight: 4,
    holdMs: 1,
    snapshotEvery: 0,
    ...over,
  };
}

export function invariant(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error('invariant: ' + what);
}
