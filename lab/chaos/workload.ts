/**
 * The chaos workload: closed-loop ioredis clients writing unique values to registers
 * (SET k v), grow-only sets (SADD k m) and counters (INCRBY k 1), with reads (GET,
 * SMEMBERS), against the primary the cluster announces. Every operation becomes one
 * history record (lab/checker/history.ts) with invoke and completion times on the chaos
 * clock (µs).
 *
 * Results: ok; fail when the server refused before executing (READONLY, NOREPLICAS, -ERR)
 * or the command was never sent; unknown on timeout, disconnect, or an error that says the
 * outcome is unknown. A client whose operation ended unknown is retired and its slot gets
 * a new client id (Jepsen's rule), so each client id's operations are sequential.
 *
 * Following failovers: a client resolves the primary when it connects and checks ROLE
 * (as Sentinel-aware clients do); on the cluster's +switch-master it finishes its current
 * operation, then reconnects to the new primary. In wait mode every ok write is followed
 * by WAIT replicas timeout on the same connection; the record keeps WAIT's answer.
 *
 * Keys are used for a bounded number of operations each (opsPerKey) and then replaced by
 * fresh ones, so that each key's sub-history stays small enough for the checker.
 */
import { Redis } from 'ioredis';
import type { Operation } from '../checker/history.js';
import { rng } from '../workloads/keys.js';

export const DATA_TYPES = ['register', 'set', 'counter'] as const;
export type DataType = (typeof DATA_TYPES)[number];

export interface ChaosWorkloadConfig {
  clients: number;
  /** Relative weights of the data types. */
  mix: Record<DataType, number>;
  /** Share of operations that are reads, 0..1. */
  readFraction: number;
  /** Keys of each type in use at any time. */
  keysPerType: number;
  /** Operations on a key before it is replaced by a fresh one. */
  opsPerKey: number;
  /** A reply later than this is an unknown outcome. */
  opTimeoutMs: number;
  connectTimeoutMs: number;
  /** wait mode: WAIT replicas timeoutMs after every ok write. */
  wait: { replicas: number; timeoutMs: number } | null;
  keyPrefix: string;
  seed: number;
}

/** A history record plus what the loss count needs. Extra fields are ignored by the checker. */
export interface ChaosOperation extends Operation {
  /** The engine node it was sent to. */
  node?: string;
  /** wait mode, ok writes: WAIT's reply; -1 when WAIT itself failed. */
  wait?: number;
  /** The error of a fail or unknown result. */
  error?: string;
  /** A read of the read-back after the round. */
  final?: boolean;
}

export interface Target {
  node: string;
  host: string;
  port: number;
}

export const F_WRITE: Record<DataType, Operation['f']> = { register: 'write', set: 'add', counter: 'incr' };
export const F_READ: Record<DataType, Operation['f']> = { register: 'read', set: 'members', counter: 'get' };

export function typeOf(f: Operation['f']): DataType {
  if (f === 'write' || f === 'read' || f === 'cas') return 'register';
  if (f === 'add' || f === 'members') return 'set';
  return 'counter';
}

export const isWrite = (o: Operation): boolean => o.f === 'write' || o.f === 'add' || o.f === 'incr' || o.f === 'cas';

export interface Classified {
  result: 'fail' | 'unknown';
  /** Short name: the first word of a Redis error, or the client's. */
  kind: string;
  /** Drop this connection (the node is no primary, the link is gone, or its state is unknown). */
  reconnect: boolean;
}

/**
 * ok / fail / unknown for an error of an operation that was sent (or was about to be).
 * Only a definite refusal is a fail; anything that leaves the outcome open is unknown.
 */
export function classifyError(e: unknown): Classified {
  const err = e as { name?: string; message?: string; code?: string };
  const msg = err?.message ?? String(e);
  if (err?.name === 'ReplyError') {
    const kind = /^[A-Z][A-Z_-]*/.exec(msg)?.[0] ?? 'ERR';
    if (/^(UNKNOWN|UNCERTAIN)\b/.test(msg) || /outcome (is )?unknown|may have been (applied|committed)/i.test(msg)) {
      return { result: 'unknown', kind, reconnect: true };
    }
    return { result: 'fail', kind, reconnect: ['READONLY', 'MASTERDOWN', 'LOADING'].includes(kind) };
  }
  if (/enableOfflineQueue|Stream isn't writeable/i.test(msg)) return { result: 'fail', kind: 'NOT_CONNECTED', reconnect: true };
  if (/timed out/i.test(msg)) return { result: 'unknown', kind: 'TIMEOUT', reconnect: true };
  if (/Connection is closed/i.test(msg)) return { result: 'unknown', kind: 'CONNECTION_CLOSED', reconnect: true };
  return { result: 'unknown', kind: typeof err?.code === 'string' ? err.code : 'CLIENT_ERROR', reconnect: true };
}

/** Keys in use per type; each is replaced after opsPerKey operations. */
export class KeySpace {
  private readonly slots = new Map<DataType, { key: string; ops: number }[]>();
  private readonly all: { key: string; type: DataType }[] = [];
  private gen = 0;

  constructor(
    private readonly prefix: string,
    private readonly perType: number,
    private readonly opsPerKey: number,
  ) {
    for (const t of DATA_TYPES) this.slots.set(t, []);
  }

  private fresh(type: DataType): string {
    const key = `${this.prefix}${type[0]}:${this.gen++}`;
    this.all.push({ key, type });
    return key;
  }

  pick(type: DataType, random: () => number): string {
    const slots = this.slots.get(type)!;
    if (slots.length < this.perType) {
      const s = { key: this.fresh(type), ops: 0 };
      slots.push(s);
      s.ops++;
      return s.key;
    }
    const i = Math.floor(random() * slots.length);
    const s = slots[i];
    const key = s.key;
    if (++s.ops >= this.opsPerKey) slots[i] = { key: this.fresh(type), ops: 0 };
    return key;
  }

  keys(): { key: string; type: DataType }[] {
    return [...this.all];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WorkloadStats {
  /** Client ids used (slots + replacements). */
  clientIds: number;
  retired: number;
  connects: number;
  connectFailures: number;
}

export class ChaosWorkload {
  private readonly ops: ChaosOperation[] = [];
  private readonly random: () => number;
  private readonly keySpace: KeySpace;
  private readonly typeWeights: [DataType, number][];
  private running = false;
  private loops: Promise<void>[] = [];
  private nextClientId = 1;
  private nextOpId = 1;
  private primaryGen = 0;
  /** Connections being opened: dropped when the primary changes, so no client waits on a dead one. */
  private readonly opening = new Map<Redis, () => void>();
  private seq = 0;
  readonly stats: WorkloadStats = { clientIds: 0, retired: 0, connects: 0, connectFailures: 0 };
  /** Last completion time of an ok write, per node. */
  readonly lastOkWrite = new Map<string, number>();

  constructor(
    private readonly cfg: ChaosWorkloadConfig,
    private readonly locate: () => Target | null,
    private readonly clock: () => number,
  ) {
    this.random = rng(cfg.seed * 2654435761 + 17);
    this.keySpace = new KeySpace(cfg.keyPrefix, cfg.keysPerType, cfg.opsPerKey);
    this.typeWeights = DATA_TYPES.map((t) => [t, cfg.mix[t] ?? 0] as [DataType, number]).filter(([, w]) => w > 0);
    if (!this.typeWeights.length) throw new Error('chaos workload: the mix has no data type with a weight > 0');
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.cfg.clients; i++) this.loops.push(this.clientLoop());
  }

  /** The announced primary changed: every client reconnects after its current operation. */
  primaryChanged(): void {
    this.primaryGen++;
    for (const abort of this.opening.values()) abort();
  }

  /** Stop issuing; resolves when every client's last operation has ended (ok, fail or unknown). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  history(): ChaosOperation[] {
    return this.ops;
  }

  keys(): { key: string; type: DataType }[] {
    return this.keySpace.keys();
  }

  private newClientId(): number {
    this.stats.clientIds++;
    return this.nextClientId++;
  }

  private pickType(): DataType {
    const total = this.typeWeights.reduce((a, [, w]) => a + w, 0);
    let x = this.random() * total;
    for (const [t, w] of this.typeWeights) {
      if ((x -= w) < 0) return t;
    }
    return this.typeWeights[this.typeWeights.length - 1][0];
  }

  private newRedis(target: Target, timeoutMs: number): Redis {
    const r = new Redis({
      host: target.host,
      port: target.port,
      lazyConnect: true,
      enableReadyCheck: false,
      // A client is one connection: nothing is queued, resent or retried behind our back.
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      commandTimeout: timeoutMs,
      connectTimeout: this.cfg.connectTimeoutMs,
      // Otherwise ioredis sends CLIENT SETINFO twice and is not ready until both answer (or time out).
      disableClientInfo: true,
    });
    r.on('error', () => {});
    return r;
  }

  /** Connect and check that the node says it is a primary (ROLE), as Sentinel clients do. */
  private async open(target: Target): Promise<Redis | null> {
    const redis = this.newRedis(target, this.cfg.opTimeoutMs + (this.cfg.wait?.timeoutMs ?? 0));
    let timer: NodeJS.Timeout | undefined;
    // A paused or black-holed node accepts the connection (the kernel or the delay line does) but never
    // answers; ending our side does not fail what is pending, so give up on a timer or a primary change.
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer')), this.cfg.connectTimeoutMs);
      this.opening.set(redis, () => reject(new Error('the primary changed')));
    });
    giveUp.catch(() => {});
    try {
      const connecting = redis.connect();
      connecting.catch(() => {});
      await Promise.race([connecting, giveUp]);
      const asking = redis.call('ROLE');
      asking.catch(() => {});
      const role = (await Promise.race([asking, giveUp])) as unknown[];
      if (Array.isArray(role) && role[0] !== 'master') throw new Error(`role ${String(role[0])}`);
      this.stats.connects++;
      return redis;
    } catch (e) {
      // An engine without ROLE still serves; anything else means try again.
      if ((e as { name?: string }).name === 'ReplyError' && /unknown command/i.test((e as Error).message)) return redis;
      this.stats.connectFailures++;
      redis.disconnect();
      return null;
    } finally {
      clearTimeout(timer);
      this.opening.delete(redis);
    }
  }

  private async clientLoop(): Promise<void> {
    let id = this.newClientId();
    let backoff = 10;
    while (this.running) {
      const target = this.locate();
      if (!target) {
        await sleep(10);
        continue;
      }
      const gen = this.primaryGen;
      const redis = await this.open(target);
      if (!redis) {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 200);
        continue;
      }
      backoff = 10;
      while (this.running && gen === this.primaryGen) {
        const r = await this.runOne(redis, id, target.node);
        if (r === 'retire') {
          this.stats.retired++;
          id = this.newClientId();
          break;
        }
        if (r === 'reconnect') break;
      }
      redis.disconnect();
    }
  }

  private async runOne(redis: Redis, client: number, node: string): Promise<'next' | 'reconnect' | 'retire'> {
    if (redis.status !== 'ready') return 'reconnect';
    const type = this.pickType();
    const key = this.keySpace.pick(type, this.random);
    const read = this.random() < this.cfg.readFraction;
    const op: ChaosOperation = { id: this.nextOpId++, client, key, f: read ? F_READ[type] : F_WRITE[type], invoke: 0, result: 'unknown', node };
    let value = '';
    if (!read) {
      value = `${client}.${++this.seq}`;
      op.value = type === 'counter' ? 1 : value;
    }
    this.ops.push(op);
    op.invoke = this.clock();
    try {
      if (read) {
        if (type === 'register') op.output = await redis.get(key);
        else if (type === 'set') op.output = await redis.smembers(key);
        else {
          const v = await redis.get(key);
          op.output = v === null ? null : Number(v);
        }
      } else if (type === 'register') await redis.set(key, value);
      else if (type === 'set') await redis.sadd(key, value);
      else op.output = await redis.incrby(key, 1);
      op.complete = this.clock();
      op.result = 'ok';
    } catch (e) {
      const c = classifyError(e);
      op.result = c.result;
      op.error = c.kind;
      if (c.result === 'fail') op.complete = this.clock();
      return c.result === 'unknown' ? 'retire' : c.reconnect ? 'reconnect' : 'next';
    }
    if (!read) {
      this.lastOkWrite.set(node, op.complete!);
      if (this.cfg.wait) {
        try {
          op.wait = Number(await redis.call('WAIT', this.cfg.wait.replicas, this.cfg.wait.timeoutMs));
        } catch {
          // The write itself was acknowledged; only its replication is unconfirmed.
          op.wait = -1;
          return 'reconnect';
        }
      }
    }
    return 'next';
  }

  /**
   * The read-back after the round: every key the workload touched, read from `target`
   * as final operations of fresh clients, retried (as new clients) until each key has an
   * ok read or `attempts` run out.
   */
  async readBack(target: Target, attempts = 5): Promise<{ ops: ChaosOperation[]; missing: string[] }> {
    const out: ChaosOperation[] = [];
    let pending = this.keys();
    for (let attempt = 0; attempt < attempts && pending.length; attempt++) {
      if (attempt) await sleep(200);
      const client = this.newClientId();
      const redis = this.newRedis(target, Math.max(this.cfg.opTimeoutMs, 2000));
      try {
        await redis.connect();
      } catch {
        redis.disconnect();
        continue;
      }
      for (const k of pending) {
        const op: ChaosOperation = { id: this.nextOpId++, client, key: k.key, f: F_READ[k.type], invoke: this.clock(), result: 'unknown', node: target.node, final: true };
        out.push(op);
        try {
          if (k.type === 'register') op.output = await redis.get(k.key);
          else if (k.type === 'set') op.output = await redis.smembers(k.key);
          else {
            const v = await redis.get(k.key);
            op.output = v === null ? null : Number(v);
          }
          op.complete = this.clock();
          op.result = 'ok';
        } catch (e) {
          const c = classifyError(e);
          op.result = c.result;
          op.error = c.kind;
          if (c.result === 'fail') op.complete = this.clock();
          if (c.result === 'unknown') break;
        }
      }
      redis.disconnect();
      const done = new Set(out.filter((o) => o.result === 'ok').map((o) => o.key));
      pending = pending.filter((k) => !done.has(k.key));
    }
    return { ops: out, missing: pending.map((k) => k.key) };
  }
}
