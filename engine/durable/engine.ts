/**
 * The engine side of durable mode (MemoryDB's design): one LogClient per engine node,
 * wired to the server.
 *
 * - As writer: commands execute in memory at full speed; the effects of every command of
 *   one event-loop turn become one log entry (appended and flushed in a setImmediate at the
 *   end of the turn); each reply is held until its entry commits, in order per connection;
 *   a read of a key with a pending write is held until that write commits.
 * - Serves only while the writer's lease holds (`-TRYAGAIN` otherwise); fenced → every held
 *   reply becomes `-UNKNOWN` (the write may or may not commit), memory is dropped and the
 *   node rejoins as a follower from the newest snapshot plus the log.
 * - As follower: applies committed entries (a MULTI/EXEC block is one entry, applied in one
 *   go), read-only for clients; snapshots into the shared directory on the machine's cue.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CommandTable } from '../commands/table.js';
import { command } from '../commands/define.js';
import { installSnapshot } from '../commands/persistence.js';
import { F_READONLY, F_WRITE, type CommandSpec, type Effect } from '../commands/types.js';
import { ErrorReply, OK, type Reply } from '../resp/reply.js';
import type { Client } from '../server/client.js';
import type { Durability, EffectSink, Server } from '../server/server.js';
import { LogClient, type ClientOut } from '../log/client.js';
import { defaultLogConfig, invariant, type Entry, type FromReplica, type LogConfig, type Position } from '../log/types.js';
import type { Fenced } from '../log/writer.js';
import { LogLinks, type PeerAddress } from '../log/node/transport.js';
import type { WireMsg } from '../log/node/codec.js';
import { decodeEffects, EffectEncoder } from './effects.js';
import { SnapshotStore } from './snapshots.js';

export interface DurableOptions {
  /** This engine node's id in the log protocol (n1, n2, ...). */
  nodeId: string;
  /** The log replicas, as this node dials them. */
  log: PeerAddress[];
  /** Shared snapshot directory; without it no snapshots are taken and the log is never trimmed. */
  snapshotDir?: string;
  /** Lease L (ms); the log replicas must be started with the same. Default 2000. */
  leaseMs?: number;
  /** Followers snapshot every this many applied entries (default 10000; 0 = never). */
  snapshotEvery?: number;
  /** Extra wait before this node campaigns (priority; default from the node id: n1 0, n2 250 ms...). */
  campaignOffsetMs?: number;
  /** The log replica in this node's AZ (one of `log`): as a follower, read from it first. */
  localLog?: string;
  /** Local address to dial the log replicas from. */
  sourceAddress?: string;
  /** Overrides of the protocol's timing (tests). */
  logConfig?: Partial<LogConfig>;
}

/** Retryable: the node cannot serve right now; nothing was executed. */
export const NOT_SERVING = new ErrorReply('TRYAGAIN this primary does not hold the log lease; nothing was executed, retry (a new primary may be taking over)');
/** A held reply whose entry may or may not commit: never a definite failure. */
export const OUTCOME_UNKNOWN = new ErrorReply('UNKNOWN outcome of this command is unknown: the log fenced this primary before its entry committed');
/** Reads on followers are stale by nature: only for connections that asked (READONLY). */
const followerRead = (writer: string | null) =>
  new ErrorReply(`TRYAGAIN this node follows the log${writer ? ` (the primary is ${writer})` : ''}; send READONLY first to read possibly stale data here`);
const UNBLOCKED = new ErrorReply('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)');

const GLOBAL_EFFECTS = new Set(['flushall', 'flushdb', 'swapdb', 'move', 'copy']);

function now(): number {
  return performance.now();
}

function defaultOffset(nodeId: string): number {
  const m = /(\d+)$/.exec(nodeId);
  return m ? Math.max(0, Number(m[1]) - 1) * 250 : 0;
}

export class DurableEngine implements Durability, EffectSink {
  readonly lc: LogClient<Buffer>;
  readonly links: LogLinks;
  readonly store: SnapshotStore | null;
  readonly cfg: LogConfig;
  private readonly internal: Client;
  private applied: Position;
  private applying = false;
  /** lc.canServe(t) === t < servingUntil; recomputed after every call into the log client. */
  private servingUntil = -Infinity;
  /** Non-null while a snapshot is being written: outputs that touch the keyspace wait here. */
  private deferred: ClientOut<Buffer>[] | null = null;
  // The entry being filled during this event-loop turn (0: none).
  private pendingIndex = 0;
  private readonly encoder = new EffectEncoder();
  // Read barrier: per db, key -> index of its latest uncommitted write; a FIFO to forget them.
  private readonly barrier: Map<string, number>[];
  private bqIndex: number[] = [];
  private bqDb: number[] = [];
  private bqKey: string[] = [];
  private bqHead = 0;
  private globalBarrier = 0;
  private lastWriteIndex = 0;
  private commitSeen = 0;
  private lastSnapshot: Position | null = null;
  private writerTrimmedTo = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private holdTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastRole = '';
  readonly stats = { bytes: 0, entries: 0, effects: 0, commits: 0, fenced: 0, failedReplies: 0, applied: 0, applyErrors: 0, snapshots: 0, snapshotLoads: 0 };

  constructor(
    readonly server: Server,
    readonly opts: DurableOptions,
  ) {
    const log = server.log;
    server.role = 'replica';
    this.barrier = server.dbs.map(() => new Map<string, number>());
    this.store = opts.snapshotDir ? new SnapshotStore(opts.snapshotDir, opts.nodeId, (m) => log.warn(m)) : null;
    let start: Position = { index: 0, epoch: 0 };
    const snap = this.store?.newest() ?? null;
    if (snap) {
      installSnapshot(server, snap.snap, { flush: true, dropExpired: false });
      start = snap.ref.at;
      this.lastSnapshot = start;
      log.info(`loaded snapshot ${snap.ref.file} at log index ${start.index}@${start.epoch}`);
    }
    this.applied = start;
    const leaseMs = opts.leaseMs ?? 2000;
    this.cfg = defaultLogConfig(
      opts.log.map((p) => p.id),
      {
        leaseMs,
        snapshotEvery: this.store ? (opts.snapshotEvery ?? 10000) : 0,
        campaignOffsetMs: opts.campaignOffsetMs ?? defaultOffset(opts.nodeId),
        ...(opts.localLog !== undefined ? { readFrom: opts.localLog } : {}),
        ...opts.logConfig,
      },
    );
    this.lc = new LogClient<Buffer>(opts.nodeId, this.cfg, { snapshot: start, incarnation: randomUUID() }, now());
    this.internal = server.createClient(null);
    this.internal.role = 'primary';
    this.internal.name = 'durable-log';
    server.durability = this;
    server.sinks.push(this);
    server.infoProviders.set('replication', () => this.infoLines());
    this.links = new LogLinks(opts.nodeId, opts.log, (msg) => this.onMessage(msg), { localAddress: opts.sourceAddress, log: (m) => log.warn(m) });
    this.timers.push(setInterval(() => this.perform(this.lc.tick(now())), 10));
    if (this.store) this.timers.push(setInterval(() => this.writerTrim(), 5000));
    log.info(
      `durable mode: node ${opts.nodeId}, log replicas ${opts.log.map((p) => `${p.id}=${p.host}:${p.port}`).join(',')}, lease ${leaseMs} ms, ` +
        `snapshots ${this.store ? `in ${this.store.dir} every ${this.cfg.snapshotEvery} entries` : 'off'}; starting as follower at ${start.index}@${start.epoch}`,
    );
    this.noteRole();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.links.close();
  }

  // ---- Durability ----

  committedIndex(): number {
    const w = this.lc.currentWriter;
    return w ? w.commitIndex : this.applied.index;
  }

  readBarrier(db: number, keys: string[], spec?: CommandSpec): number {
    const w = this.lc.currentWriter;
    if (!w) return 0;
    const c = w.commitIndex;
    let b = this.globalBarrier > c ? this.globalBarrier : 0;
    const m = this.barrier[db];
    if (m && m.size) {
      for (let i = 0; i < keys.length; i++) {
        const v = m.get(keys[i]);
        if (v !== undefined && v > b && v > c) b = v;
      }
    }
    // A keyless read (DBSIZE, KEYS, SCAN, RANDOMKEY) sees every pending write.
    if (keys.length === 0 && spec && spec.bits! & F_READONLY && this.lastWriteIndex > c && this.lastWriteIndex > b) b = this.lastWriteIndex;
    return b;
  }

  refuse(spec: CommandSpec, client: Client): ErrorReply | null {
    if (client.role === 'primary') return null;
    if ((spec.bits! & (F_WRITE | F_READONLY)) === 0 && spec.name !== 'exec') return null;
    if (this.server.role !== 'primary') {
      // Writes got READONLY already. A node that just lost its lease or memory must not
      // look like a primary serving reads: followers read only on request.
      return staleReaders.has(client) ? null : followerRead(this.lc.currentFollower?.knownWriter ?? null);
    }
    return now() < this.servingUntil ? null : NOT_SERVING;
  }

  // ---- EffectSink ----

  append(effects: Effect[], _client: Client | null): number {
    if (this.applying) return 0;
    const w = this.lc.currentWriter;
    invariant(w !== null && w.ready && this.server.role === 'primary', `effects ${effects[0]?.argv[0]} produced on node ${this.opts.nodeId}, which is not the serving log writer`);
    let idx = this.pendingIndex;
    if (idx === 0) {
      idx = this.pendingIndex = w.lastIndex + 1;
      setImmediate(() => this.flushTurn());
    }
    this.encoder.add(effects);
    this.stats.effects += effects.length;
    this.lastWriteIndex = idx;
    for (const e of effects) {
      const spec = this.server.table.lookup(e.argv[0]);
      const name = spec ? spec.name : '';
      if (name === 'multi' || name === 'exec') continue;
      const keys = spec ? CommandTable.keys(spec, e.argv) : [];
      if (keys.length === 0 || GLOBAL_EFFECTS.has(name)) {
        this.globalBarrier = idx;
        continue;
      }
      const m = this.barrier[e.db];
      for (const k of keys) {
        m.set(k, idx);
        this.bqIndex.push(idx);
        this.bqDb.push(e.db);
        this.bqKey.push(k);
      }
    }
    return idx;
  }

  /** End of the turn: this turn's effects become one entry, sent to every replica. */
  private flushTurn(): void {
    const idx = this.pendingIndex;
    if (idx === 0) return;
    this.pendingIndex = 0;
    const payload = this.encoder.take();
    const w = this.lc.currentWriter;
    // Fenced during the turn: its replies were answered "unknown", its memory is gone.
    if (!w || !w.ready) return;
    const t = now();
    const got = this.lc.append(payload, t);
    this.stats.bytes += payload.length;
    invariant(got === idx, `entry appended at ${got}, replies were held on ${idx}`);
    this.stats.entries++;
    this.perform(this.lc.flush(t));
  }

  // ---- log client outputs ----

  private onMessage(msg: WireMsg): void {
    if (this.closed) return;
    const t = msg.type;
    if (t === 'readReply' && msg.commitIndex > this.commitSeen) this.commitSeen = msg.commitIndex;
    if (t !== 'appendReply' && t !== 'promiseReply' && t !== 'fetchReply' && t !== 'readReply') return;
    this.perform(this.lc.handle(msg as FromReplica<Buffer>, now()));
  }

  private perform(outs: ClientOut<Buffer>[]): void {
    for (const o of outs) {
      if (o.kind === 'send') {
        this.links.send(o.to, o.msg);
        continue;
      }
      // While a snapshot streams out, the keyspace must hold still: everything that touches
      // it (or the applied position) waits, in order.
      if (this.deferred) {
        this.deferred.push(o);
        continue;
      }
      switch (o.kind) {
        case 'apply':
          this.applyEntries(o.entries);
          break;
        case 'committed':
          this.onCommitted(o.index);
          break;
        case 'becameWriter':
          invariant(this.applied.index === o.index, `became writer at ${o.index} with ${this.applied.index} applied`);
          this.server.role = 'primary';
          this.server.log.info(`became the log writer: epoch ${o.epoch}, replayed through index ${o.index}; serving`);
          break;
        case 'fenced':
          this.onFenced(o);
          break;
        case 'takeSnapshot':
          this.takeSnapshot(o.at);
          break;
        case 'needSnapshot':
          this.needSnapshot(o.atLeast);
          break;
        case 'campaign':
          this.server.log.info(`no lease renewal seen for longer than a lease: campaigning for epoch ${o.epoch} (applied ${this.applied.index})`);
          break;
      }
    }
    const w = this.lc.currentWriter;
    this.servingUntil = w && w.ready ? w.leaseExpiry() : -Infinity;
    this.noteRole();
    this.armHold();
  }

  /** Entries the writer holds back to gather (LogConfig.holdMs) leave when due, even if idle. */
  private armHold(): void {
    if (this.holdTimer || this.closed) return;
    const at = this.lc.currentWriter?.holdUntil() ?? null;
    if (at === null) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      if (!this.closed) this.perform(this.lc.flush(now()));
    }, Math.max(0, at - now()));
  }

  private noteRole(): void {
    const r = this.lc.role;
    if (r !== this.lastRole) {
      if (this.lastRole) this.server.log.info(`log role ${this.lastRole} -> ${r}`);
      this.lastRole = r;
    }
  }

  private onCommitted(index: number): void {
    this.stats.commits++;
    for (const c of this.server.clients.values()) if (c.heldCount) c.release(index);
    // Forget barriers at or below the commit (a key rewritten later keeps its newer index).
    let h = this.bqHead;
    const qi = this.bqIndex;
    while (h < qi.length && qi[h] <= index) {
      const m = this.barrier[this.bqDb[h]];
      const k = this.bqKey[h];
      if ((m.get(k) ?? Infinity) <= index) m.delete(k);
      h++;
    }
    if (h > 4096 && h * 2 > qi.length) {
      this.bqIndex = qi.slice(h);
      this.bqDb = this.bqDb.slice(h);
      this.bqKey = this.bqKey.slice(h);
      h = 0;
    }
    this.bqHead = h;
  }

  private clearBarriers(): void {
    for (const m of this.barrier) m.clear();
    this.bqIndex = [];
    this.bqDb = [];
    this.bqKey = [];
    this.bqHead = 0;
    this.globalBarrier = 0;
    this.lastWriteIndex = 0;
  }

  private onFenced(f: Fenced): void {
    const server = this.server;
    this.stats.fenced++;
    server.role = 'replica';
    this.pendingIndex = 0;
    this.encoder.reset();
    this.clearBarriers();
    let failed = 0;
    for (const c of server.clients.values()) {
      failed += c.failHeld(OUTCOME_UNKNOWN);
      if (c.blocked) server.unblock(c, UNBLOCKED);
    }
    this.stats.failedReplies += failed;
    server.log.warn(
      `fenced (${f.reason === 'epoch' ? `epoch ${f.seenEpoch} is newer than ours, ${f.epoch}` : 'an entry did not commit in time'}): stopped serving; ` +
        `${failed} held replies answered "outcome unknown" (entries ${f.unknownFrom}..${f.unknownTo})` +
        (f.discardMemory ? '; discarding memory and rejoining from snapshot + log' : ''),
    );
    if (!f.discardMemory) return;
    for (const db of server.dbs) db.clear();
    let at: Position = { index: 0, epoch: 0 };
    const snap = this.store?.newest() ?? null;
    if (snap) {
      installSnapshot(server, snap.snap, { flush: true, dropExpired: false });
      at = snap.ref.at;
      this.stats.snapshotLoads++;
    }
    this.applied = at;
    server.log.info(`rejoining as a follower from ${snap ? `snapshot ${snap.ref.file}` : 'an empty keyspace'} at ${at.index}@${at.epoch}`);
    this.lc.snapshotLoaded(at, now(), f.seenEpoch);
  }

  private applyEntries(entries: readonly Entry<Buffer>[]): void {
    const server = this.server;
    const client = this.internal;
    this.applying = true;
    try {
      for (const e of entries) {
        invariant(e.index === this.applied.index + 1, `applying entry ${e.index} after ${this.applied.index}`);
        if (e.payload) {
          for (const eff of decodeEffects(e.payload)) {
            const a0 = eff.argv[0];
            if (a0.length <= 5 && (a0.toLowerCase() === 'multi' || a0.toLowerCase() === 'exec')) continue;
            client.db = server.dbs[eff.db];
            client.dbIndex = eff.db;
            const r: Reply = server.applyEffect(client, eff.argv);
            if (r instanceof ErrorReply && this.stats.applyErrors++ < 10) server.log.warn(`effect ${a0} of entry ${e.index} failed on replay: ${r.message}`);
          }
        }
        this.applied = { index: e.index, epoch: e.epoch };
        this.stats.applied++;
      }
    } finally {
      this.applying = false;
    }
  }

  private takeSnapshot(at: Position): void {
    invariant(at.index === this.applied.index && at.epoch === this.applied.epoch, `snapshot asked at ${at.index}@${at.epoch}, applied ${this.applied.index}@${this.applied.epoch}`);
    const store = this.store;
    if (!store) return this.lc.snapshotFailed();
    this.deferred = [];
    const t0 = Date.now();
    store.save(this.server, at).then(
      (file) => {
        this.stats.snapshots++;
        this.lastSnapshot = at;
        this.server.log.info(`snapshot at log index ${at.index}@${at.epoch} written to ${file} in ${Date.now() - t0} ms`);
        this.resume();
        return store.trimPoint().then((trim) => {
          if (this.closed) return;
          if (!trim) return this.lc.snapshotFailed();
          store.writeMarker(trim);
          this.perform(this.lc.snapshotStored(trim, now()));
          store.prune(trim.index);
        });
      },
      (e: Error) => {
        this.server.log.warn(`snapshot at ${at.index} failed: ${e.message}`);
        this.resume();
        this.lc.snapshotFailed();
      },
    );
  }

  /** The snapshot is out: perform what waited for it. */
  private resume(): void {
    const d = this.deferred ?? [];
    this.deferred = null;
    if (!this.closed) this.perform(d);
  }

  private needSnapshot(atLeast: Position): void {
    if (this.closed) return;
    const f = this.lc.currentFollower;
    if (!f || f.role !== 'waitSnapshot') return;
    const snap = this.store?.newest(atLeast.index) ?? null;
    if (!snap) {
      this.server.log.warn(`the log is trimmed past ${this.applied.index}: need a snapshot at or above ${atLeast.index}, none valid${this.store ? ` in ${this.store.dir}` : ' (no --snapshot-dir)'}; retrying`);
      const t = setTimeout(() => this.needSnapshot(atLeast), 1000);
      this.timers.push(t);
      return;
    }
    this.applying = true;
    try {
      installSnapshot(this.server, snap.snap, { flush: true, dropExpired: false });
    } finally {
      this.applying = false;
    }
    this.applied = snap.ref.at;
    this.stats.snapshotLoads++;
    this.server.log.info(`loaded snapshot ${snap.ref.file} at ${snap.ref.at.index}@${snap.ref.at.epoch} (needed ≥ ${atLeast.index})`);
    this.lc.snapshotLoaded(snap.ref.at, now());
  }

  /** The writer keeps its log since its base in memory: drop what followers' snapshots cover. */
  private writerTrim(): void {
    const w = this.lc.currentWriter;
    if (!w || !w.ready || !this.store) return;
    // Validated by the follower that wrote it: the writer never stalls reading snapshots.
    const tp = this.store.readMarker();
    if (!tp || tp.index <= this.writerTrimmedTo || tp.index > w.commitIndex) return;
    this.writerTrimmedTo = tp.index;
    this.perform(this.lc.snapshotStored(tp, now()));
  }

  // ---- introspection ----

  get heldReplies(): number {
    let n = 0;
    for (const c of this.server.clients.values()) n += c.heldCount;
    return n;
  }

  infoLines(): string[] {
    const w = this.lc.currentWriter;
    const f = this.lc.currentFollower;
    const role = this.lc.role;
    const t = now();
    const applied = w && w.ready ? w.lastIndex : this.applied.index;
    const commit = w ? w.commitIndex : Math.max(this.commitSeen, this.applied.index);
    const epoch = w ? w.epoch : (f?.epochSeen ?? 0);
    // 'master' only while serving: an isolated old writer that lost its lease is not one.
    const serving = this.server.role === 'primary' && this.lc.canServe(t);
    const lines = [
      `role:${serving ? 'master' : 'slave'}`,
      `connected_slaves:0`,
      `master_failover_state:no-failover`,
      `master_repl_offset:${applied}`,
      `durable_mode:yes`,
      `log_node:${this.opts.nodeId}`,
      `log_role:${role}`,
      `log_epoch:${epoch}`,
      `log_applied_index:${applied}`,
      `log_commit_index:${commit}`,
      `log_lag:${Math.max(0, commit - applied)}`,
      `log_serving:${serving ? 1 : 0}`,
      `log_lease_remaining_ms:${w && w.ready ? Math.max(0, Math.round(w.leaseExpiry() - t)) : 0}`,
      `log_known_writer:${w && w.ready ? this.opts.nodeId : (f?.knownWriter ?? '')}`,
      `log_replicas:${this.cfg.replicas.length}`,
      `log_replicas_connected:${this.links.connected}`,
      `log_read_from:${f && !(w && w.ready) ? f.readingFrom : ''}`,
      `log_held_groups:${this.heldReplies}`,
      `log_commit_p50_ms:${w?.commitTimes.percentile(50)?.toFixed(3) ?? ''}`,
      `log_entries_appended:${this.stats.entries}`,
      `log_effects_appended:${this.stats.effects}`,
      `log_appended_bytes:${this.stats.bytes}`,
      `log_entries_applied:${this.stats.applied}`,
      `log_fenced:${this.stats.fenced}`,
      `log_snapshot_index:${this.lastSnapshot?.index ?? 0}`,
      `log_snapshots_taken:${this.stats.snapshots}`,
      `log_snapshots_loaded:${this.stats.snapshotLoads}`,
      `log_lease_ms:${this.cfg.leaseMs}`,
    ];
    return lines;
  }

  /** ROLE in durable mode: a replica names the writer by node id (the log does not know addresses). */
  roleReply(): Reply {
    const w = this.lc.currentWriter;
    if (this.server.role === 'primary' && w && this.lc.canServe(now())) return ['master', w.lastIndex, []];
    const f = this.lc.currentFollower;
    const state = this.lc.role === 'follower' && this.links.connected * 2 > this.cfg.replicas.length ? 'connected' : 'connecting';
    return ['slave', f?.knownWriter ?? '', 0, state, this.applied.index];
  }
}

const engines = new WeakMap<Server, DurableEngine>();

export function attachDurable(server: Server, opts: DurableOptions): DurableEngine {
  const d = new DurableEngine(server, opts);
  engines.set(server, d);
  return d;
}

export function durableOf(server: Server): DurableEngine | undefined {
  return engines.get(server);
}

const wait = command(
  'wait',
  3,
  ['noscript'],
  [0, 0, 0],
  { group: 'generic', summary: 'Wait for the synchronous replication of all the write commands sent in the context of the current connection.', since: '3.0.0', complexity: 'O(1)', syntax: 'numreplicas timeout' },
  (ctx, argv) => {
    const n = Number(argv[1]);
    const t = Number(argv[2]);
    if (!/^-?\d+$/.test(argv[1]) || !Number.isSafeInteger(n)) return new ErrorReply('ERR value is not an integer or out of range');
    if (!/^-?\d+$/.test(argv[2]) || !Number.isSafeInteger(t)) return new ErrorReply('ERR timeout is not an integer or out of range');
    if (t < 0) return new ErrorReply('ERR timeout is negative');
    // Every write this connection saw acknowledged is committed to a majority of the log.
    return ctx.server.role === 'primary' ? Math.max(0, n) : new ErrorReply("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
  },
);

const role = command('role', 1, ['noscript', 'loading', 'stale', 'fast'], [0, 0, 0], { group: 'server', summary: 'Returns the replication role.', since: '2.8.12', complexity: 'O(1)' }, (ctx) => {
  const d = durableOf(ctx.server);
  return d ? d.roleReply() : ['master', 0, []];
});

/** Connections that sent READONLY: they accept stale (committed, possibly old) reads on followers. */
const staleReaders = new WeakSet<Client>();

const readonlyCmd = command('readonly', 1, ['fast', 'loading', 'stale'], [0, 0, 0], { group: 'connection', summary: 'Enables reads of (possibly stale) committed data on a durable-mode follower.', since: '3.0.0', complexity: 'O(1)' }, (ctx) => {
  staleReaders.add(ctx.client);
  return OK;
});
const readwriteCmd = command('readwrite', 1, ['fast', 'loading', 'stale'], [0, 0, 0], { group: 'connection', summary: 'Disables reads on a follower for this connection (the default).', since: '3.0.0', complexity: 'O(1)' }, (ctx) => {
  staleReaders.delete(ctx.client);
  return OK;
});

const NOT_IN_DURABLE = (name: string) =>
  command(name, -1, ['admin', 'noscript', 'stale'], [0, 0, 0], { group: 'server', summary: `${name.toUpperCase()} (refused in durable mode)`, since: '1.0.0' }, () =>
    new ErrorReply(`ERR ${name.toUpperCase()} is not available in durable mode: engine nodes follow the log, and only the log elects a primary`),
  );

const REPLACED = new Set(['wait', 'role', 'replicaof', 'slaveof', 'sync', 'psync', 'replconf', 'readonly', 'readwrite']);

/** The command list of a durable node: WAIT and ROLE answer from the log; Redis replication is off. */
export function durableCommands(all: CommandSpec[]): CommandSpec[] {
  return [...all.filter((c) => !REPLACED.has(c.name)), wait, role, readonlyCmd, readwriteCmd, NOT_IN_DURABLE('replicaof'), NOT_IN_DURABLE('slaveof'), NOT_IN_DURABLE('sync'), NOT_IN_DURABLE('psync')];
}
