import { encodeCommand } from '../resp/encoder.js';
import { ProtocolError, RequestParser } from '../resp/parser.js';

/**
 * The replica side of replication as a pure state machine (Redis's replication.c
 * connectWithMaster ... readSyncBulkPayload, and the master client): socket events,
 * bytes and clock ticks in; actions out. It runs the handshake, reads the snapshot and
 * turns the stream into commands to apply, counting the exact bytes of each into the
 * offset. It never touches the keyspace: the adapter performs the actions in order.
 */

/** Redis's repl_state; 'handshake' covers the RECEIVE_* / SEND_* states. */
export type LinkState = 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

type Handshake = 'pong' | 'auth' | 'port' | 'capa' | 'psync';

export type LinkAction =
  | { kind: 'connect'; host: string; port: number }
  | { kind: 'close'; reason: string }
  | { kind: 'send'; data: string }
  /** A full resync begins: the primary's ID and the offset the snapshot is at. */
  | { kind: 'full-sync'; replid: string; offset: number }
  /** The whole snapshot arrived: load it, replacing the dataset. Throw to refuse it. */
  | { kind: 'load'; rdb: Buffer; replid: string; offset: number }
  /** Partial resync accepted; `replid` is the primary's (may differ after a promotion). */
  | { kind: 'continue'; replid: string | null }
  /**
   * Commands to apply in order, then `raw`, exactly their bytes, to append to this node's
   * own backlog (offset grows by raw.length). A MULTI … EXEC block is delivered whole.
   */
  | { kind: 'apply'; commands: string[][]; raw: Buffer }
  | { kind: 'link-up' }
  | { kind: 'link-down' }
  | { kind: 'log'; level: 'info' | 'warn'; message: string };

export interface LinkConfig {
  host: string;
  port: number;
  /** The port this node listens on, announced with REPLCONF listening-port. */
  listeningPort: number;
  masterauth: string;
  masteruser: string;
  /** repl-timeout in seconds. */
  timeoutSec: number;
}

export class ReplicaLink {
  state: LinkState = 'connect';
  private hs: Handshake = 'pong';
  /** Replies still expected in the pipelined part of the handshake. */
  private pending: Handshake[] = [];
  private in: Buffer = Buffer.alloc(0);
  /** Transfer: the payload, either `$len` bytes or up to an EOF mark. */
  private transferLen = -1;
  private eofMark: string | null = null;
  private chunks: Buffer[] = [];
  private got = 0;
  private fullReplid = '';
  private fullOffset = 0;
  /** Connected: the stream parser and the bytes not yet handed to the backlog. */
  private parser: RequestParser | null = null;
  private raw: Buffer[] = [];
  private consumedMark = 0;
  /** Commands of an open MULTI, applied at EXEC. */
  private multi: string[][] | null = null;
  private multiBytes = 0;
  /** Applied offset (the cached master's reploff) and whether it can be used for PSYNC. */
  reploff: number;
  /** Bytes read from the primary in total (slave_read_repl_offset). */
  readReploff: number;
  private lastIo = 0;
  private lastAck = 0;
  private lastConnectAttempt = -Infinity;
  /** ms when an established link went down (0: none yet; INFO shows -1). */
  downSince = 0;
  /** Transfer progress, for INFO (master_sync_*). */
  transferSize = -1;
  transferRead = 0;
  lastTransferIo = 0;

  /** The history to continue (PSYNC replid reploff+1), or null for `PSYNC ? -1`. */
  private cached: { replid: string } | null;

  constructor(
    readonly config: LinkConfig,
    cached: { replid: string; offset: number } | null,
  ) {
    this.cached = cached ? { replid: cached.replid } : null;
    this.reploff = cached ? cached.offset : 1;
    this.readReploff = this.reploff;
  }

  /** REPLCONF GETACK from a client of this replica: ACK the primary now. */
  ackNow(now: number): LinkAction[] {
    return this.state === 'connected' ? [this.ack(now)] : [];
  }

  /** Seconds since the last byte from the primary (master_last_io_seconds_ago). */
  lastIoAgo(now: number): number {
    return Math.floor(now / 1000) - Math.floor(this.lastIo / 1000);
  }

  /** Periodic work (about every 100 ms): connect, ACK once a second, timeouts. */
  tick(now: number): LinkAction[] {
    const out: LinkAction[] = [];
    const timeoutMs = this.config.timeoutSec * 1000;
    switch (this.state) {
      case 'connect':
        // Redis retries from replicationCron, once a second.
        if (now - this.lastConnectAttempt >= 1000) {
          this.lastConnectAttempt = now;
          this.state = 'connecting';
          this.lastIo = now;
          out.push({ kind: 'connect', host: this.config.host, port: this.config.port });
        }
        break;
      case 'connecting':
      case 'handshake':
        if (now - this.lastIo > timeoutMs) out.push(...this.fail(now, 'Timeout connecting to the MASTER...'));
        break;
      case 'transfer':
        if (now - this.lastIo > timeoutMs) out.push(...this.fail(now, 'Timeout receiving bulk data from MASTER... If the problem persists try to set the \'repl-timeout\' parameter in redis.conf to a larger value.'));
        break;
      case 'connected':
        if (now - this.lastIo > timeoutMs) {
          out.push(...this.fail(now, 'MASTER timeout: no data nor PING received...'));
        } else if (now - this.lastAck >= 1000) {
          out.push(this.ack(now));
        }
        break;
    }
    return out;
  }

  /** The TCP connection is established: start the handshake with PING. */
  connected(now: number): LinkAction[] {
    if (this.state !== 'connecting') throw new Error(`invariant: connected in state ${this.state}`);
    this.state = 'handshake';
    this.hs = 'pong';
    this.lastIo = now;
    this.in = Buffer.alloc(0);
    return [{ kind: 'send', data: encodeCommand(['PING']) }];
  }

  /** The connection failed or closed. */
  closed(now: number): LinkAction[] {
    if (this.state === 'connect') return [];
    return this.reset(now);
  }

  private fail(now: number, message: string): LinkAction[] {
    return [{ kind: 'log', level: 'warn', message }, { kind: 'close', reason: message }, ...this.reset(now)];
  }

  private reset(now: number): LinkAction[] {
    const wasUp = this.state === 'connected';
    this.state = 'connect';
    this.in = Buffer.alloc(0);
    this.chunks = [];
    this.parser = null;
    this.raw = [];
    // An open MULTI is dropped: the offset is still at its start, PSYNC sends it again.
    this.multi = null;
    this.multiBytes = 0;
    this.transferSize = -1;
    this.readReploff = this.reploff;
    // Redis counts the down time from the loss of an established link only.
    if (wasUp) this.downSince = now;
    return wasUp ? [{ kind: 'link-down' }] : [];
  }

  private ack(now: number): LinkAction {
    this.lastAck = now;
    return { kind: 'send', data: encodeCommand(['REPLCONF', 'ACK', String(this.reploff)]) };
  }

  /** Bytes from the primary. */
  data(chunk: Buffer, now: number): LinkAction[] {
    this.lastIo = now;
    if (this.state === 'connected') return this.stream(chunk, now);
    this.in = this.in.length ? Buffer.concat([this.in, chunk]) : chunk;
    const out: LinkAction[] = [];
    while (this.state === 'handshake' || this.state === 'transfer') {
      if (this.state === 'transfer' && this.transferLen !== -2) {
        if (!this.readPayload(out, now)) return out;
        continue;
      }
      const line = this.line();
      if (line === null) return out;
      // The primary sends newlines to keep the link alive while it prepares the snapshot.
      if (line === '') continue;
      if (this.state === 'handshake') {
        this.handshakeReply(line, out);
        if (out.some((a) => a.kind === 'close')) return out;
      } else {
        this.payloadHeader(line, out);
        if (out.some((a) => a.kind === 'close')) return out;
      }
    }
    // The loop ends in 'connected' once a resync completed.
    if ((this.state as LinkState) === 'connected' && this.in.length) {
      const rest = this.in;
      this.in = Buffer.alloc(0);
      out.push(...this.stream(rest, now));
    }
    return out;
  }

  private line(): string | null {
    const i = this.in.indexOf(10);
    if (i < 0) return null;
    const end = i > 0 && this.in[i - 1] === 13 ? i - 1 : i;
    const s = this.in.toString('latin1', 0, end);
    this.in = this.in.subarray(i + 1);
    return s;
  }

  private handshakeReply(line: string, out: LinkAction[]): void {
    const err = line.startsWith('-');
    switch (this.hs) {
      case 'pong':
        // A primary with requirepass answers NOAUTH: fine, AUTH comes next.
        if (err && !/^-(NOAUTH|NOPERM|ERR operation not permitted)/.test(line)) {
          out.push(...this.fail(this.lastIo, `Error reply to PING from master: '${line}'`));
          return;
        }
        this.pending = [];
        {
          let send = '';
          if (this.config.masterauth) {
            send += encodeCommand(this.config.masteruser ? ['AUTH', this.config.masteruser, this.config.masterauth] : ['AUTH', this.config.masterauth]);
            this.pending.push('auth');
          }
          send += encodeCommand(['REPLCONF', 'listening-port', String(this.config.listeningPort)]);
          send += encodeCommand(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
          this.pending.push('port', 'capa');
          out.push({ kind: 'send', data: send });
        }
        this.hs = this.pending[0];
        return;
      case 'auth':
        if (err) {
          out.push(...this.fail(this.lastIo, `Unable to AUTH to MASTER: ${line}`));
          return;
        }
        break;
      case 'port':
        if (err) out.push({ kind: 'log', level: 'info', message: `(Non critical) Master does not understand REPLCONF listening-port: ${line}` });
        break;
      case 'capa':
        if (err) out.push({ kind: 'log', level: 'info', message: `(Non critical) Master does not understand REPLCONF capa: ${line}` });
        break;
      case 'psync':
        this.psyncReply(line, out);
        return;
    }
    this.pending.shift();
    if (this.pending.length) {
      this.hs = this.pending[0];
      return;
    }
    this.hs = 'psync';
    const c = this.cached;
    out.push({ kind: 'send', data: encodeCommand(c ? ['PSYNC', c.replid, String(this.reploff + 1)] : ['PSYNC', '?', '-1']) });
  }

  private psyncReply(line: string, out: LinkAction[]): void {
    let m = /^\+FULLRESYNC ([0-9a-zA-Z]{40}) (-?\d+)$/.exec(line);
    if (m) {
      this.fullReplid = m[1];
      this.fullOffset = Number(m[2]);
      this.state = 'transfer';
      this.transferLen = -2;
      this.transferSize = -1;
      this.transferRead = 0;
      this.lastTransferIo = this.lastIo;
      out.push({ kind: 'log', level: 'info', message: `Full resync from master: ${this.fullReplid}:${this.fullOffset}` });
      out.push({ kind: 'full-sync', replid: this.fullReplid, offset: this.fullOffset });
      return;
    }
    m = /^\+CONTINUE(?: ([0-9a-zA-Z]{40}))?$/.exec(line);
    if (m) {
      if (!this.cached) {
        out.push(...this.fail(this.lastIo, `Unexpected +CONTINUE to PSYNC ? -1`));
        return;
      }
      const replid = m[1] ?? null;
      out.push({ kind: 'log', level: 'info', message: `Successful partial resynchronization with master${replid && replid !== this.cached.replid ? `, new replication ID ${replid}` : ''}.` });
      if (replid) this.cached = { replid };
      out.push({ kind: 'continue', replid });
      this.startStream(this.reploff);
      out.push({ kind: 'link-up' });
      return;
    }
    // -NOMASTERLINK, -LOADING and other errors: try again later (Redis falls back to SYNC
    // only for primaries that do not know PSYNC at all, which no supported one is).
    out.push(...this.fail(this.lastIo, `Unexpected reply to PSYNC from master: ${line}`));
  }

  private payloadHeader(line: string, out: LinkAction[]): void {
    if (line.startsWith('-')) {
      out.push(...this.fail(this.lastIo, `MASTER aborted replication with an error: ${line}`));
      return;
    }
    if (!line.startsWith('$')) {
      out.push(...this.fail(this.lastIo, `Bad protocol from MASTER, the first byte is not '$' (we received '${line.slice(0, 64)}'), are you sure the host and port are right?`));
      return;
    }
    if (line.startsWith('$EOF:') && line.length === 45) {
      this.eofMark = line.slice(5);
      this.transferLen = -1;
    } else {
      const n = Number(line.slice(1));
      if (!Number.isSafeInteger(n) || n < 0) {
        out.push(...this.fail(this.lastIo, `Bad bulk length from MASTER: ${line}`));
        return;
      }
      this.eofMark = null;
      this.transferLen = n;
      this.transferSize = n;
    }
    this.chunks = [];
    this.got = 0;
  }

  /** Reads snapshot bytes; returns true once the payload is complete (state changed). */
  private readPayload(out: LinkAction[], now: number): boolean {
    if (this.in.length === 0 && !(this.eofMark === null && this.got === this.transferLen)) return false;
    this.lastTransferIo = now;
    if (this.eofMark === null) {
      const need = this.transferLen - this.got;
      const take = Math.min(need, this.in.length);
      this.chunks.push(this.in.subarray(0, take));
      this.got += take;
      this.in = this.in.subarray(take);
      this.transferRead = this.got;
      if (this.got < this.transferLen) return false;
      this.finishPayload(Buffer.concat(this.chunks, this.got), out, now);
      return true;
    }
    // EOF-marked payload: it ends with the 40-byte mark; keep the mark's length unread.
    this.chunks.push(this.in);
    this.got += this.in.length;
    this.in = Buffer.alloc(0);
    this.transferRead = this.got;
    if (this.got < 40) return false;
    // The stream starts only after our first ACK, so nothing follows the mark.
    if (this.tail(40) !== this.eofMark) return false;
    const all = Buffer.concat(this.chunks, this.got);
    this.finishPayload(all.subarray(0, all.length - 40), out, now);
    return true;
  }

  /** The last `n` bytes received of the payload, without joining every chunk. */
  private tail(n: number): string {
    let s = '';
    for (let i = this.chunks.length - 1; i >= 0 && s.length < n; i--) {
      const c = this.chunks[i];
      s = c.toString('latin1', Math.max(0, c.length - (n - s.length)), c.length) + s;
    }
    return s;
  }

  private finishPayload(rdb: Buffer, out: LinkAction[], now: number): void {
    this.chunks = [];
    this.transferSize = -1;
    out.push({ kind: 'load', rdb, replid: this.fullReplid, offset: this.fullOffset });
    this.cached = { replid: this.fullReplid };
    this.startStream(this.fullOffset);
    out.push({ kind: 'link-up' });
    // The first ACK right away: a diskless primary starts the stream on it.
    out.push(this.ack(now));
  }

  private startStream(offset: number): void {
    this.state = 'connected';
    this.reploff = offset;
    this.readReploff = offset;
    this.parser = new RequestParser();
    this.raw = [];
    this.consumedMark = 0;
    this.multi = null;
    this.multiBytes = 0;
  }

  /** The load failed (corrupt snapshot): drop the link and try again. */
  loadFailed(now: number, message: string): LinkAction[] {
    this.cached = null;
    return this.fail(now, `Failed trying to load the MASTER synchronization DB: ${message}`);
  }

  private stream(chunk: Buffer, now: number): LinkAction[] {
    const p = this.parser!;
    p.feed(chunk);
    this.raw.push(chunk);
    this.readReploff += chunk.length;
    const commands: string[][] = [];
    let appliedBytes = 0;
    const out: LinkAction[] = [];
    for (;;) {
      let argv: string[] | null;
      try {
        argv = p.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        out.push(...this.flush(commands, appliedBytes));
        out.push(...this.fail(now, `Protocol error from MASTER: ${e.message}`));
        return out;
      }
      if (argv === null) break;
      const total = p.consumed;
      const bytes = total - this.consumedMark;
      this.consumedMark = total;
      const name = argv[0].toLowerCase();
      if (this.multi !== null) {
        this.multiBytes += bytes;
        if (name === 'exec') {
          for (const c of this.multi) commands.push(c);
          appliedBytes += this.multiBytes;
          this.reploff += this.multiBytes;
          this.multi = null;
          this.multiBytes = 0;
        } else if (name === 'discard') {
          appliedBytes += this.multiBytes;
          this.reploff += this.multiBytes;
          this.multi = null;
          this.multiBytes = 0;
        } else {
          this.multi.push(argv);
        }
        continue;
      }
      if (name === 'multi') {
        this.multi = [];
        this.multiBytes = bytes;
        continue;
      }
      if (name === 'replconf') {
        // GETACK reports the offset before its own bytes, as Redis does.
        if (argv.length >= 2 && argv[1].toLowerCase() === 'getack') {
          out.push(...this.flush(commands, appliedBytes));
          commands.length = 0;
          appliedBytes = 0;
          out.push(this.ack(now));
        }
      } else if (name !== 'ping') {
        commands.push(argv);
      }
      appliedBytes += bytes;
      this.reploff += bytes;
    }
    out.push(...this.flush(commands, appliedBytes));
    return out;
  }

  /** Cut the applied bytes off the front of `raw` into one apply action. */
  private flush(commands: string[][], bytes: number): LinkAction[] {
    if (bytes === 0 && commands.length === 0) return [];
    let raw: Buffer;
    const first = this.raw[0];
    if (first && first.length >= bytes) {
      raw = first.subarray(0, bytes);
      if (first.length === bytes) this.raw.shift();
      else this.raw[0] = first.subarray(bytes);
    } else {
      const all = Buffer.concat(this.raw);
      raw = all.subarray(0, bytes);
      this.raw = bytes < all.length ? [all.subarray(bytes)] : [];
    }
    if (raw.length !== bytes) throw new Error('invariant: applied bytes exceed the bytes received');
    return [{ kind: 'apply', commands: commands.slice(), raw }];
  }
}

