import { Follower, type Campaign, type NeedSnapshot, type TakeSnapshot } from './follower.js';
import { invariant, type FromReplica, type LogConfig, type NodeId, type Position, type Send, type ToReplica } from './types.js';
import type { Apply, BecameWriter, Committed, Fenced, Writer } from './writer.js';

export type ClientOut<P> = Send<ToReplica<P>> | Apply<P> | TakeSnapshot | NeedSnapshot | Campaign | Committed | BecameWriter | Fenced;

export type Role = 'follower' | 'candidate' | 'recovering' | 'writer' | 'fenced';

/**
 * One engine node's log client: a Follower, which on winning a campaign hands over to a
 * Writer, which on being fenced hands back. This is what the engine wires to its sockets:
 *
 * - every ~10 ms: `tick(now)`; on a replica message: `handle(msg, now)`;
 * - per command as primary: `canServe(now)`, execute, `append(effects, now)`; at the end of
 *   the event-loop turn `flush(now)` (one batch per replica: the group);
 * - perform every output in order (send, apply, snapshot, release replies up to Committed,
 *   start serving on BecameWriter, stop on Fenced).
 */
export class LogClient<P = unknown> {
  private follower: Follower<P> | null;
  private writer: Writer<P> | null = null;
  private isFenced = false;
  private readonly incarnation: string;
  private lives = 0;

  constructor(
    readonly id: NodeId,
    private readonly cfg: LogConfig,
    /** incarnation: unique for this process start (a boot id, a random UUID): never reused. */
    start: { snapshot: Position; incarnation: string },
    now: number,
  ) {
    this.incarnation = start.incarnation;
    this.follower = new Follower<P>(id, cfg, { snapshot: start.snapshot, incarnation: `${this.incarnation}.${this.lives++}` }, now);
  }

  get role(): Role {
    if (this.isFenced) return 'fenced';
    if (this.writer) return this.writer.ready ? 'writer' : 'recovering';
    return this.follower!.role === 'campaigning' ? 'candidate' : 'follower';
  }

  /** The writer, while this node holds (or is winning) an epoch. */
  get currentWriter(): Writer<P> | null {
    return this.writer;
  }
  get currentFollower(): Follower<P> | null {
    return this.writer ? null : this.follower;
  }

  canServe(now: number): boolean {
    return this.writer !== null && this.writer.canServe(now);
  }

  append(payload: P, now: number): number {
    invariant(this.writer !== null, 'append on a node that is not the writer');
    return this.writer.append(payload, now);
  }

  flush(now: number): ClientOut<P>[] {
    return this.writer ? this.fromWriter(this.writer.flush(now), now) : [];
  }

  tick(now: number): ClientOut<P>[] {
    if (this.isFenced) return [];
    if (this.writer) return this.fromWriter(this.writer.tick(now), now);
    return this.fromFollower(this.follower!.tick(now), now);
  }

  handle(msg: FromReplica<P>, now: number): ClientOut<P>[] {
    if (this.isFenced) return [];
    if (this.writer) return this.fromWriter(this.writer.handle(msg, now), now);
    return this.fromFollower(this.follower!.handle(msg, now), now);
  }

  snapshotStored(at: Position, now: number): ClientOut<P>[] {
    if (this.writer) {
      this.writer.trimmed(at);
      return [];
    }
    return this.follower ? this.fromFollower(this.follower.snapshotStored(at, now), now) : [];
  }

  snapshotFailed(): void {
    this.follower?.snapshotFailed();
  }

  /** After NeedSnapshot, or after a Fenced that discarded memory: the engine loaded this snapshot. */
  snapshotLoaded(at: Position, now: number, seenEpoch = 0): void {
    if (this.isFenced) {
      this.isFenced = false;
      this.follower = new Follower<P>(this.id, this.cfg, { snapshot: at, maxEpoch: seenEpoch, incarnation: `${this.incarnation}.${this.lives++}` }, now);
      return;
    }
    invariant(this.writer === null, 'snapshot loaded while writing');
    this.follower!.snapshotLoaded(at, now);
  }

  private fromFollower(outs: ReturnType<Follower<P>['tick']>, now: number): ClientOut<P>[] {
    const res: ClientOut<P>[] = [];
    for (const o of outs) {
      if (o.kind === 'promoted') {
        this.writer = o.writer;
        res.push(...this.fromWriter(o.writer.flush(now), now));
      } else res.push(o);
    }
    return res;
  }

  private fromWriter(outs: ReturnType<Writer<P>['tick']>, now: number): ClientOut<P>[] {
    for (const o of outs) {
      if (o.kind !== 'fenced') continue;
      this.writer = null;
      if (o.discardMemory) {
        this.isFenced = true;
        this.follower = null;
      } else this.follower!.resume(o.seenEpoch, now);
    }
    return outs;
  }
}
