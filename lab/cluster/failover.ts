/**
 * Sentinel's failover rules for plain and wait mode, as a pure state machine: probe
 * results and clock ticks in, actions out. The supervisor performs the actions (REPLICAOF
 * commands) and feeds back what it observes. It applies Sentinel's rules and only them —
 * nothing here may protect plain or wait mode from the losses they really have.
 *
 * Rules (sentinel.c): the primary is subjectively down after `downAfterMs` without a valid
 * PING reply (one supervisor: quorum 1, so SDOWN is ODOWN). Candidates exclude replicas
 * that are down, that did not answer recently, whose link to the primary has been down for
 * too long (more than downAfterMs * 10 beyond the primary's down time), and replicas with
 * priority 0. They are sorted by priority (lower first), then replication offset (higher
 * first), then id (lexicographically smaller first). The winner gets REPLICAOF NO ONE;
 * once it reports role master, every other node — including the old primary if it comes
 * back — is pointed at it.
 */

export interface NodeObservation {
  id: string;
  /** Did the last PING get a valid reply (PONG, LOADING, MASTERDOWN)? */
  reachable: boolean;
  /** Role as the node reports it (INFO replication), when reachable. */
  role?: 'master' | 'slave';
  /** master_repl_offset / slave_repl_offset. */
  offset?: number;
  priority?: number;
  runId?: string;
  /** Where a replica's master_host:port points, as node id, when known. */
  following?: string | null;
  /** master_link_down_since_seconds * 1000 for replicas whose link is down. */
  linkDownMs?: number;
}

export type FailoverAction =
  | { kind: 'promote'; node: string; epoch: number }
  | { kind: 'replicaof'; node: string; primary: string; epoch: number }
  | { kind: 'switch-primary'; from: string; to: string; epoch: number }
  | { kind: 'log'; message: string };

export interface FailoverConfig {
  downAfterMs: number;
  /** How long a promotion may take before the failover is aborted and retried. */
  failoverTimeoutMs: number;
  /** Probe interval; a replica whose last reply is older than 5x this is not a candidate. */
  pingPeriodMs: number;
}

interface NodeState {
  obs: NodeObservation;
  lastOkAt: number;
  lastSeenAt: number;
}

type Phase =
  | { name: 'watching' }
  | { name: 'promoting'; candidate: string; since: number }
  | { name: 'reconfiguring'; since: number };

export class SentinelFailover {
  private readonly nodes = new Map<string, NodeState>();
  private phase: Phase = { name: 'watching' };
  private epoch = 0;
  private primaryDownSince: number | null = null;

  constructor(
    private primaryId: string,
    nodeIds: string[],
    private readonly config: FailoverConfig,
    now: number,
  ) {
    if (!nodeIds.includes(primaryId)) throw new Error(`invariant: primary ${primaryId} is not among the nodes`);
    for (const id of nodeIds) this.nodes.set(id, { obs: { id, reachable: true }, lastOkAt: now, lastSeenAt: now });
  }

  get primary(): string {
    return this.primaryId;
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  get phaseName(): Phase['name'] {
    return this.phase.name;
  }

  /** A probe result for one node, observed at `now`. */
  observe(obs: NodeObservation, now: number): FailoverAction[] {
    const st = this.nodes.get(obs.id);
    if (!st) throw new Error(`invariant: observation for unknown node ${obs.id}`);
    st.obs = obs;
    st.lastSeenAt = now;
    if (obs.reachable) st.lastOkAt = now;
    return this.tick(now);
  }

  /** Re-evaluate: detection, candidate choice, and reconfiguration of stragglers. */
  tick(now: number): FailoverAction[] {
    const out: FailoverAction[] = [];
    const primary = this.nodes.get(this.primaryId)!;
    const primaryDown = now - primary.lastOkAt > this.config.downAfterMs;
    if (primaryDown && this.primaryDownSince === null) {
      this.primaryDownSince = primary.lastOkAt + this.config.downAfterMs;
      out.push({ kind: 'log', message: `+sdown master ${this.primaryId} (no valid reply for ${this.config.downAfterMs} ms)` });
    } else if (!primaryDown && this.primaryDownSince !== null && this.phase.name === 'watching') {
      this.primaryDownSince = null;
      out.push({ kind: 'log', message: `-sdown master ${this.primaryId}` });
    }

    switch (this.phase.name) {
      case 'watching':
        if (this.primaryDownSince !== null) {
          const cand = this.selectCandidate(now);
          if (!cand) {
            out.push({ kind: 'log', message: '-failover-abort-no-good-slave' });
            break;
          }
          this.epoch++;
          this.phase = { name: 'promoting', candidate: cand, since: now };
          out.push({ kind: 'log', message: `+selected-slave ${cand} (epoch ${this.epoch})` });
          out.push({ kind: 'promote', node: cand, epoch: this.epoch });
        } else {
          out.push(...this.reconcile());
        }
        break;
      case 'promoting': {
        const cand = this.nodes.get(this.phase.candidate)!;
        if (cand.obs.reachable && cand.obs.role === 'master' && cand.lastSeenAt >= this.phase.since) {
          const from = this.primaryId;
          this.primaryId = cand.obs.id;
          this.primaryDownSince = null;
          this.phase = { name: 'reconfiguring', since: now };
          out.push({ kind: 'switch-primary', from, to: this.primaryId, epoch: this.epoch });
          out.push(...this.reconcile());
        } else if (now - this.phase.since > this.config.failoverTimeoutMs) {
          out.push({ kind: 'log', message: `-failover-abort-timeout ${this.phase.candidate}` });
          this.phase = { name: 'watching' };
        }
        break;
      }
      case 'reconfiguring':
        out.push(...this.reconcile());
        if (this.allFollowing()) this.phase = { name: 'watching' };
        break;
    }
    return out;
  }

  /** Point every reachable node that is not following the primary at it. */
  private reconcile(): FailoverAction[] {
    const out: FailoverAction[] = [];
    for (const [id, st] of this.nodes) {
      if (id === this.primaryId || !st.obs.reachable) continue;
      const ok = st.obs.role === 'slave' && st.obs.following === this.primaryId;
      if (!ok) out.push({ kind: 'replicaof', node: id, primary: this.primaryId, epoch: this.epoch });
    }
    return out;
  }

  private allFollowing(): boolean {
    for (const [id, st] of this.nodes) {
      if (id === this.primaryId || !st.obs.reachable) continue;
      if (!(st.obs.role === 'slave' && st.obs.following === this.primaryId)) return false;
    }
    return true;
  }

  /** Sentinel's sentinelSelectSlave. */
  selectCandidate(now: number): string | null {
    const downSince = this.primaryDownSince ?? now;
    const maxLinkDown = now - downSince + this.config.downAfterMs * 10;
    const candidates: NodeObservation[] = [];
    for (const [id, st] of this.nodes) {
      if (id === this.primaryId) continue;
      const o = st.obs;
      if (!o.reachable || now - st.lastOkAt > this.config.pingPeriodMs * 5) continue;
      if (o.role !== 'slave') continue;
      if ((o.priority ?? 100) === 0) continue;
      if ((o.linkDownMs ?? 0) > maxLinkDown) continue;
      candidates.push(o);
    }
    candidates.sort((a, b) => {
      const pa = a.priority ?? 100;
      const pb = b.priority ?? 100;
      if (pa !== pb) return pa - pb;
      const oa = a.offset ?? 0;
      const ob = b.offset ?? 0;
      if (oa !== ob) return ob - oa;
      // Sentinel breaks ties by run id; the lab uses the node id so runs are reproducible.
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    return candidates.length ? candidates[0].id : null;
  }
}
