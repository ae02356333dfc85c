import type { Socket } from 'node:net';
import { encode, type Protocol } from '../resp/encoder.js';
import { RequestParser } from '../resp/parser.js';
import type { Reply } from '../resp/reply.js';
import type { Block, CommandSpec } from '../commands/types.js';
import type { Database } from '../store/database.js';

/** A queued MULTI transaction. */
export interface MultiState {
  queue: { spec: CommandSpec; argv: string[] }[];
  /** Set when a queued command was rejected (unknown, arity...): EXEC then aborts. */
  aborted: boolean;
}

/** A watched key: the flag is raised by Database.signalModified. */
export interface WatchEntry {
  db: Database;
  key: string;
  watcher: { dirtyCas: boolean };
}

/**
 * The watcher behind one WATCHed key, with Redis 7's rule for keys that had already
 * expired when WATCH ran: their deletion is not a change (the key was logically gone).
 */
export class KeyWatcher {
  private dirty = false;
  constructor(
    private readonly db: Database,
    private readonly key: string,
    /** The key was logically expired (but still stored) when WATCH ran. */
    public expiredAtWatch: boolean,
  ) {}

  get dirtyCas(): boolean {
    return this.dirty;
  }

  /** Flag a change unconditionally (the caller applied Redis's rules itself). */
  markDirty(): void {
    this.dirty = true;
  }

  set dirtyCas(v: boolean) {
    if (v && this.expiredAtWatch && !this.db.data.has(this.key)) {
      this.expiredAtWatch = false;
      return;
    }
    this.dirty = v;
  }
}

export interface BlockedState {
  spec: CommandSpec;
  argv: string[];
  block: Block;
  timer: NodeJS.Timeout | null;
}

/** A reply waiting for the durable log to commit up to `until`. */
interface HeldReply {
  until: number;
  data: string;
  /** Replies merged into `data` (failHeld answers each one). */
  count: number;
}

/**
 * One client connection: its socket, parser, protocol version and session state, and its
 * output. Replies are appended in command order; replies that must wait for a commit are
 * held, and everything behind a held reply waits with it, so pipelined replies never
 * overtake each other.
 */
export class Client {
  readonly parser: RequestParser;
  name = '';
  proto: Protocol = 2;
  dbIndex = 0;
  authenticated: boolean;
  multi: MultiState | null = null;
  watched: WatchEntry[] = [];
  readonly subscriptions = new Set<string>();
  readonly patterns = new Set<string>();
  /** Sharded channels (SSUBSCRIBE); counted apart from the others, as in Redis 7. */
  readonly shardSubscriptions = new Set<string>();
  blocked: BlockedState | null = null;
  /** Set by QUIT or CLIENT KILL: close after the pending output is written. */
  closeAfterReply = false;
  closed = false;
  /** Set on the primary's link of a replica (and replicas' links on a primary). */
  role: 'normal' | 'replica' | 'primary' = 'normal';
  libName = '';
  libVer = '';
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommand = 'NULL';
  /**
   * CLIENT REPLY: 'off' drops every reply (not pub/sub pushes); 'skip' drops `skipLeft` more replies
   * (the CLIENT REPLY SKIP reply itself, then the next command's).
   */
  replyMode: 'on' | 'off' | 'skip' = 'on';
  skipLeft = 0;
  /** CLIENT NO-EVICT (accepted; memlab does not evict clients). */
  noEvict = false;
  /** Set by MONITOR: receives a line per command executed by anyone. */
  monitoring = false;
  /** A command held back by CLIENT PAUSE, run again when the pause ends. */
  postponed: string[] | null = null;
  /** Replication offset after this client's last command: what its WAIT waits for. */
  woff = 0;

  private out = '';
  private held: HeldReply[] = [];
  private flushScheduled = false;

  constructor(
    readonly id: number,
    readonly socket: Socket | null,
    public db: Database,
    authenticated: boolean,
    private readonly committed: () => number,
  ) {
    this.authenticated = authenticated;
    this.parser = new RequestParser();
    this.parser.authenticated = authenticated;
  }

  get addr(): string {
    const s = this.socket;
    return s ? `${s.remoteAddress}:${s.remotePort}` : '';
  }

  get laddr(): string {
    const s = this.socket;
    return s ? `${s.localAddress}:${s.localPort}` : '';
  }

  /** The socket's file descriptor as CLIENT LIST shows it (-1 for internal clients). */
  get fd(): number {
    const h = (this.socket as unknown as { _handle?: { fd?: number } } | null)?._handle;
    return typeof h?.fd === 'number' ? h.fd : -1;
  }

  get inPubSub(): boolean {
    return this.subscriptions.size + this.patterns.size + this.shardSubscriptions.size > 0;
  }

  /** True once a WATCHed key changed (or expired) since WATCH. */
  get watchDirty(): boolean {
    for (const w of this.watched) if (w.watcher.dirtyCas) return true;
    return false;
  }

  /** Bytes of output not yet handed to the socket (held plus pending). */
  get pendingOutput(): number {
    let n = this.out.length;
    for (const h of this.held) n += h.data.length;
    return n;
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Send a reply, held until log index `until` commits when `until` > 0. */
  reply(r: Reply, until = 0): void {
    if (this.replyMode !== 'on') {
      if (this.replyMode === 'skip' && --this.skipLeft <= 0) this.replyMode = 'on';
      return;
    }
    this.sendRaw(encode(r, this.proto), until);
  }

  /**
   * Out-of-band data (pub/sub messages): never held behind replies of other commands, and
   * sent even under CLIENT REPLY OFF, as Redis 7.0 does.
   */
  push(r: Reply): void {
    this.out += encode(r, this.proto);
    this.scheduleFlush();
  }

  /** Out-of-band data already encoded for this client's protocol (MONITOR lines). */
  pushRaw(data: string): void {
    if (this.replyMode === 'off') return;
    this.out += data;
    this.scheduleFlush();
  }

  sendRaw(data: string, until = 0): void {
    const last = this.held.length ? this.held[this.held.length - 1] : undefined;
    if (last) {
      // Commit indexes only grow, so merging into the last held reply keeps order.
      if (until <= last.until) {
        last.data += data;
        last.count++;
      } else this.held.push({ until, data, count: 1 });
    } else if (until > this.committed()) {
      this.held.push({ until, data, count: 1 });
    } else {
      this.out += data;
    }
  }

  /** Move every reply whose commit has happened into the output. */
  release(committedIndex: number): void {
    let i = 0;
    while (i < this.held.length && this.held[i].until <= committedIndex) this.out += this.held[i++].data;
    if (i) {
      this.held.splice(0, i);
      this.scheduleFlush();
    }
  }

  /**
   * Replace every held reply with `r` (the log failed: the outcome of those writes is
   * unknown). Returns how many were replaced.
   */
  failHeld(r: Reply): number {
    if (!this.held.length) return 0;
    // One error per held reply, so a pipelining client's replies still line up.
    let n = 0;
    for (const h of this.held) n += h.count;
    const e = encode(r, this.proto);
    for (let i = 0; i < n; i++) this.out += e;
    this.held = [];
    this.scheduleFlush();
    return n;
  }

  scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Hand pending output to the socket. Returns bytes written. */
  flush(): number {
    const data = this.out;
    if (!data.length || !this.socket || this.closed) {
      if (this.closeAfterReply && this.held.length === 0) this.close();
      return 0;
    }
    this.out = '';
    this.socket.write(data, 'latin1');
    if (this.closeAfterReply && this.held.length === 0) this.close();
    return data.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket) this.socket.end();
  }
}
