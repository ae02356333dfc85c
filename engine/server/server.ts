import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Block, type CommandContext, type CommandSpec, type Effect, F_NO_AUTH, F_PUBSUB, F_WRITE } from '../commands/types.js';
import { CommandTable } from '../commands/table.js';
import { NOAUTH, READONLY, unknownCommand, unknownSubcommand, wrongArity } from '../commands/errors.js';
import { ProtocolError } from '../resp/parser.js';
import { ErrorReply, QUEUED as QUEUED_REPLY, type Reply } from '../resp/reply.js';
import { Database, type KeyspaceHooks } from '../store/database.js';
import { ScanCursors } from '../store/scan-cursor.js';
import { BlockingRegistry } from './blocking.js';
import { Client } from './client.js';
import { Config } from './config.js';
import { PubSub } from './pubsub.js';
import { Logger } from './logger.js';

/**
 * Receives the effects of every write, in execution order: the replication backlog and the
 * durable log. A MULTI/EXEC block arrives as one call wrapped in MULTI … EXEC.
 */
export interface EffectSink {
  /** Returns the log index the command's reply must wait for, or 0. */
  append(effects: Effect[], client: Client | null): number;
}

/**
 * The durable mode's hold on replies and its lease (see engine/log). Absent in plain and
 * wait mode.
 */
export interface Durability {
  /** Highest committed log index: held replies up to it are released. */
  committedIndex(): number;
  /** Index a read of these keys must wait for (a write to one of them is not yet committed). */
  readBarrier(db: number, keys: string[]): number;
  /** An error to answer with instead of executing (no lease, fenced, replaying), or null. */
  refuse(spec: CommandSpec, client: Client): ErrorReply | null;
}

export interface ServerStats {
  totalCommands: number;
  totalConnections: number;
  rejectedConnections: number;
  expiredKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  netInputBytes: number;
  netOutputBytes: number;
}

const COMMANDS_IN_MULTI = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
const RESP2_PUBSUB_ALLOWED = new Set(['subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);

/** `config|get` -> `config` (container name of a subcommand). */
function baseName(spec: CommandSpec): string {
  const i = spec.name.indexOf('|');
  return i < 0 ? spec.name : spec.name.slice(0, i);
}

class Context implements CommandContext {
  effects: Effect[] | null = null;
  dirtyCount = 0;
  constructor(
    readonly server: Server,
    readonly client: Client,
    public db: Database,
    readonly now: number,
    readonly noBlock: boolean,
  ) {}
  dirty(n = 1): void {
    this.dirtyCount += n;
  }
  propagate(argv: string[], db?: number): void {
    (this.effects ??= []).push({ db: db ?? this.db.id, argv });
  }
}

export interface ServerOptions {
  config?: Record<string, string | number | boolean>;
  /** Id used in log lines (the lab names nodes n1, n2...). */
  name?: string;
  logger?: Logger;
}

export class Server {
  readonly config: Config;
  readonly dbs: Database[];
  readonly table: CommandTable;
  readonly clients = new Map<number, Client>();
  readonly blocking = new BlockingRegistry();
  readonly pubsub = new PubSub();
  /** Live iterators behind SCAN/HSCAN/SSCAN/ZSCAN cursors. */
  readonly cursors = new ScanCursors();
  readonly stats: ServerStats = {
    totalCommands: 0,
    totalConnections: 0,
    rejectedConnections: 0,
    expiredKeys: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
  };
  readonly runId = randomBytes(20).toString('hex');
  readonly startedAt = Date.now();
  readonly log: Logger;
  /** Total keyspace changes since start (INFO persistence: rdb_changes_since_last_save). */
  dirty = 0;
  /** 'replica' makes the keyspace read-only for normal clients and stops local expiry. */
  role: 'primary' | 'replica' = 'primary';
  readonly sinks: EffectSink[] = [];
  durability: Durability | null = null;
  /** Extra INFO sections contributed by replication and the log: section name -> lines. */
  readonly infoProviders = new Map<string, () => string[]>();

  private nextClientId = 1;
  private tcp: net.Server | null = null;
  private cron: NodeJS.Timeout | null = null;
  // Lazy/active expiry deletions waiting to be emitted as DEL effects.
  private expireEffects: Effect[] = [];
  // Non-null while EXEC runs: effects are collected here and emitted as one block.
  private txEffects: Effect[] | null = null;
  // The hold endTransaction computed, applied to the EXEC reply by call().
  private txHold = 0;

  constructor(commands: Iterable<CommandSpec>, options: ServerOptions = {}) {
    this.config = new Config(options.config ?? {});
    this.log = options.logger ?? new Logger(options.name ?? 'server', this.config.get('loglevel'));
    this.table = new CommandTable(commands);
    const hooks: KeyspaceHooks = {
      isReplica: () => this.role === 'replica',
      expired: (db, key) => {
        this.stats.expiredKeys++;
        this.expireEffects.push({ db: db.id, argv: ['DEL', key] });
        this.blocking.signal(db.id, key);
      },
    };
    this.dbs = Array.from({ length: this.config.int('databases') }, (_, i) => new Database(i, hooks));
    const pushLimits = () => {
      for (const c of this.clients.values()) this.applyLimits(c);
    };
    this.config.onChange('proto-max-bulk-len', pushLimits);
    this.config.onChange('client-query-buffer-limit', pushLimits);
  }

  get address(): net.AddressInfo | null {
    const a = this.tcp?.address();
    return a && typeof a === 'object' ? a : null;
  }

  async listen(port = this.config.int('port'), host = this.config.get('bind')): Promise<net.AddressInfo> {
    const tcp = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    const hz = this.config.int('hz');
    this.cron = setInterval(() => this.serverCron(), Math.max(1, Math.floor(1000 / hz)));
    this.cron.unref();
    return this.address!;
  }

  async close(): Promise<void> {
    if (this.cron) clearInterval(this.cron);
    this.cron = null;
    for (const c of this.clients.values()) {
      c.flush();
      c.socket?.destroy();
    }
    const tcp = this.tcp;
    this.tcp = null;
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  private applyLimits(c: Client): void {
    c.parser.limits.maxBulkLen = this.config.int('proto-max-bulk-len');
    c.parser.limits.queryBufferLimit = this.config.int('client-query-buffer-limit');
  }

  private accept(socket: net.Socket): void {
    this.stats.totalConnections++;
    if (this.clients.size >= this.config.int('maxclients')) {
      this.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    socket.setNoDelay(true);
    const client = this.createClient(socket);
    socket.on('data', (chunk: Buffer) => {
      this.stats.netInputBytes += chunk.length;
      client.parser.feed(chunk);
      this.processInput(client);
    });
    socket.on('error', () => {});
    socket.on('close', () => this.disconnect(client));
  }

  /** A client object, with or without a socket (internal clients: replication link, replay). */
  createClient(socket: net.Socket | null): Client {
    const authed = this.config.get('requirepass') === '';
    const client = new Client(this.nextClientId++, socket, this.dbs[0], authed, () => this.durability?.committedIndex() ?? 0);
    this.applyLimits(client);
    this.clients.set(client.id, client);
    return client;
  }

  disconnect(client: Client): void {
    if (!this.clients.delete(client.id)) return;
    client.closed = true;
    if (client.blocked) this.unblock(client, null);
    for (const w of client.watched) w.db.watched.get(w.key)?.delete(w.watcher);
    client.watched = [];
    this.pubsub.removeClient(client);
  }

  /** Parse and run whatever complete commands the client has sent, then flush. */
  processInput(client: Client): void {
    while (!client.blocked && !client.closed && !client.closeAfterReply) {
      let argv: string[] | null;
      try {
        argv = client.parser.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        client.reply(new ErrorReply('ERR ' + e.message));
        this.log.warn(`protocol error from client id=${client.id} addr=${client.addr}: ${e.message}; closing the connection`);
        client.closeAfterReply = true;
        break;
      }
      if (argv === null) break;
      this.execute(client, argv);
    }
    this.stats.netOutputBytes += client.flush();
    const s = client.socket;
    if (s && s.writableNeedDrain && !client.closed) {
      // Backpressure: stop reading until the client drains its replies.
      s.pause();
      s.once('drain', () => {
        s.resume();
        this.processInput(client);
      });
    }
  }

  /** Run one command as a client sent it: checks, MULTI queueing, then execution. */
  execute(client: Client, argv: string[]): void {
    this.stats.totalCommands++;
    client.lastInteraction = Date.now();
    let spec = this.table.lookup(argv[0]);
    if (!spec) return this.reject(client, unknownCommand(argv));
    if (spec.subcommands && argv.length >= 2) {
      const sub = this.table.lookupSub(spec, argv[1]);
      if (!sub) return this.reject(client, unknownSubcommand(spec.name, argv[1]));
      spec = sub;
    }
    client.lastCommand = spec.name;
    if (!CommandTable.arityOk(spec, argv.length)) return this.reject(client, wrongArity(spec.name));
    const bits = spec.bits!;
    if (!client.authenticated && !(bits & F_NO_AUTH)) return this.reject(client, NOAUTH);
    if (client.multi && !COMMANDS_IN_MULTI.has(baseName(spec))) {
      client.multi.queue.push({ spec, argv });
      client.reply(QUEUED_REPLY);
      return;
    }
    if (client.proto === 2 && client.inPubSub && !RESP2_PUBSUB_ALLOWED.has(baseName(spec))) {
      return client.reply(
        new ErrorReply(`ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`),
      );
    }
    const refusal = this.refuse(spec, client);
    if (refusal) return client.reply(refusal);
    this.call(client, spec, argv);
  }

  private reject(client: Client, e: ErrorReply): void {
    if (client.multi) client.multi.aborted = true;
    client.reply(e);
  }

  /** Checks that depend on role and state: read-only replica, durable lease. */
  refuse(spec: CommandSpec, client: Client): ErrorReply | null {
    const write = (spec.bits! & F_WRITE) !== 0;
    if (write && this.role === 'replica' && client.role !== 'primary' && this.config.bool('replica-read-only')) return READONLY;
    if (this.durability) return this.durability.refuse(spec, client);
    return null;
  }

  /** Execute, emit effects, reply (held if the durable log says so), wake blocked clients. */
  call(client: Client, spec: CommandSpec, argv: string[], noBlock = false): void {
    const ctx = new Context(this, client, client.db, Date.now(), noBlock || client.role === 'primary');
    const result = spec.handler(ctx, argv);
    if (result instanceof Block) {
      this.block(client, spec, argv, result);
      return;
    }
    let hold = this.finish(ctx, spec, argv);
    if (this.txHold) {
      if (this.txHold > hold) hold = this.txHold;
      this.txHold = 0;
    }
    client.reply(result, hold);
    if (this.blocking.hasReady) this.serveBlocked();
  }

  /**
   * Run a command inside EXEC: no blocking, effects collected into the transaction.
   * Returns the command's reply.
   */
  callInTransaction(client: Client, spec: CommandSpec, argv: string[]): Reply {
    const ctx = new Context(this, client, client.db, Date.now(), true);
    const result = spec.handler(ctx, argv);
    if (result instanceof Block) throw new Error(`invariant: ${spec.name} blocked inside a transaction`);
    this.finish(ctx, spec, argv);
    return result;
  }

  /** Begin collecting effects for EXEC. */
  beginTransaction(): void {
    if (this.txEffects) throw new Error('invariant: nested transaction');
    this.txEffects = [];
  }

  /**
   * End EXEC: emit its effects as one MULTI … EXEC block. The EXEC reply is held for it
   * (call() applies the hold); the hold is also returned.
   */
  endTransaction(client: Client): number {
    const effects = this.txEffects;
    this.txEffects = null;
    if (!effects || effects.length === 0) return 0;
    const db = effects[0].db;
    this.txHold = this.emit([{ db, argv: ['MULTI'] }, ...effects, { db, argv: ['EXEC'] }], client);
    return this.txHold;
  }

  /** Effects and bookkeeping after a handler ran; returns the reply hold. */
  private finish(ctx: Context, spec: CommandSpec, argv: string[]): number {
    let effects: Effect[] | null = null;
    if (this.expireEffects.length) {
      effects = this.expireEffects;
      this.expireEffects = [];
    }
    if (ctx.dirtyCount > 0 || ctx.effects) {
      this.dirty += ctx.dirtyCount;
      if (ctx.effects) effects = effects ? effects.concat(ctx.effects) : ctx.effects;
      else (effects ??= []).push({ db: ctx.db.id, argv });
      if (this.blocking.count) {
        for (const k of CommandTable.keys(spec, argv)) this.blocking.signal(ctx.db.id, k);
      }
    }
    if (effects) {
      if (this.txEffects) {
        for (const e of effects) this.txEffects.push(e);
        return 0;
      }
      return this.emit(effects, ctx.client);
    }
    if (this.durability && !this.txEffects && (spec.bits! & F_PUBSUB) === 0) {
      return this.durability.readBarrier(ctx.db.id, CommandTable.keys(spec, argv));
    }
    return 0;
  }

  /** Hand effects to replication and the log; returns the largest hold any sink asks for. */
  emit(effects: Effect[], client: Client | null): number {
    let hold = 0;
    for (const s of this.sinks) {
      const h = s.append(effects, client);
      if (h > hold) hold = h;
    }
    return hold;
  }

  /**
   * Apply effects received from a primary or the log, as an internal client would run
   * them: no checks, no blocking, and they flow on to this node's own sinks (chained
   * replicas). Returns the reply each produced (tests compare them).
   */
  applyEffect(client: Client, argv: string[]): Reply {
    const spec = this.table.lookup(argv[0]);
    if (!spec) throw new Error(`invariant: replicated effect names unknown command '${argv[0]}'`);
    let s = spec;
    if (spec.subcommands && argv.length >= 2) s = this.table.lookupSub(spec, argv[1]) ?? spec;
    const ctx = new Context(this, client, client.db, Date.now(), true);
    const result = s.handler(ctx, argv);
    if (result instanceof Block) throw new Error(`invariant: replicated effect ${s.name} blocked`);
    this.finish(ctx, s, argv);
    if (this.blocking.hasReady) this.serveBlocked();
    return result;
  }

  private block(client: Client, spec: CommandSpec, argv: string[], b: Block): void {
    let timer: NodeJS.Timeout | null = null;
    if (b.deadline > 0) {
      timer = setTimeout(() => this.unblock(client, b.timeoutReply), Math.max(0, b.deadline - Date.now()));
    }
    client.blocked = { spec, argv, block: b, timer };
    this.blocking.add(client, client.dbIndex, b.keys);
  }

  /** Unblock with a reply (timeout, CLIENT UNBLOCK), or silently on disconnect (null). */
  unblock(client: Client, reply: Reply | null): void {
    const st = client.blocked;
    if (!st) return;
    if (st.timer) clearTimeout(st.timer);
    client.blocked = null;
    this.blocking.remove(client, client.dbIndex, st.block.keys);
    if (reply !== null && !client.closed) {
      client.reply(reply);
      queueMicrotask(() => this.processInput(client));
    }
  }

  /** Re-run blocked clients whose keys changed, oldest first. */
  serveBlocked(): void {
    for (let round = 0; this.blocking.hasReady; round++) {
      if (round > 10_000) throw new Error('invariant: blocked clients keep re-signalling each other');
      for (const c of this.blocking.takeReady()) {
        const st = c.blocked;
        if (!st) continue;
        const ctx = new Context(this, c, c.db, Date.now(), false);
        const result = st.spec.handler(ctx, st.argv);
        if (result instanceof Block) continue;
        if (st.timer) clearTimeout(st.timer);
        c.blocked = null;
        this.blocking.remove(c, c.dbIndex, st.block.keys);
        const hold = this.finish(ctx, st.spec, st.argv);
        c.reply(result, hold);
        queueMicrotask(() => this.processInput(c));
      }
    }
  }

  /** Periodic work: active expiry; idle-client timeout. */
  private serverCron(): void {
    const now = Date.now();
    const budget = Math.max(1, Math.floor(250 / this.config.int('hz')));
    const deadline = () => Date.now() - now >= budget;
    for (const db of this.dbs) {
      db.activeExpire(now, deadline);
      if (deadline()) break;
    }
    if (this.expireEffects.length) {
      const effects = this.expireEffects;
      this.expireEffects = [];
      this.emit(effects, null);
      if (this.blocking.hasReady) this.serveBlocked();
    }
    const timeout = this.config.int('timeout');
    if (timeout > 0) {
      for (const c of this.clients.values()) {
        if (c.role === 'normal' && !c.blocked && !c.inPubSub && now - c.lastInteraction > timeout * 1000) {
          c.close();
        }
      }
    }
  }

  /** Keyspace lookups for reads, counted in INFO stats like Redis's lookupKeyRead. */
  countLookup(hit: boolean): void {
    if (hit) this.stats.keyspaceHits++;
    else this.stats.keyspaceMisses++;
  }
}
