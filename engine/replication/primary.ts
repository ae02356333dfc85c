import { encodeCommand } from '../resp/encoder.js';
import type { Effect } from '../commands/types.js';
import { Backlog } from './backlog.js';

/**
 * The primary side of replication as a pure state machine: the replication ID(s) and
 * offset, the backlog, the registry of replicas with their acknowledged offsets, PSYNC
 * decisions and WAIT bookkeeping. No sockets or clocks: callers pass `now` (ms) and send
 * the bytes it returns. A replica keeps one too (same ID and offset as its primary, fed
 * with the primary's raw stream) so that replicas of its own, or replicas that follow it
 * after a promotion, can continue partially (PSYNC2).
 */

export const NULL_REPLID = '0'.repeat(40);

/** Redis's replstate, as INFO shows it. */
export type ReplicaState = 'wait_bgsave' | 'send_bulk' | 'online';

export interface ReplicaInfo {
  readonly id: number;
  /** Peer IP, or the one announced with REPLCONF ip-address. */
  ip: string;
  /** REPLCONF listening-port (0 until sent). */
  listeningPort: number;
  capaEof: boolean;
  capaPsync2: boolean;
  /** Registered by SYNC/PSYNC; before that the connection is only a client. */
  state: ReplicaState | null;
  /** Highest offset acknowledged with REPLCONF ACK. */
  ackOffset: number;
  /** When the last ACK came (ms); the lag is measured from it. */
  ackTime: number;
  /** Came with SYNC (no ACKs expected). */
  prePsync: boolean;
}

export type PsyncDecision =
  | { kind: 'continue'; reply: string; data: Buffer }
  | { kind: 'full'; reply: string; replid: string; offset: number };

export interface PrimaryConfig {
  backlogSize: number;
  /** repl-ping-replica-period, seconds. */
  pingPeriodSec: number;
  /** repl-timeout, seconds. */
  timeoutSec: number;
}

interface Waiter {
  offset: number;
  numreplicas: number;
}

export class ReplicationState {
  replid: string;
  replid2 = NULL_REPLID;
  /** Offset up to which replid2 is valid (second_repl_offset), -1 when none. */
  secondReplidOffset = -1;
  /** master_repl_offset: bytes of stream produced (or, on a replica, applied) so far. */
  offset = 0;
  backlog: Backlog | null = null;
  /** Database the stream last selected; -1 forces a SELECT before the next command. */
  seldb = -1;
  readonly replicas = new Map<number, ReplicaInfo>();
  /** On a replica: the stream is proxied from the primary, never produced here. */
  proxying = false;
  private waiters = new Map<number, Waiter>();
  private pendingStr = '';
  private pendingBufs: Buffer[] = [];
  private nextWaiter = 1;
  private lastPing = 0;

  constructor(
    private readonly config: PrimaryConfig,
    private readonly newId: () => string,
  ) {
    this.replid = newId();
  }

  /** Replicas that receive the stream (registered by SYNC/PSYNC). */
  *streamReplicas(): Generator<ReplicaInfo> {
    for (const r of this.replicas.values()) if (r.state !== null) yield r;
  }

  get replicaCount(): number {
    let n = 0;
    for (const r of this.replicas.values()) if (r.state !== null) n++;
    return n;
  }

  /**
   * Effects of a write on a primary, encoded as the stream (SELECT when the db changes).
   * The bytes wait in `pending` until `takePending` (once per event-loop turn), so the
   * backlog and the sockets get one write per turn, not one per command. Nothing happens
   * while there is no backlog: Redis does not count offsets without replicas.
   */
  feedEffects(effects: readonly Effect[]): void {
    if (this.proxying || this.backlog === null) return;
    let out = '';
    for (const e of effects) {
      if (e.db !== this.seldb) {
        const s = String(e.db);
        out += '*2\r\n$6\r\nSELECT\r\n$' + s.length + '\r\n' + s + '\r\n';
        this.seldb = e.db;
      }
      out += encodeCommand(e.argv);
    }
    this.pendingStr += out;
    this.offset += out.length;
  }

  /** A command the primary itself adds (PING, REPLCONF GETACK), in the selected db. */
  feedCommand(argv: readonly string[]): void {
    if (this.proxying || this.backlog === null) return;
    const out = encodeCommand(argv);
    this.pendingStr += out;
    this.offset += out.length;
  }

  /** On a replica: bytes of the primary's stream that were applied, verbatim. */
  feedRaw(data: Buffer): void {
    if (!this.proxying) throw new Error('invariant: raw stream fed to a primary');
    if (this.backlog === null) this.backlog = new Backlog(this.config.backlogSize, this.offset + 1);
    if (this.pendingStr) this.pendingBufs.push(Buffer.from(this.pendingStr, 'latin1'));
    this.pendingStr = '';
    this.pendingBufs.push(data);
    this.offset += data.length;
  }

  get hasPending(): boolean {
    return this.pendingStr.length !== 0 || this.pendingBufs.length !== 0;
  }

  /** Move the stream produced since the last call into the backlog; returns it to send. */
  takePending(): Buffer | null {
    if (!this.hasPending) return null;
    if (this.pendingStr) this.pendingBufs.push(Buffer.from(this.pendingStr, 'latin1'));
    const data = this.pendingBufs.length === 1 ? this.pendingBufs[0] : Buffer.concat(this.pendingBufs);
    this.pendingStr = '';
    this.pendingBufs = [];
    this.backlog!.append(data);
    if (this.backlog!.lastOffset !== this.offset) throw new Error('invariant: backlog end is not the replication offset');
    return data;
  }

  private noPending(what: string): void {
    if (this.hasPending) throw new Error(`invariant: ${what} with stream bytes not yet in the backlog`);
  }

  addReplica(id: number, ip: string, now: number): ReplicaInfo {
    const r: ReplicaInfo = { id, ip, listeningPort: 0, capaEof: false, capaPsync2: false, state: null, ackOffset: 0, ackTime: now, prePsync: false };
    this.replicas.set(id, r);
    return r;
  }

  removeReplica(id: number): void {
    this.replicas.delete(id);
  }

  /**
   * PSYNC replid offset (`offset` is the first byte the replica lacks). Redis's
   * masterTryPartialResynchronization: continue if the ID is ours (or our previous one up
   * to where it is valid) and the backlog holds the bytes from `offset`.
   */
  psync(id: number, replid: string, offset: number, now: number): PsyncDecision {
    const r = this.replicas.get(id);
    if (!r) throw new Error(`invariant: PSYNC from unregistered connection ${id}`);
    this.noPending('PSYNC');
    const sameHistory = replid === this.replid || (replid === this.replid2 && offset <= this.secondReplidOffset);
    if (sameHistory && this.backlog !== null && this.backlog.covers(offset)) {
      r.state = 'online';
      r.ackTime = now;
      const reply = r.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : '+CONTINUE\r\n';
      return { kind: 'continue', reply, data: this.backlog.from(offset) };
    }
    return this.fullSync(id, now);
  }

  /** Set a replica up for a full resync: its snapshot must be taken at the returned offset. */
  fullSync(id: number, now: number, prePsync = false): PsyncDecision & { kind: 'full' } {
    const r = this.replicas.get(id);
    if (!r) throw new Error(`invariant: SYNC from unregistered connection ${id}`);
    this.noPending('SYNC');
    r.state = 'wait_bgsave';
    r.prePsync = prePsync;
    r.ackTime = now;
    if (this.backlog === null && !this.proxying) {
      // A backlog created from scratch starts a new history (Redis: changeReplicationId).
      this.replid = this.newId();
      this.clearReplid2();
      this.backlog = new Backlog(this.config.backlogSize, this.offset + 1);
    }
    // The replica knows no db yet: the next command must SELECT.
    if (!this.proxying) this.seldb = -1;
    return { kind: 'full', reply: prePsync ? '' : `+FULLRESYNC ${this.replid} ${this.offset}\r\n`, replid: this.replid, offset: this.offset };
  }

  /** The snapshot has been handed to the socket; the replica now gets the stream as sent. */
  bulkStarted(id: number): void {
    const r = this.replicas.get(id);
    if (r && r.state === 'wait_bgsave') r.state = 'send_bulk';
  }

  bulkDone(id: number, now: number): void {
    const r = this.replicas.get(id);
    if (r && r.state === 'send_bulk') {
      r.state = 'online';
      r.ackTime = now;
    }
  }

  /**
   * REPLCONF option/value pairs from a connection. Returns an error message, 'ack' (no
   * reply: ACK and GETACK are never answered) or 'ok'.
   */
  replconf(id: number, args: readonly string[], now: number): { reply: 'ok' | 'none' } | { error: string } {
    const r = this.replicas.get(id);
    if (!r) throw new Error(`invariant: REPLCONF from unregistered connection ${id}`);
    for (let j = 0; j + 1 < args.length; j += 2) {
      const opt = args[j].toLowerCase();
      const val = args[j + 1];
      if (opt === 'listening-port') {
        const p = parseLong(val);
        if (p === null) return { error: 'ERR value is not an integer or out of range' };
        r.listeningPort = p;
      } else if (opt === 'ip-address') {
        if (val.length >= 46) return { error: `ERR REPLCONF ip-address provided by replica instance is too long: ${val.length} bytes` };
        r.ip = val;
      } else if (opt === 'capa') {
        const v = val.toLowerCase();
        if (v === 'eof') r.capaEof = true;
        else if (v === 'psync2') r.capaPsync2 = true;
      } else if (opt === 'ack') {
        if (r.state === null) return { reply: 'none' };
        const off = parseLong(val);
        if (off === null) return { reply: 'none' };
        if (off > r.ackOffset) r.ackOffset = off;
        r.ackTime = now;
        return { reply: 'none' };
      } else if (opt === 'getack') {
        return { reply: 'none' };
      } else {
        return { error: `ERR Unrecognized REPLCONF option: ${args[j]}` };
      }
    }
    return { reply: 'ok' };
  }

  /** Online replicas that acknowledged at least `offset` (replicationCountAcksByOffset). */
  countAcks(offset: number): number {
    let n = 0;
    for (const r of this.replicas.values()) if (r.state === 'online' && r.ackOffset >= offset) n++;
    return n;
  }

  /** Online replicas whose last ACK is at most `maxLagSec` old (refreshGoodSlavesCount). */
  goodReplicas(now: number, maxLagSec: number): number {
    let n = 0;
    for (const r of this.replicas.values()) {
      if (r.state === 'online' && lagSeconds(r, now) <= maxLagSec) n++;
    }
    return n;
  }

  /** A WAIT that must block: returns its token. */
  addWaiter(offset: number, numreplicas: number): number {
    const t = this.nextWaiter++;
    this.waiters.set(t, { offset, numreplicas });
    return t;
  }

  removeWaiter(token: number): void {
    this.waiters.delete(token);
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /** WAITs now satisfied, with the count each answers; they are forgotten. */
  satisfiedWaiters(): { token: number; count: number }[] {
    const out: { token: number; count: number }[] = [];
    for (const [t, w] of this.waiters) {
      const count = this.countAcks(w.offset);
      if (count >= w.numreplicas) {
        out.push({ token: t, count });
        this.waiters.delete(t);
      }
    }
    return out;
  }

  /**
   * Periodic work: the PING every repl-ping-replica-period (into the stream; true if one
   * was added), and replicas to drop because they did not ACK within repl-timeout.
   */
  tick(now: number): { ping: boolean; timedOut: number[] } {
    let ping = false;
    if (!this.proxying && this.replicaCount > 0 && now - this.lastPing >= this.config.pingPeriodSec * 1000) {
      this.lastPing = now;
      this.feedCommand(['PING']);
      ping = true;
    }
    const timedOut: number[] = [];
    for (const r of this.replicas.values()) {
      if (r.state === 'online' && !r.prePsync && now - r.ackTime > this.config.timeoutSec * 1000) timedOut.push(r.id);
    }
    return { ping, timedOut };
  }

  setConfig(c: Partial<PrimaryConfig>): void {
    Object.assign(this.config, c);
    if (c.backlogSize !== undefined && this.backlog) {
      this.noPending('backlog resize');
      this.backlog.resize(c.backlogSize);
    }
  }

  clearReplid2(): void {
    this.replid2 = NULL_REPLID;
    this.secondReplidOffset = -1;
  }

  /**
   * Promotion (REPLICAOF NO ONE): a new history starts here; the old ID stays valid up to
   * the current offset, so replicas of the old primary continue partially (shiftReplicationId).
   */
  shiftReplid(): void {
    this.noPending('promotion');
    this.replid2 = this.replid;
    this.secondReplidOffset = this.offset + 1;
    this.replid = this.newId();
    this.proxying = false;
    this.seldb = -1;
  }

  /** On a replica after a full sync: adopt the primary's history; a fresh backlog. */
  adoptPrimary(replid: string, offset: number): void {
    this.noPending('full sync');
    this.proxying = true;
    this.replid = replid;
    this.offset = offset;
    this.clearReplid2();
    this.backlog = new Backlog(this.config.backlogSize, offset + 1);
  }

  /** On a replica after +CONTINUE with another ID (the primary was promoted): PSYNC2. */
  switchReplid(replid: string): void {
    if (replid === this.replid) return;
    this.replid2 = this.replid;
    this.secondReplidOffset = this.offset + 1;
    this.replid = replid;
  }
}

/** Seconds since the replica's last ACK, on Redis's whole-second clock. */
export function lagSeconds(r: ReplicaInfo, now: number): number {
  return Math.floor(now / 1000) - Math.floor(r.ackTime / 1000);
}

/** getLongLongFromObject: a base-10 int64 without spaces or leading zeros; null if not one. */
export function parseLong(s: string): number | null {
  if (!/^(0|-?[1-9][0-9]{0,18})$/.test(s)) return null;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    const b = BigInt(s);
    if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  }
  return n;
}
