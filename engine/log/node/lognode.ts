/**
 * The log replica process (`memlab lognode`): LogReplica over a LogFile and a LogListener.
 * Everything the machine asks for is performed in order; a persist's completion (write +
 * fdatasync) is what releases the acknowledgements that depend on it.
 */
import { performance } from 'node:perf_hooks';
import { LogReplica, type ReplicaOut } from '../replica.js';
import { Logger } from '../../server/logger.js';
import { LogFile, type FsyncMode } from './storage.js';
import { LogListener } from './transport.js';
import type { WireMsg } from './codec.js';
import type { ToReplica } from '../types.js';

export interface LogNodeOptions {
  id: string;
  port: number;
  bind: string;
  dir: string;
  /** Must equal the engines' lease (memlab server --lease-ms). */
  leaseMs: number;
  logger?: Logger;
  compactBytes?: number;
  fsync?: FsyncMode;
}

export class LogNode {
  readonly replica: LogReplica<Buffer>;
  private lastPromised: number;
  private messages = 0;
  private queue: ReplicaOut<Buffer>[][] = [];
  private performing = false;
  private turnHeld = false;
  /** The timer for the earliest held read (LogReplica.nextDeadline). */
  private parkTimer: { at: number; timer: NodeJS.Timeout } | null = null;
  private readonly startedAt = Date.now();

  private constructor(
    readonly opts: LogNodeOptions,
    readonly file: LogFile,
    readonly listener: LogListener,
    replica: LogReplica<Buffer>,
    readonly log: Logger,
  ) {
    this.replica = replica;
    this.lastPromised = replica.promised;
  }

  static async start(opts: LogNodeOptions): Promise<LogNode> {
    const log = opts.logger ?? new Logger(opts.id);
    const { file, recovery } = LogFile.open(opts.dir, { compactBytes: opts.compactBytes, fsync: opts.fsync, log: (m) => log.info(m) });
    const s = recovery.state;
    const last = s.entries.length ? s.entries[s.entries.length - 1] : null;
    log.info(
      `recovered ${file.file}: ${recovery.records} records, ${recovery.bytes} bytes; base ${s.base.index}@${s.base.epoch}, ` +
        `last ${last ? `${last.index}@${last.epoch}` : 'none'}, promised epoch ${s.promisedEpoch}`,
    );
    if (recovery.cut) {
      log.warn(`cut a torn or corrupt tail of ${file.file} at byte ${recovery.cut.at}: ${recovery.cut.bytes} bytes dropped (${recovery.cut.reason}); none of it was acknowledged`);
    }
    const replica = new LogReplica<Buffer>(opts.id, { leaseMs: opts.leaseMs }, s, performance.now());
    let node: LogNode | null = null;
    const listener = new LogListener(opts.id, (msg, reply) => node!.onMessage(msg, reply), (m) => log.warn(m));
    node = new LogNode(opts, file, listener, replica, log);
    const addr = await listener.listen(opts.port, opts.bind);
    log.info(`memlab log replica ${opts.id} ready on ${addr.address}:${addr.port} (pid ${process.pid}, lease ${opts.leaseMs} ms, fdatasync ${file.fsyncMode})`);
    return node;
  }

  get address(): { port: number } {
    return { port: this.opts.port };
  }

  private onMessage(msg: WireMsg, reply: (m: WireMsg) => void): void {
    this.messages++;
    if (msg.type === 'stats') {
      reply({ type: 'statsReply', from: this.opts.id, stats: this.stats() });
      if (msg.resetSamples) {
        this.file.fsyncMs.reset();
        this.file.batchRecords.reset();
      }
      return;
    }
    if (msg.type === 'hello' || msg.type === 'statsReply') return;
    const t = (msg as { type: string }).type;
    if (t !== 'append' && t !== 'promise' && t !== 'fetch' && t !== 'read' && t !== 'trim') return;
    if (!this.turnHeld) {
      // Everything read in this event-loop turn, from every socket, shares one fsync.
      this.turnHeld = true;
      this.replica.holdPersist();
      setImmediate(() => {
        this.turnHeld = false;
        this.perform(this.replica.releasePersist());
      });
    }
    this.perform(this.replica.handle(msg as ToReplica<Buffer>, performance.now()));
    this.armParked();
  }

  /** Held reads are answered by what arrives, or at their deadline by this timer. */
  private armParked(): void {
    const at = this.replica.nextDeadline();
    if (at === null || (this.parkTimer && this.parkTimer.at <= at)) return;
    if (this.parkTimer) clearTimeout(this.parkTimer.timer);
    const timer = setTimeout(() => {
      this.parkTimer = null;
      this.perform(this.replica.tick(performance.now()));
      this.armParked();
    }, Math.max(0, at - performance.now()));
    this.parkTimer = { at, timer };
  }

  private perform(outs: ReplicaOut<Buffer>[]): void {
    // An inline fdatasync completes inside persist(): queue its outputs behind the rest of
    // this batch so that sends leave in the order the machine produced them.
    this.queue.push(outs);
    if (this.performing) return;
    this.performing = true;
    try {
      for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
        for (const o of batch) {
          if (o.kind === 'send') this.listener.send(o.to, o.msg);
          else {
            const id = o.id;
            this.file.persist(o.ops, () => this.perform(this.replica.persisted(id, performance.now())));
          }
        }
      }
    } finally {
      this.performing = false;
    }
    if (this.replica.promised !== this.lastPromised) {
      this.log.info(`promised epoch ${this.replica.promised} (was ${this.lastPromised}); log ends at ${this.replica.last.index}@${this.replica.last.epoch}`);
      this.lastPromised = this.replica.promised;
    }
  }

  stats(): Record<string, unknown> {
    const f = this.file;
    return {
      id: this.opts.id,
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAt,
      promised: this.replica.promised,
      commit: this.replica.commitIndex,
      last: this.replica.last,
      base: this.replica.snapshot,
      fileBytes: f.bytes,
      persists: f.persists,
      fsyncMode: f.fsyncMode,
      bytesWritten: f.bytesWritten,
      compactions: f.compactions,
      messages: this.messages,
      fsyncCount: f.fsyncMs.count,
      fsyncP50Ms: f.fsyncMs.percentile(50),
      fsyncP99Ms: f.fsyncMs.percentile(99),
      recordsPerPersistP50: f.batchRecords.percentile(50),
    };
  }

  async close(): Promise<void> {
    if (this.parkTimer) clearTimeout(this.parkTimer.timer);
    await this.listener.close();
    this.file.close();
  }
}
