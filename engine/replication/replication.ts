import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Block, F_STALE, F_WRITE, type CommandSpec, type Effect } from '../commands/types.js';
import { ErrorReply, RawReply, type Reply } from '../resp/reply.js';
import type { Client } from '../server/client.js';
import type { EffectSink, Server } from '../server/server.js';
import { AUX_REPL_ID, AUX_REPL_OFFSET, AUX_REPL_STREAM_DB, decodeRdb, encodeRdb } from '../store/rdb.js';
import { installSnapshot, setSnapshotAuxProvider } from '../commands/persistence.js';
import { ReplicaLink, type LinkAction } from './link.js';
import { lagSeconds, parseLong, ReplicationState } from './primary.js';

/**
 * Replication for one server: the socket adapter around the two pure state machines
 * (ReplicationState for the primary side, ReplicaLink for the replica side). It is the
 * server's effect sink, serves PSYNC/SYNC/REPLCONF/WAIT/ROLE/REPLICAOF, and provides
 * INFO replication. Attached lazily by the first replication command (the replication ID
 * is new then, as Redis makes a new one when its backlog is created), or at startup.
 */

export const NO_REPLY = new RawReply('', '');
const NOREPLICAS = new ErrorReply('NOREPLICAS Not enough good replicas to write.');
const MASTERDOWN = new ErrorReply("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
const UNBLOCKED_ROLE = new ErrorReply('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)');
// client-output-buffer-limit replica's hard limit (Redis default 256mb); no soft limit.
const REPLICA_OUTPUT_LIMIT = 256 * 1024 * 1024;

interface ReplicaConn {
  client: Client;
  socket: net.Socket;
}

interface WaitEntry {
  client: Client;
  block: Block;
}

const attached = new WeakMap<Server, Replication>();

/** The server's replication, created on first use. */
export function replicationOf(server: Server): Replication {
  let r = attached.get(server);
  if (!r) attached.set(server, (r = new Replication(server)));
  return r;
}

/** Replication if it was ever attached (no side effect). */
export function existingReplication(server: Server): Replication | undefined {
  return attached.get(server);
}

function peerIp(s: net.Socket): string {
  const a = s.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export class Replication implements EffectSink {
  readonly state: ReplicationState;
  link: ReplicaLink | null = null;
  /** Counters of this node as a replica: how its syncs went. */
  readonly replicaStats = { fullSyncs: 0, partialSyncs: 0, loadFailures: 0 };
  /** Local address the link to the primary is dialled from (bind-source-addr). */
  sourceAddress: string | undefined;

  private linkSocket: net.Socket | null = null;
  private primaryClient: Client | null = null;
  /** The database the primary's stream has selected, kept across a dropped link. */
  private streamDb = 0;
  /** This node has a history a PSYNC can continue (it was a primary, or it synced). */
  private hasHistory = false;
  private readonly conns = new Map<number, ReplicaConn>();
  private flushScheduled = false;
  private getackScheduled = false;
  private readonly waits = new Map<number, WaitEntry>();
  private timer: NodeJS.Timeout | null = null;
  private sawListening = false;
  private unknownCommandsLogged = 0;

  constructor(readonly server: Server) {
    const cfg = server.config;
    this.state = new ReplicationState(
      { backlogSize: cfg.int('repl-backlog-size'), pingPeriodSec: cfg.int('repl-ping-replica-period'), timeoutSec: cfg.int('repl-timeout') },
      () => randomBytes(20).toString('hex'),
    );
    server.sinks.push(this);
    server.infoProviders.set('replication', () => this.info());
    server.replicationGate = (spec, client) => this.gate(spec, client);
    cfg.onChange('repl-backlog-size', () => {
      this.flushPending();
      this.state.setConfig({ backlogSize: cfg.int('repl-backlog-size') });
    });
    setSnapshotAuxProvider(server, () => this.snapshotAux());
    this.readGateConfig();
    for (const k of ['min-replicas-to-write', 'min-replicas-max-lag', 'replica-serve-stale-data']) cfg.onChange(k, () => this.readGateConfig());
    this.timer = setInterval(() => this.cron(), 100);
    this.timer.unref();
  }

  private get now(): number {
    return Date.now();
  }

  /** Stop timers and links (the server closed). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.linkSocket?.destroy();
    this.linkSocket = null;
    this.link = null;
    for (const c of this.conns.values()) c.socket.destroy();
  }

  // ---------------------------------------------------------------------------------
  // Primary side

  /** EffectSink: writes on a primary become the stream. */
  append(effects: Effect[]): number {
    // A replica proxies its primary's bytes; its own writes (replica-read-only no) stay local.
    if (this.server.role === 'replica') return 0;
    this.state.feedEffects(effects);
    if (this.state.hasPending) {
      this.server.replOffset = this.state.offset;
      this.scheduleFlush();
    }
    return 0;
  }

  /** Stream bytes go out once per event-loop turn (Redis writes to replicas in beforeSleep). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushBound);
  }

  private readonly flushBound = () => this.flushPending();

  /** Send the stream accumulated this turn to every replica that receives it. */
  private flushPending(): void {
    this.flushScheduled = false;
    const data = this.state.takePending();
    if (!data) return;
    for (const r of this.state.streamReplicas()) {
      const c = this.conns.get(r.id);
      if (!c || c.socket.destroyed) continue;
      c.socket.write(data);
      if (c.socket.writableLength > REPLICA_OUTPUT_LIMIT) {
        this.server.log.warn(`Client id=${c.client.id} addr=${c.client.addr} scheduled to be closed ASAP for overcoming of output buffer limits.`);
        c.socket.destroy();
      }
    }
  }

  /** A connection speaking REPLCONF or SYNC becomes known to the registry. */
  private register(client: Client): number {
    if (this.conns.has(client.id)) return client.id;
    const socket = client.socket;
    if (!socket) throw new Error('invariant: replication command from a client without a socket');
    this.conns.set(client.id, { client, socket });
    this.state.addReplica(client.id, peerIp(socket), this.now);
    socket.once('close', () => this.dropReplica(client.id));
    return client.id;
  }

  private dropReplica(id: number): void {
    const c = this.conns.get(id);
    if (!c) return;
    const wasReplica = this.state.replicas.get(id)?.state != null;
    this.conns.delete(id);
    this.state.removeReplica(id);
    if (wasReplica) this.server.log.info(`Connection with replica ${c.client.addr} lost.`);
  }

  replconf(client: Client, args: string[]): Reply {
    const id = this.register(client);
    const r = this.state.replconf(id, args, this.now);
    if ('error' in r) return new ErrorReply(r.error);
    const opt = args[0]?.toLowerCase();
    if (opt === 'ack') this.serveWaiters();
    else if (opt === 'getack' && this.link) this.handleLink(this.link.ackNow(this.now));
    return r.reply === 'ok' ? new RawReply('+OK\r\n', '+OK\r\n') : NO_REPLY;
  }

  /** SYNC / PSYNC replid offset: turn this connection into a replica. */
  sync(client: Client, argv: string[]): Reply {
    if (client.role === 'replica') return NO_REPLY;
    if (this.server.role === 'replica' && this.link?.state !== 'connected') {
      return new ErrorReply("NOMASTERLINK Can't SYNC while not connected with my master");
    }
    if (client.pendingOutput > 0) return new ErrorReply('ERR SYNC and PSYNC are invalid with pending output');
    const isPsync = argv[0].toLowerCase() === 'psync';
    let offset = -1;
    if (isPsync) {
      const o = parseLong(argv[2]);
      if (o === null) return new ErrorReply('ERR value is not an integer or out of range');
      offset = o;
    }
    const id = this.register(client);
    const socket = this.conns.get(id)!.socket;
    this.server.log.info(`Replica ${client.addr} asks for synchronization`);
    // Bytes produced before this point belong to the snapshot or the backlog, not to its stream.
    this.flushPending();
    client.role = 'replica';
    client.replyMode = 'off';
    const now = this.now;
    const stats = this.server.stats;
    const d = isPsync ? this.state.psync(id, argv[1], offset, now) : this.state.fullSync(id, now, true);
    if (d.kind === 'continue') {
      stats.syncPartialOk++;
      socket.write(d.reply, 'latin1');
      if (d.data.length) socket.write(d.data);
      this.server.log.info(`Partial resynchronization request from ${client.addr} accepted. Sending ${d.data.length} bytes of backlog starting from offset ${offset}.`);
    } else {
      if (isPsync && argv[1] !== '?') stats.syncPartialErr++;
      stats.syncFull++;
      const cfg = this.server.config;
      const rdb = encodeRdb(this.server.dbs, this.snapshotAux(), { compress: cfg.bool('rdbcompression'), checksum: cfg.bool('rdbchecksum') });
      if (d.reply) socket.write(d.reply, 'latin1');
      socket.write('$' + rdb.length + '\r\n', 'latin1');
      this.state.bulkStarted(id);
      socket.write(rdb, () => this.state.bulkDone(id, this.now));
      this.server.log.info(`Full resync requested by replica ${client.addr}: snapshot of ${rdb.length} bytes at offset ${d.offset}`);
    }
    this.server.replOffset = this.state.offset;
    return NO_REPLY;
  }

  private snapshotAux(): Record<string, string | number> {
    const s = this.state;
    if (s.backlog === null && !(this.link?.state === 'connected')) return {};
    const db = this.server.role === 'replica' ? (this.primaryClient?.dbIndex ?? this.streamDb) : s.seldb < 0 ? 0 : s.seldb;
    return { [AUX_REPL_STREAM_DB]: db, [AUX_REPL_ID]: s.replid, [AUX_REPL_OFFSET]: s.offset };
  }

  // ---------------------------------------------------------------------------------
  // WAIT

  wait(client: Client, numreplicas: number, timeoutMs: number, noBlock: boolean): Reply | Block {
    const offset = client.woff;
    const count = this.state.countAcks(offset);
    if (count >= numreplicas || noBlock) return count;
    const token = this.state.addWaiter(offset, numreplicas);
    const block = new Block([], timeoutMs > 0 ? this.now + timeoutMs : 0, () => {
      this.state.removeWaiter(token);
      this.waits.delete(token);
      return this.state.countAcks(offset);
    });
    this.waits.set(token, { client, block });
    this.requestAcks();
    return block;
  }

  /** Ask replicas for an ACK once this turn (Redis: beforeSleep's GETACK). */
  private requestAcks(): void {
    if (this.getackScheduled) return;
    this.getackScheduled = true;
    setImmediate(() => {
      this.getackScheduled = false;
      if (this.state.waiting === 0 || this.server.role !== 'primary' || this.server.pause) return;
      this.state.feedCommand(['REPLCONF', 'GETACK', '*']);
      this.server.replOffset = this.state.offset;
      this.flushPending();
    });
  }

  private serveWaiters(): void {
    if (this.state.waiting === 0) return;
    for (const { token, count } of this.state.satisfiedWaiters()) {
      const w = this.waits.get(token);
      this.waits.delete(token);
      if (w && w.client.blocked?.block === w.block) this.server.unblock(w.client, count);
    }
  }

  /** Forget WAITs whose client left or was unblocked some other way. */
  private pruneWaiters(): void {
    for (const [token, w] of this.waits) {
      if (w.client.blocked?.block !== w.block) {
        this.waits.delete(token);
        this.state.removeWaiter(token);
      }
    }
  }

  // ---------------------------------------------------------------------------------
  // Checks on commands

  // Config read on every command, cached (the hot path of every write).
  private minReplicas = 0;
  private minReplicasMaxLag = 10;
  private serveStale = true;

  private readGateConfig(): void {
    const cfg = this.server.config;
    this.minReplicas = cfg.int('min-replicas-to-write');
    this.minReplicasMaxLag = cfg.int('min-replicas-max-lag');
    this.serveStale = cfg.bool('replica-serve-stale-data');
  }

  private gate(spec: CommandSpec, client: Client): ErrorReply | null {
    if (this.server.role === 'primary') {
      if (this.minReplicas === 0 || this.minReplicasMaxLag === 0 || !(spec.bits! & F_WRITE)) return null;
      return this.state.goodReplicas(this.now, this.minReplicasMaxLag) >= this.minReplicas ? null : NOREPLICAS;
    }
    if (!this.serveStale && this.link && this.link.state !== 'connected' && client.role === 'normal' && !(spec.bits! & F_STALE)) {
      return MASTERDOWN;
    }
    return null;
  }

  // ---------------------------------------------------------------------------------
  // Replica side

  /**
   * REPLICAOF host port. `fromCommand` false is startup (`--replicaof`): no history to
   * continue, so `PSYNC ? -1`, as Redis does when replicaof comes from its config.
   */
  replicaOf(host: string, port: number, fromCommand = true): void {
    const wasPrimary = this.server.role === 'primary';
    const old = this.link;
    const downSince = old ? (old.state === 'connected' ? this.now : old.downSince) : 0;
    this.closeLink();
    // Clients blocked on a primary cannot stay blocked on a replica.
    for (const c of [...this.server.clients.values()]) {
      if (c.blocked && c.role === 'normal') {
        this.server.unblock(c, UNBLOCKED_ROLE);
        c.closeAfterReply = true;
      }
    }
    this.pruneWaiters();
    if (wasPrimary) {
      this.hasHistory = fromCommand;
      this.streamDb = 0;
      this.flushPending();
    }
    this.server.role = 'replica';
    this.state.proxying = true;
    const cfg = this.server.config;
    this.link = new ReplicaLink(
      {
        host,
        port,
        listeningPort: this.server.address?.port ?? cfg.int('port'),
        masterauth: cfg.get('masterauth'),
        masteruser: cfg.get('masteruser'),
        timeoutSec: cfg.int('repl-timeout'),
      },
      this.hasHistory ? { replid: this.state.replid, offset: this.state.offset } : null,
    );
    this.link.downSince = downSince;
    this.server.log.info(`Connecting to MASTER ${host}:${port}`);
    this.handleLink(this.link.tick(this.now));
  }

  /** REPLICAOF NO ONE: become a primary with a new history (the old one stays valid as ID2). */
  promote(): void {
    if (this.server.role === 'primary') return;
    this.closeLink();
    this.flushPending();
    this.link = null;
    this.state.shiftReplid();
    // Replicas learn the new ID by reconnecting; they continue partially.
    for (const c of this.conns.values()) if (this.state.replicas.get(c.client.id)?.state != null) c.socket.destroy();
    this.server.role = 'primary';
    this.hasHistory = true;
    this.server.replOffset = this.state.offset;
    this.server.log.info(`MASTER MODE enabled; secondary replication ID ${this.state.replid2} valid up to offset ${this.state.secondReplidOffset}, new replication ID ${this.state.replid}`);
  }

  private closeLink(): void {
    const s = this.linkSocket;
    this.linkSocket = null;
    if (this.primaryClient) {
      this.streamDb = this.primaryClient.dbIndex;
      this.server.disconnect(this.primaryClient);
      this.primaryClient = null;
    }
    if (s) {
      s.removeAllListeners('data');
      s.removeAllListeners('close');
      s.on('error', () => {});
      s.destroy();
    }
  }

  private disconnectSubReplicas(): void {
    for (const c of this.conns.values()) if (this.state.replicas.get(c.client.id)?.state != null) c.socket.destroy();
  }

  private handleLink(actions: LinkAction[]): void {
    const link = this.link;
    let applied = false;
    for (const a of actions) {
      if (this.link !== link) return;
      applied ||= a.kind === 'apply';
      switch (a.kind) {
        case 'connect':
          this.connect(a.host, a.port);
          break;
        case 'close':
          this.closeLink();
          break;
        case 'send':
          this.linkSocket?.write(a.data, 'latin1');
          break;
        case 'full-sync':
          break;
        case 'load':
          this.load(a.rdb, a.replid, a.offset);
          break;
        case 'continue':
          this.replicaStats.partialSyncs++;
          if (a.replid && a.replid !== this.state.replid) {
            this.flushPending();
            this.state.switchReplid(a.replid);
            this.disconnectSubReplicas();
          }
          this.hasHistory = true;
          break;
        case 'apply':
          this.apply(a.commands, a.raw);
          break;
        case 'link-up': {
          const socket = this.linkSocket;
          const c = this.server.createClient(socket);
          c.role = 'primary';
          c.replyMode = 'off';
          c.dbIndex = this.streamDb;
          c.db = this.server.dbs[this.streamDb] ?? this.server.dbs[0];
          this.primaryClient = c;
          this.server.log.info('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization or finished a full one; link is up.');
          break;
        }
        case 'link-down':
          if (this.primaryClient) {
            this.streamDb = this.primaryClient.dbIndex;
            this.server.disconnect(this.primaryClient);
            this.primaryClient = null;
          }
          this.server.log.warn('Connection with master lost.');
          break;
        case 'log':
          if (a.level === 'warn') this.server.log.warn(a.message);
          else this.server.log.info(a.message);
          break;
      }
    }
    // The backlog holds exactly the applied stream: same offset as the link's.
    if (applied && link && link.state === 'connected' && this.state.offset !== link.reploff) {
      throw new Error(`invariant: backlog offset ${this.state.offset} != applied offset ${link.reploff}`);
    }
  }

  private connect(host: string, port: number): void {
    const link = this.link!;
    const socket = net.connect({ host, port, noDelay: true, ...(this.sourceAddress ? { localAddress: this.sourceAddress } : {}) });
    this.linkSocket = socket;
    socket.on('connect', () => {
      if (this.link === link) this.handleLink(link.connected(this.now));
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.link !== link) return;
      this.server.stats.netInputBytes += chunk.length;
      this.handleLink(link.data(chunk, this.now));
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.link !== link || this.linkSocket !== socket) return;
      this.linkSocket = null;
      this.handleLink(link.closed(this.now));
      if (this.primaryClient) {
        this.streamDb = this.primaryClient.dbIndex;
        this.server.disconnect(this.primaryClient);
        this.primaryClient = null;
      }
    });
  }

  private load(rdb: Buffer, replid: string, offset: number): void {
    const link = this.link!;
    let streamDb = 0;
    try {
      const snap = decodeRdb(rdb);
      // Sub-replicas were in sync with the old dataset: they must resync too.
      this.disconnectSubReplicas();
      installSnapshot(this.server, snap, { flush: true, dropExpired: false });
      const db = Number(snap.aux.get(AUX_REPL_STREAM_DB) ?? 0);
      if (Number.isInteger(db) && db >= 0 && db < this.server.dbs.length) streamDb = db;
    } catch (e) {
      this.replicaStats.loadFailures++;
      this.handleLink(link.loadFailed(this.now, (e as Error).message));
      return;
    }
    this.streamDb = streamDb;
    this.flushPending();
    this.state.adoptPrimary(replid, offset);
    this.server.replOffset = offset;
    this.hasHistory = true;
    this.replicaStats.fullSyncs++;
    this.server.log.info(`MASTER <-> REPLICA sync: Finished with success (${rdb.length} bytes loaded)`);
  }

  private apply(commands: string[][], raw: Buffer): void {
    const client = this.primaryClient;
    if (!client) throw new Error('invariant: stream applied without a primary client');
    const server = this.server;
    for (const argv of commands) {
      if (!server.table.lookup(argv[0])) {
        if (this.unknownCommandsLogged++ < 10) server.log.warn(`== CRITICAL == unknown command '${argv[0]}' in the replication stream; skipped`);
        continue;
      }
      const r = server.applyEffect(client, argv);
      if (r instanceof ErrorReply) server.log.warn(`== CRITICAL == error applying a replicated command: ${argv[0]}: ${r.message}`);
    }
    client.lastInteraction = this.now;
    this.state.feedRaw(raw);
    server.replOffset = this.state.offset;
    this.scheduleFlush();
  }

  // ---------------------------------------------------------------------------------
  // Cron, ROLE, INFO

  private cron(): void {
    if (this.server.address) this.sawListening = true;
    else if (this.sawListening) return this.stop();
    const now = this.now;
    const cfg = this.server.config;
    this.state.setConfig({ pingPeriodSec: cfg.int('repl-ping-replica-period'), timeoutSec: cfg.int('repl-timeout') });
    if (this.link) {
      const lc = this.link.config as { masterauth: string; masteruser: string; timeoutSec: number };
      lc.masterauth = cfg.get('masterauth');
      lc.masteruser = cfg.get('masteruser');
      lc.timeoutSec = cfg.int('repl-timeout');
      this.handleLink(this.link.tick(now));
    }
    if (this.server.role === 'primary' && !this.server.pause) {
      const { ping, timedOut } = this.state.tick(now);
      if (ping) {
        this.server.replOffset = this.state.offset;
        this.scheduleFlush();
      }
      for (const id of timedOut) {
        const c = this.conns.get(id);
        if (c) {
          this.server.log.warn(`Disconnecting timedout replica (streaming sync): ${c.client.addr}`);
          c.socket.destroy();
        }
      }
    }
    if (this.waits.size) {
      this.pruneWaiters();
      // GETACKs skipped during CLIENT PAUSE go out once it ends.
      if (this.state.waiting) this.requestAcks();
    }
  }

  role(): Reply {
    if (this.server.role === 'primary' || !this.link) {
      const list: Reply[] = [];
      for (const r of this.state.replicas.values()) {
        if (r.state !== 'online') continue;
        list.push([r.ip, String(r.listeningPort), String(r.ackOffset)]);
      }
      return ['master', this.state.offset, list];
    }
    const l = this.link;
    const st = l.state === 'handshake' ? 'handshake' : l.state === 'transfer' ? 'sync' : l.state;
    return ['slave', l.config.host, l.config.port, st, l.state === 'connected' ? l.reploff : -1];
  }

  info(): string[] {
    const s = this.state;
    const now = this.now;
    const cfg = this.server.config;
    const out: string[] = [];
    const l = this.server.role === 'replica' ? this.link : null;
    out.push(`role:${l ? 'slave' : 'master'}`);
    if (l) {
      const up = l.state === 'connected';
      out.push(
        `master_host:${l.config.host}`,
        `master_port:${l.config.port}`,
        `master_link_status:${up ? 'up' : 'down'}`,
        `master_last_io_seconds_ago:${up ? l.lastIoAgo(now) : -1}`,
        `master_sync_in_progress:${l.state === 'transfer' ? 1 : 0}`,
        `slave_read_repl_offset:${l.readReploff}`,
        `slave_repl_offset:${l.reploff}`,
      );
      if (l.state === 'transfer') {
        const total = l.transferSize;
        const read = l.transferRead;
        out.push(
          `master_sync_total_bytes:${total}`,
          `master_sync_read_bytes:${read}`,
          `master_sync_left_bytes:${total - read}`,
          `master_sync_perc:${(total > 0 ? (read / total) * 100 : 0).toFixed(2)}`,
          `master_sync_last_io_seconds_ago:${Math.floor(now / 1000) - Math.floor(l.lastTransferIo / 1000)}`,
        );
      }
      if (!up) out.push(`master_link_down_since_seconds:${l.downSince ? Math.floor((now - l.downSince) / 1000) : -1}`);
      out.push(`slave_priority:${cfg.int('replica-priority')}`, `slave_read_only:${cfg.bool('replica-read-only') ? 1 : 0}`, `replica_announced:1`);
    }
    out.push(`connected_slaves:${s.replicaCount}`);
    const min = cfg.int('min-replicas-to-write');
    const maxLag = cfg.int('min-replicas-max-lag');
    if (min && maxLag) out.push(`min_slaves_good_slaves:${s.goodReplicas(now, maxLag)}`);
    let i = 0;
    for (const r of s.replicas.values()) {
      if (r.state === null) continue;
      const lag = r.state === 'online' ? lagSeconds(r, now) : 0;
      out.push(`slave${i++}:ip=${r.ip},port=${r.listeningPort},state=${r.state},offset=${r.ackOffset},lag=${lag}`);
    }
    const b = s.backlog;
    out.push(
      `master_failover_state:no-failover`,
      `master_replid:${s.replid}`,
      `master_replid2:${s.replid2}`,
      `master_repl_offset:${s.offset}`,
      `second_repl_offset:${s.secondReplidOffset}`,
      `repl_backlog_active:${b ? 1 : 0}`,
      `repl_backlog_size:${cfg.int('repl-backlog-size')}`,
      `repl_backlog_first_byte_offset:${b ? b.firstOffset : 0}`,
      `repl_backlog_histlen:${b ? b.histlen : 0}`,
    );
    return out;
  }
}
