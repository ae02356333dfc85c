/**
 * Sockets for the durable log: engine nodes dial every log replica (from their own source
 * address: the lab's delay line routes and cuts by source), one connection each, and
 * reconnect with backoff; log replicas accept and answer on the connection a node last
 * spoke on. Messages that cannot be sent are dropped: the protocol retransmits.
 */
import net from 'node:net';
import { decodeBody, encodeFrame, FrameReader, type WireMsg } from './codec.js';

export interface PeerAddress {
  id: string;
  host: string;
  port: number;
}

/** Parse `id=host:port,...` or `host:port,...` (ids then l1, l2, ...). */
export function parseLogList(text: string): PeerAddress[] {
  const out: PeerAddress[] = [];
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  parts.forEach((p, i) => {
    let id = `l${i + 1}`;
    let hp = p;
    const eq = p.indexOf('=');
    if (eq >= 0) {
      id = p.slice(0, eq);
      hp = p.slice(eq + 1);
    }
    const m = /^(.+):(\d+)$/.exec(hp);
    if (!m || !id || Number(m[2]) > 65535) throw new Error(`log replica '${p}' is not [id=]host:port`);
    out.push({ id, host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) });
  });
  if (out.length === 0) throw new Error('the log replica list is empty');
  if (new Set(out.map((x) => x.id)).size !== out.length) throw new Error(`duplicate log replica ids in '${text}'`);
  return out;
}

/** Drop a connection whose peer stopped reading once this much is queued (it is resent later). */
const MAX_QUEUED = 64 << 20;

interface Conn {
  addr: PeerAddress;
  socket: net.Socket | null;
  up: boolean;
  backoff: number;
  timer: NodeJS.Timeout | null;
  warned: boolean;
  downSince: number;
}

/** The engine side: one outgoing connection per log replica. */
export class LogLinks {
  private readonly conns = new Map<string, Conn>();
  private closed = false;

  constructor(
    private readonly self: string,
    peers: PeerAddress[],
    private readonly onMessage: (msg: WireMsg, from: string) => void,
    private readonly opts: { localAddress?: string; log?: (m: string) => void } = {},
  ) {
    for (const p of peers) {
      const c: Conn = { addr: p, socket: null, up: false, backoff: 20, timer: null, warned: false, downSince: Date.now() };
      this.conns.set(p.id, c);
      this.dial(c);
    }
  }

  /** Replicas currently connected. */
  get connected(): number {
    let n = 0;
    for (const c of this.conns.values()) if (c.up) n++;
    return n;
  }

  send(to: string, msg: WireMsg): void {
    const c = this.conns.get(to);
    if (!c || !c.up || !c.socket) return;
    if (c.socket.writableLength > MAX_QUEUED) {
      this.opts.log?.(`log replica ${to} is not reading (${c.socket.writableLength} bytes queued): reconnecting`);
      c.socket.destroy();
      return;
    }
    c.socket.write(encodeFrame(msg));
  }

  close(): void {
    this.closed = true;
    for (const c of this.conns.values()) {
      if (c.timer) clearTimeout(c.timer);
      c.socket?.destroy();
    }
  }

  private dial(c: Conn): void {
    if (this.closed) return;
    const s = net.connect({ host: c.addr.host, port: c.addr.port, noDelay: true, ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}) });
    c.socket = s;
    const reader = new FrameReader();
    s.on('connect', () => {
      c.up = true;
      c.backoff = 20;
      if (c.warned) this.opts.log?.(`log replica ${c.addr.id} at ${c.addr.host}:${c.addr.port} reachable again`);
      c.warned = false;
      s.write(encodeFrame({ type: 'hello', from: this.self, expect: c.addr.id }));
    });
    s.on('data', (chunk: Buffer) => {
      let bodies: Buffer[];
      try {
        bodies = reader.push(chunk);
      } catch (e) {
        this.opts.log?.(`bad frame from log replica ${c.addr.id}: ${(e as Error).message}; reconnecting`);
        s.destroy();
        return;
      }
      for (const b of bodies) {
        const msg = decodeBody(b) as WireMsg & { from: string };
        if (msg.type === 'hello') {
          if (msg.from !== c.addr.id) this.opts.log?.(`log replica at ${c.addr.host}:${c.addr.port} calls itself '${msg.from}', configured as '${c.addr.id}'`);
          continue;
        }
        // The configured id is the one the machines know this replica by.
        (msg as { from: string }).from = c.addr.id;
        this.onMessage(msg, c.addr.id);
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (!c.warned && Date.now() - c.downSince > 2000) {
        c.warned = true;
        this.opts.log?.(`log replica ${c.addr.id} at ${c.addr.host}:${c.addr.port} unreachable (${e.code ?? e.message}); retrying`);
      }
    });
    s.on('close', () => {
      if (c.socket !== s) return;
      if (c.up) c.downSince = Date.now();
      c.up = false;
      c.socket = null;
      if (this.closed) return;
      c.timer = setTimeout(() => {
        c.timer = null;
        this.dial(c);
      }, c.backoff);
      c.backoff = Math.min(1000, c.backoff * 2);
    });
  }
}

/** The log replica side: accept, decode, route replies by node id. */
export class LogListener {
  private server: net.Server | null = null;
  private readonly byNode = new Map<string, net.Socket>();
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly self: string,
    private readonly onMessage: (msg: WireMsg, reply: (m: WireMsg) => void) => void,
    private readonly log: (m: string) => void = () => {},
  ) {}

  async listen(port: number, host: string): Promise<net.AddressInfo> {
    const server = net.createServer({ noDelay: true }, (s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as net.AddressInfo;
  }

  send(to: string, msg: WireMsg): void {
    const s = this.byNode.get(to);
    if (!s || s.destroyed) return;
    if (s.writableLength > MAX_QUEUED) {
      this.log(`node ${to} is not reading (${s.writableLength} bytes queued): dropping its connection`);
      s.destroy();
      return;
    }
    s.write(encodeFrame(msg));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const srv = this.server;
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }

  private accept(s: net.Socket): void {
    this.sockets.add(s);
    s.setNoDelay(true);
    const reader = new FrameReader();
    let node: string | null = null;
    s.on('data', (chunk: Buffer) => {
      let bodies: Buffer[];
      try {
        bodies = reader.push(chunk);
      } catch (e) {
        this.log(`bad frame from ${s.remoteAddress}:${s.remotePort}: ${(e as Error).message}; closing`);
        s.destroy();
        return;
      }
      for (const b of bodies) {
        const msg = decodeBody(b) as WireMsg & { from: string };
        if (node !== msg.from) {
          node = msg.from;
          this.byNode.set(node, s);
        }
        if (msg.type === 'hello') {
          if (msg.expect && msg.expect !== this.self) this.log(`node ${msg.from} dialed this replica as '${msg.expect}', but it is '${this.self}'`);
          s.write(encodeFrame({ type: 'hello', from: this.self }));
          continue;
        }
        this.onMessage(msg, (m) => s.write(encodeFrame(m)));
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      this.sockets.delete(s);
      if (node !== null && this.byNode.get(node) === s) this.byNode.delete(node);
    });
  }
}
