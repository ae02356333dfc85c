import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Block, type CommandContext, type CommandSpec, type Effect, F_ADMIN, F_NO_AUTH, F_NO_MULTI, F_PUBSUB, F_READONLY, F_WRITE } from '../commands/types.js';
import { CommandTable } from '../commands/table.js';
import { NOAUTH, READONLY, unknownCommand, unknownSubcommand, wrongArity } from '../commands/errors.js';
import { discardTransaction, unwatchAll } from '../commands/transactions.js';
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
  readBarrier(db: number, keys: string[], spec?: CommandSpec): number;
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
  /** Full and partial resyncs served as a primary (INFO stats sync_*). */
  syncFull: number;
  syncPartialOk: number;
  syncPartialErr: number;
}

const MAX_TIMER_MS = 2_147_483_647;
const COMMANDS_IN_MULTI = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
const RESP2_PUBSUB_ALLOWED = new Set(['subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);

/** An argument as Redis's sdscatrepr quotes it in MONITOR output. */
function reprArg(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c || c === 0x22) out += '\\' + s[i];
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

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

/** What SHUTDOWN asked for; the process owner (memlab server) decides what to do. */
export interface ShutdownOptions {
  /** Save a snapshot first: SAVE, or a `save` policy without NOSAVE. */
  save: boolean;
  now: boolean;
  force: boolean;
}

/** CLIENT PAUSE: commands of normal clients wait until `until` (ms), all or only writes. */
export interface PauseState {
  until: number;
  all: boolean;
  timer: NodeJS.Timeout;
  /** Clients holding a postponed command, in arrival order. */
  waiting: Client[];
}

const NO_MULTI_ERR = new ErrorReply('ERR Command not allowed inside a transaction');
const MONITOR_KEYSPACE_ERR = new ErrorReply("ERR Replica can't interact with the keyspace");

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
    syncFull: 0,
    syncPartialOk: 0,
    syncPartialErr: 0,
  };
  readonly runId = randomBytes(20).toString('hex');
  readonly startedAt = Date.now();
  readonly log: Logger;
  /** Total keyspace changes since start (INFO persistence: rdb_changes_since_last_save). */
  dirty = 0;
  /** 'replica' makes the keyspace read-only for normal clients and stops local expiry. */
  role: 'primary' | 'replica' = 'primary';
  /** True while applyEffect runs a primary's command: no key expires for it. */
  applyingPrimary = false;
  /** master_repl_offset, kept by replication; each client remembers it after a command (WAIT). */
  replOffset = 0;
  /** Replication's checks on commands (min-replicas-to-write, replica-serve-stale-data). */
  replicationGate: ((spec: CommandSpec, client: Client) => ErrorReply | null) | null = null;
  readonly sinks: EffectSink[] = [];
  durability: Durability | null = null;
  /** Extra INFO sections contributed by replication and the log: section name -> lines. */
  readonly infoProviders = new Map<string, () => string[]>();
  /** Called by SHUTDOWN once the server has closed; `memlab server` exits the process. */
  onShutdown: ((opts: ShutdownOptions) => void) | null = null;
  /** Unix time (s) of the last successful save (LASTSAVE, INFO persistence). */
  lastSave = Math.floor(Date.now() / 1000);
  /** Clients that sent MONITOR. */
  readonly monitors = new Set<Client>();
  /** Non-null while CLIENT PAUSE is in effect. */
  pause: PauseState | null = null;
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the cron's expiry off (tests of lazy expiry). */
  activeExpireEnabled = true;

  private nextClientId = 1;
  private tcp: net.Server | null = null;
  private cron: NodeJS.Timeout | null = null;
  // Lazy/active expiry deletions waiting to be emitted as DEL effects.
  private expireEffects: Effect[] = [];
  // Non-null while EXEC runs: effects are collected here and emitted as one block.
  private txEffects: Effect[] | null = null;
  // The hold endTransaction computed, applied to the EXEC reply by call().
  private txHold = 0;
  // Read barriers of the reads inside the running EXEC (durable mode).
  private txReadHold = 0;

  constructor(commands: Iterable<CommandSpec>, options: ServerOptions = {}) {
    this.config = new Config(options.config ?? {});
    this.log = options.logger ?? new Logger(options.name ?? 'server', this.config.get('loglevel'));
    this.table = new CommandTable(commands);
    const hooks: KeyspaceHooks = {
      isReplica: () => this.role === 'replica',
      primaryView: () => this.applyingPrimary,
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
    unwatchAll(client);
    this.pubsub.removeClient(client);
    if (client.monitoring) this.monitors.delete(client);
    if (client.postponed && this.pause) {
      client.postponed = null;
      this.pause.waiting = this.pause.waiting.filter((c) => c !== client);
    }
  }

  /** Parse and run whatever complete commands the client has sent, then flush. */
  processInput(client: Client): void {
    while (!client.blocked && client.postponed === null && !client.closed && !client.closeAfterReply) {
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
    if (!CommandTable.arityOk(spec, argv.length)) return this.reject(client, wrongArity(spec.name), spec);
    const bits = spec.bits!;
    if (!client.authenticated && !(bits & F_NO_AUTH)) return this.reject(client, NOAUTH, spec);
    // One test on the hot path; the rarer session states are handled out of line.
    if (client.multi !== null || this.pause !== null || client.monitoring || (client.proto === 2 && client.inPubSub)) {
      if (this.dispatchSpecial(client, spec, argv)) return;
    }
    const refusal = this.refuse(spec, client);
    // reject(): a refused EXEC discards its transaction, as Redis's rejectCommand does.
    if (refusal) return this.reject(client, refusal, spec);
    this.call(client, spec, argv);
  }

  /**
   * Redis's checks for a client in a special state, in processCommand's order: RESP2
   * pub/sub context, MONITOR, CLIENT PAUSE, MULTI queueing. Returns true if it answered.
   */
  private dispatchSpecial(client: Client, spec: CommandSpec, argv: string[]): boolean {
    const base = baseName(spec);
    if (client.proto === 2 && client.inPubSub && !RESP2_PUBSUB_ALLOWED.has(base)) {
      this.reject(
        client,
        new ErrorReply(`ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`),
        spec,
      );
      return true;
    }
    if (client.monitoring && (spec.bits! & (F_WRITE | F_READONLY) || spec.flags.includes('may_replicate'))) {
      this.reject(client, MONITOR_KEYSPACE_ERR);
      return true;
    }
    const p = this.pause;
    if (p !== null && client.role === 'normal' && (p.all || this.mayReplicate(client, spec))) {
      // Counted again when it runs after the pause.
      this.stats.totalCommands--;
      client.postponed = argv;
      p.waiting.push(client);
      return true;
    }
    const m = client.multi;
    if (m !== null && !COMMANDS_IN_MULTI.has(base)) {
      if (spec.bits! & F_NO_MULTI) {
        this.reject(client, NO_MULTI_ERR);
        return true;
      }
      const refusal = this.refuse(spec, client);
      if (refusal) {
        this.reject(client, refusal);
        return true;
      }
      m.queue.push({ spec, argv });
      client.reply(QUEUED_REPLY);
      return true;
    }
    return false;
  }

  /** What CLIENT PAUSE WRITE holds back: writes, PUBLISH-like commands, EXEC of writes. */
  private mayReplicate(client: Client, spec: CommandSpec): boolean {
    if (spec.bits! & F_WRITE || spec.flags.includes('may_replicate') || spec.name === 'publish' || spec.name === 'spublish') return true;
    if (spec.name === 'exec' && client.multi) return client.multi.queue.some((q) => (q.spec.bits! & F_WRITE) !== 0);
    return false;
  }

  /** CLIENT PAUSE: hold normal clients' commands (all, or only writes) until `until`. */
  pauseClients(until: number, all: boolean): void {
    const p = this.pause;
    if (p) {
      // A new pause extends the old one and never weakens it (Redis keeps the stronger).
      p.all ||= all;
      if (until <= p.until) return;
      clearTimeout(p.timer);
      p.until = until;
      p.timer = setTimeout(() => this.unpauseClients(), Math.max(0, until - Date.now()));
      return;
    }
    const timer = setTimeout(() => this.unpauseClients(), Math.max(0, until - Date.now()));
    this.pause = { until, all, timer, waiting: [] };
  }

  /** End CLIENT PAUSE: run the postponed commands in arrival order, then the rest of each input. */
  unpauseClients(): void {
    const p = this.pause;
    if (!p) return;
    clearTimeout(p.timer);
    this.pause = null;
    for (const c of p.waiting) {
      const argv = c.postponed;
      c.postponed = null;
      if (!argv || c.closed) continue;
      this.execute(c, argv);
      this.processInput(c);
    }
  }

  /** MONITOR: one line per executed command, as Redis's replicationFeedMonitors writes it. */
  private feedMonitors(client: Client, spec: CommandSpec, argv: string[]): void {
    if (spec.bits! & F_ADMIN || spec.flags.includes('skip_monitor')) return;
    const now = performance.timeOrigin + performance.now();
    const sec = Math.floor(now / 1000);
    const usec = Math.floor((now - sec * 1000) * 1000);
    let line = `+${sec}.${String(usec).padStart(6, '0')} [${client.dbIndex} ${client.socket ? client.addr : 'lua'}]`;
    const redactFrom = spec.name === 'auth' ? argv.length - 1 : -1; // AUTH: the password only
    for (let i = 0; i < argv.length; i++) {
      const hello = spec.name === 'hello' && i >= 2 && argv[i - 1].toLowerCase() === 'auth';
      const helloPass = spec.name === 'hello' && i >= 3 && argv[i - 2].toLowerCase() === 'auth';
      line += ' ' + ((redactFrom > 0 && i >= redactFrom) || hello || helloPass ? '"(redacted)"' : reprArg(argv[i]));
    }
    line += '\r\n';
    for (const m of this.monitors) m.pushRaw(line);
  }

  /** Redis's rejectCommand: flags a MULTI as aborted; a rejected EXEC discards it. */
  private reject(client: Client, e: ErrorReply, spec?: CommandSpec): void {
    if (spec?.name === 'exec') {
      discardTransaction(client);
      const msg = e.message.startsWith('ERR ') ? e.message.slice(4) : e.message;
      client.reply(new ErrorReply('EXECABORT Transaction discarded because of: ' + msg));
      return;
    }
    if (client.multi) client.multi.aborted = true;
    client.reply(e);
  }

  /** Checks that depend on role and state: read-only replica, durable lease. */
  refuse(spec: CommandSpec, client: Client): ErrorReply | null {
    const write = (spec.bits! & F_WRITE) !== 0;
    if (write && this.role === 'replica' && client.role !== 'primary' && this.config.bool('replica-read-only')) return READONLY;
    if (this.replicationGate) {
      const e = this.replicationGate(spec, client);
      if (e) return e;
    }
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
    client.woff = this.replOffset;
    if (this.monitors.size !== 0) this.feedMonitors(client, spec, argv);
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
    if (this.monitors.size !== 0) this.feedMonitors(client, spec, argv);
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
    const readHold = this.txReadHold;
    this.txReadHold = 0;
    if (!effects || effects.length === 0) return (this.txHold = readHold);
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
    if (this.durability && (spec.bits! & F_PUBSUB) === 0) {
      const h = this.durability.readBarrier(ctx.db.id, CommandTable.keys(spec, argv), spec);
      if (!this.txEffects) return h;
      // A read inside EXEC: the EXEC reply waits for the pending writes it saw.
      if (h > this.txReadHold) this.txReadHold = h;
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
    this.applyingPrimary = client.role === 'primary';
    let result: Reply | Block;
    try {
      result = s.handler(ctx, argv);
      if (result instanceof Block) throw new Error(`invariant: replicated effect ${s.name} blocked`);
      this.finish(ctx, s, argv);
    } finally {
      this.applyingPrimary = false;
    }
    if (this.blocking.hasReady) this.serveBlocked();
    return result;
  }

  private block(client: Client, spec: CommandSpec, argv: string[], b: Block): void {
    const timer = b.deadline > 0 ? this.armBlockTimer(client, b) : null;
    client.blocked = { spec, argv, block: b, timer };
    this.blocking.add(client, client.dbIndex, b.keys);
  }

  private armBlockTimer(client: Client, b: Block): NodeJS.Timeout {
    const delay = b.deadline - Date.now();
    // setTimeout fires at once for delays above 2^31-1 ms: wait long timeouts in steps.
    if (delay > MAX_TIMER_MS) {
      return setTimeout(() => {
        const st = client.blocked;
        if (st && st.block === b) st.timer = this.armBlockTimer(client, b);
      }, MAX_TIMER_MS);
    }
    return setTimeout(() => this.unblock(client, b.timeoutReply), Math.max(0, delay));
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
        c.woff = this.replOffset;
        queueMicrotask(() => this.processInput(c));
      }
    }
  }

  /** Periodic work: active expiry; idle-client timeout. */
  private serverCron(): void {
    const now = Date.now();
    const budget = Math.max(1, Math.floor(250 / this.config.int('hz')));
    const deadline = () => Date.now() - now >= budget;
    for (const db of this.activeExpireEnabled ? this.dbs : []) {
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
