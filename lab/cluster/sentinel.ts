/**
 * A Sentinel-compatible endpoint served by the supervisor, so real clients (ioredis
 * `sentinels: [...]`, redis-cli -p) find the primary and follow failovers: SENTINEL
 * get-master-addr-by-name / masters / master / replicas / slaves / sentinels / myid /
 * ckquorum, PING, INFO, CLIENT SETNAME, and pub/sub (SUBSCRIBE, PSUBSCRIBE) carrying
 * `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>` and the +sdown family.
 * Addresses are those of the client AZ: Sentinel's answers are for clients.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { encode } from '../../engine/resp/encoder.js';
import { RequestParser } from '../../engine/resp/parser.js';
import { ErrorReply, OK, PONG, PushReply, simple, type Reply } from '../../engine/resp/reply.js';
import { globMatch } from '../../engine/store/glob.js';
import type { Endpoint } from '../network/delay-line.js';

export interface SentinelNode {
  id: string;
  host: string;
  port: number;
  /** Down as the supervisor sees it (no valid reply for down-after). */
  down: boolean;
  runId?: string;
  offset?: number;
  linkUp?: boolean;
  priority?: number;
}

export interface SentinelView {
  masterName: string;
  primary: SentinelNode;
  replicas: SentinelNode[];
  epoch: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
}

interface Conn {
  sock: net.Socket;
  parser: RequestParser;
  channels: Set<string>;
  patterns: Set<string>;
  name: string;
}

const flat = (o: Record<string, string | number>): string[] => Object.entries(o).flatMap(([k, v]) => [k, String(v)]);

export class SentinelServer {
  private server: net.Server | null = null;
  private readonly conns = new Set<Conn>();
  readonly myId = randomBytes(20).toString('hex');
  endpoint: Endpoint = { host: '127.0.0.1', port: 0 };

  constructor(private readonly view: () => SentinelView) {}

  async listen(host: string, port = 0): Promise<Endpoint> {
    const server = net.createServer({ noDelay: true }, (s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.endpoint = { host, port: (server.address() as net.AddressInfo).port };
    return this.endpoint;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.sock.destroy();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Publish an event to subscribers (channel names as Sentinel's: +switch-master, +sdown...). */
  publish(channel: string, message: string): number {
    let n = 0;
    for (const c of this.conns) {
      if (c.channels.has(channel)) {
        c.sock.write(encode(new PushReply(['message', channel, message]), 2), 'latin1');
        n++;
      }
      for (const p of c.patterns) {
        if (globMatch(p, channel)) {
          c.sock.write(encode(new PushReply(['pmessage', p, channel, message]), 2), 'latin1');
          n++;
        }
      }
    }
    return n;
  }

  private accept(sock: net.Socket): void {
    const c: Conn = { sock, parser: new RequestParser(), channels: new Set(), patterns: new Set(), name: '' };
    this.conns.add(c);
    sock.setNoDelay(true);
    sock.on('error', () => {});
    sock.on('close', () => this.conns.delete(c));
    sock.on('data', (d: Buffer) => {
      c.parser.feed(d);
      let out = '';
      try {
        for (let argv = c.parser.next(); argv; argv = c.parser.next()) {
          const r = this.run(c, argv);
          for (const x of Array.isArray(r) && r.length && r[0] instanceof PushReply ? (r as PushReply[]) : [r as Reply]) out += encode(x, 2);
          if (argv[0].toLowerCase() === 'quit') {
            sock.end(out, 'latin1');
            return;
          }
        }
      } catch (e) {
        out += encode(new ErrorReply(`ERR Protocol error: ${(e as Error).message}`), 2);
        sock.end(out, 'latin1');
        return;
      }
      if (out) sock.write(out, 'latin1');
    });
  }

  private nodeMap(n: SentinelNode, isMaster: boolean, v: SentinelView): string[] {
    const flags = [isMaster ? 'master' : 'slave', ...(n.down ? ['s_down', ...(isMaster ? ['o_down'] : [])] : [])].join(',');
    const base: Record<string, string | number> = {
      name: isMaster ? v.masterName : `${n.host}:${n.port}`,
      ip: n.host,
      port: n.port,
      runid: n.runId ?? '',
      flags,
      'link-pending-commands': 0,
      'link-refcount': 1,
      'last-ping-sent': 0,
      'last-ok-ping-reply': 0,
      'last-ping-reply': 0,
      'down-after-milliseconds': v.downAfterMs,
    };
    if (isMaster) {
      Object.assign(base, { 'config-epoch': v.epoch, 'num-slaves': v.replicas.length, 'num-other-sentinels': 0, quorum: 1, 'failover-timeout': v.failoverTimeoutMs, 'parallel-syncs': 1 });
    } else {
      const p = v.primary;
      Object.assign(base, {
        'master-link-down-time': 0,
        'master-link-status': n.linkUp === false ? 'err' : 'ok',
        'master-host': p.host,
        'master-port': p.port,
        'slave-priority': n.priority ?? 100,
        'slave-repl-offset': n.offset ?? 0,
        'replica-announced': 1,
      });
    }
    return flat(base);
  }

  private run(c: Conn, argv: string[]): Reply | PushReply[] {
    const cmd = argv[0].toLowerCase();
    const subscribed = c.channels.size + c.patterns.size > 0;
    switch (cmd) {
      case 'ping':
        return subscribed ? ['pong', argv[1] ?? ''] : argv.length > 1 ? argv[1] : PONG;
      case 'quit':
        return OK;
      case 'client': {
        const sub = (argv[1] ?? '').toLowerCase();
        if (sub === 'setname') {
          c.name = argv[2] ?? '';
          return OK;
        }
        if (sub === 'getname') return c.name || null;
        if (sub === 'setinfo') return OK;
        return new ErrorReply(`ERR unknown subcommand '${argv[1] ?? ''}'`);
      }
      case 'info':
        return `# Server\r\nredis_version:7.0.15\r\nredis_mode:sentinel\r\n\r\n# Sentinel\r\nsentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nmaster0:name=${this.view().masterName},status=${this.view().primary.down ? 'odown' : 'ok'},address=${this.view().primary.host}:${this.view().primary.port},slaves=${this.view().replicas.length},sentinels=1\r\n`;
      case 'subscribe':
      case 'psubscribe': {
        if (argv.length < 2) return new ErrorReply(`ERR wrong number of arguments for '${cmd}' command`);
        const set = cmd === 'subscribe' ? c.channels : c.patterns;
        return argv.slice(1).map((ch) => {
          set.add(ch);
          return new PushReply([cmd, ch, c.channels.size + c.patterns.size]);
        });
      }
      case 'unsubscribe':
      case 'punsubscribe': {
        const set = cmd === 'unsubscribe' ? c.channels : c.patterns;
        const names = argv.length > 1 ? argv.slice(1) : [...set];
        if (names.length === 0) return [new PushReply([cmd, null, c.channels.size + c.patterns.size])];
        return names.map((ch) => {
          set.delete(ch);
          return new PushReply([cmd, ch, c.channels.size + c.patterns.size]);
        });
      }
      case 'sentinel':
        if (subscribed) return new ErrorReply(`ERR Can't execute 'sentinel': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
        return this.sentinel(argv);
      default:
        return new ErrorReply(`ERR unknown command '${argv[0]}', with args beginning with: ${argv
          .slice(1)
          .map((a) => `'${a}' `)
          .join('')}`);
    }
  }

  private sentinel(argv: string[]): Reply {
    const v = this.view();
    const sub = (argv[1] ?? '').toLowerCase();
    const named = () => argv[2] === v.masterName;
    const noSuch = new ErrorReply('ERR No such master with that name');
    switch (sub) {
      case 'get-master-addr-by-name':
        return named() ? [v.primary.host, String(v.primary.port)] : null;
      case 'masters':
        return [this.nodeMap(v.primary, true, v)];
      case 'master':
        return named() ? this.nodeMap(v.primary, true, v) : noSuch;
      case 'replicas':
      case 'slaves':
        return named() ? v.replicas.map((r) => this.nodeMap(r, false, v)) : noSuch;
      case 'sentinels':
        return named() ? [] : noSuch;
      case 'myid':
        return this.myId;
      case 'ckquorum':
        return named() ? simple('OK 1 usable Sentinels. Quorum and failover authorization can be reached') : noSuch;
      default:
        return new ErrorReply(`ERR Unknown sentinel subcommand '${argv[1] ?? ''}'`);
    }
  }
}
