/**
 * A hand-built three-AZ cluster for chaos rounds while (and wherever) the lab cluster of
 * `memlab up` is not available: one engine node per AZ (n1 primary in az-a, n2 in az-b, n3
 * in az-c) behind the delay line, and a supervisor in this process that applies Sentinel's
 * rules (lab/cluster/failover.ts) exactly as Sentinel acts on them:
 *
 *   - probes every node with INFO replication every probeInterval, from its own source
 *     address (127.0.1.199, az-a), through the delay line, so a cut can spare or hit it;
 *   - promotes with MULTI / REPLICAOF NO ONE / CLIENT KILL TYPE normal / EXEC and points
 *     the others with REPLICAOF host port the same way (sentinelSendSlaveOf);
 *   - remembers what it told each node, as Sentinel's CONFIG REWRITE does, so a restarted
 *     node comes back as a replica of the primary it was last pointed at, or as a primary
 *     if it never was reconfigured.
 *
 * Nodes are `redis-server` (Debian's 7.0, the reference) or `memlab server` once the engine
 * replicates. They keep no data on disk (`save ''`, no AOF), as an ElastiCache node without
 * persistence: any restart is a restart with an empty dataset.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SentinelFailover, type FailoverAction, type NodeObservation } from '../cluster/failover.js';
import { spawnProxy, type ProxyProcess } from '../network/control.js';
import {
  clientEndpoint,
  endpointFrom,
  isolate,
  linkId,
  linkOptions,
  peerEndpoint,
  planTopology,
  separate,
  type LinkAction,
  type Topology,
} from '../network/topology.js';
import type { ChaosCluster, ChaosClusterProvider, ClusterEvent, ClusterNode, ClusterRequest, CutPeer, Endpoint, Fault, Mode, PrimaryInfo } from './cluster-api.js';
import { parseInfo, RespConnection, RespError } from './resp.js';

export type ServerKind = 'redis' | 'engine';

const AZS = ['az-a', 'az-b', 'az-c'];
const SUPERVISOR_AZ = 'az-a';
/** Below the clients' 127.0.A.200..254 (as lab/cluster/plan.ts places the supervisor). */
const SUPERVISOR_ADDR = '127.0.1.199';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root');
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
const CLI_ENTRY = path.join(ROOT, 'dist/cli/main.js');
const PROXY_ENTRY = path.join(ROOT, 'dist/lab/network/proxy-main.js');

let engineHelp: string | null = null;
/** What this build's `memlab server` accepts, from its --help (replication lands separately). */
export function engineFlags(): { replicaof: boolean; sourceAddr: boolean; exitWithParent: boolean } {
  if (engineHelp === null) {
    const r = existsSync(CLI_ENTRY) ? spawnSync(process.execPath, [CLI_ENTRY, 'server', '--help'], { encoding: 'utf8' }) : null;
    engineHelp = r?.stdout ?? '';
  }
  return { replicaof: engineHelp.includes('--replicaof'), sourceAddr: engineHelp.includes('--source-addr'), exitWithParent: engineHelp.includes('--exit-with-parent') };
}

/** Children still running, killed if this process exits without taking the cluster down. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(p: ChildProcess): void {
  live.add(p);
  p.once('exit', () => live.delete(p));
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

export function redisServerVersion(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return /v=(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

async function portFreeOn(hosts: string[], port: number): Promise<boolean> {
  const servers: net.Server[] = [];
  try {
    for (const host of hosts) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ port, host, exclusive: true }, () => resolve());
      });
    }
    return true;
  } catch {
    return false;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
  }
}

/** A port free on the node's address and every address the delay line will listen on for it. */
async function allocatePort(azIndex: number, nodeIndex: number, taken: Set<number>): Promise<number> {
  const host = `127.0.${azIndex}.${nodeIndex}`;
  const hosts = [host, ...AZS.map((_, s) => `127.${s + 1}.${azIndex}.${nodeIndex}`)];
  for (let attempt = 0; attempt < 50; attempt++) {
    const s = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, host, () => resolve((s.address() as net.AddressInfo).port));
    });
    await new Promise<void>((r) => s.close(() => r()));
    if (!taken.has(port) && (await portFreeOn(hosts, port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port for ${host}`);
}

type NodeState = 'up' | 'paused' | 'down';

interface LocalNode {
  id: string;
  az: string;
  host: string;
  port: number;
  priority: number;
  dir: string;
  logFile: string;
  proc: ChildProcess | null;
  exited: Promise<void>;
  state: NodeState;
  /** The primary it was last told to follow (null: it is a primary), as in its rewritten config. */
  config: string | null;
  probe: RespConnection | null;
  probing: boolean;
  connecting: boolean;
  lastObs: NodeObservation | null;
  /** Last failover command sent, to avoid repeating it every probe. */
  lastCommand: { what: string; at: number } | null;
}

export class LocalClusterProvider implements ChaosClusterProvider {
  readonly name: string;
  constructor(private readonly server: ServerKind) {
    this.name = `local-${server}`;
  }

  unsupported(mode: Mode): string | null {
    if (mode === 'durable') return 'the local backend has no transaction log; durable mode needs the lab cluster (memlab up)';
    if (!existsSync(PROXY_ENTRY)) return `${PROXY_ENTRY} is not built (run npx tsc -p .)`;
    if (this.server === 'redis' && !redisServerVersion()) return 'redis-server is not installed';
    if (this.server === 'engine' && !existsSync(CLI_ENTRY)) return `${CLI_ENTRY} is not built (run npx tsc -p .)`;
    if (this.server === 'engine' && !engineFlags().replicaof) return 'memlab server cannot replicate yet (no --replicaof); use --server redis for the reference run';
    return null;
  }

  up(req: ClusterRequest): Promise<ChaosCluster> {
    const why = this.unsupported(req.mode);
    if (why) return Promise.reject(new Error(why));
    return LocalCluster.start(req, this.server);
  }
}

export class LocalCluster implements ChaosCluster {
  readonly mode: Mode;
  readonly description: string;
  readonly nodes: readonly ClusterNode[];
  private readonly local: LocalNode[];
  /** Created once the nodes are up, so that their start-up does not count as being down. */
  private failover!: SentinelFailover;
  private announced: string;
  private readonly watchers = new Set<(p: PrimaryInfo) => void>();
  private readonly log: ClusterEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(
    private readonly req: ClusterRequest,
    private readonly server: ServerKind,
    private readonly t: Topology,
    private readonly proxy: ProxyProcess,
    local: LocalNode[],
  ) {
    this.mode = req.mode;
    this.local = local;
    this.nodes = local.map((n) => ({ id: n.id, az: n.az, kind: 'engine' as const }));
    this.announced = local[0].id;
    const version = server === 'redis' ? `redis-server ${redisServerVersion()}` : 'memlab server';
    this.description = `local: ${version} x${local.length} (${AZS.join(', ')}), delay line rtt ${req.rttMs} ms, supervisor with Sentinel's rules (down-after ${req.downAfterMs} ms)`;
  }

  static async start(req: ClusterRequest, server: ServerKind): Promise<LocalCluster> {
    mkdirSync(req.dir, { recursive: true });
    const taken = new Set<number>();
    const local: LocalNode[] = [];
    for (let i = 0; i < AZS.length; i++) {
      const id = `n${i + 1}`;
      const port = await allocatePort(i + 1, i + 1, taken);
      const dir = path.join(req.dir, id);
      mkdirSync(dir, { recursive: true });
      local.push({
        id,
        az: AZS[i],
        host: `127.0.${i + 1}.${i + 1}`,
        port,
        priority: req.priorities[id] ?? 100,
        dir,
        logFile: path.join(req.dir, `${id}.log`),
        proc: null,
        exited: Promise.resolve(),
        state: 'down',
        config: i === 0 ? null : 'n1',
        probe: null,
        probing: false,
        connecting: false,
        lastObs: null,
        lastCommand: null,
      });
    }
    const t = planTopology({
      azs: AZS,
      nodes: local.map((n) => ({ id: n.id, az: n.az, host: n.host, port: n.port })),
      latency: { rttMs: req.rttMs, jitterMs: req.jitterMs },
      clientAz: AZS[0],
    });
    const proxy = await spawnProxy({ entry: PROXY_ENTRY });
    const c = new LocalCluster(req, server, t, proxy, local);
    try {
      await proxy.client.addLinks(linkOptions(t));
      for (const n of local) c.spawnNode(n);
      await Promise.all(local.map((n) => c.waitReady(n, 10_000)));
      await c.waitInSync(10_000);
      c.failover = new SentinelFailover(
        c.announced,
        local.map((n) => n.id),
        { downAfterMs: req.downAfterMs, failoverTimeoutMs: req.failoverTimeoutMs, pingPeriodMs: req.probeIntervalMs },
        c.nowMs(),
      );
      c.timer = setInterval(() => c.supervise(), req.probeIntervalMs);
      c.emit('log', `cluster up: ${c.description}`);
      return c;
    } catch (e) {
      await c.down();
      throw e;
    }
  }

  private nowMs(): number {
    return this.req.clock() / 1000;
  }

  private emit(kind: ClusterEvent['kind'], message: string, node?: string): void {
    this.log.push({ at: this.req.clock(), kind, message, ...(node ? { node } : {}) });
  }

  private node(id: string): LocalNode {
    const n = this.local.find((x) => x.id === id);
    if (!n) throw new Error(`no engine node '${id}' (nodes: ${this.local.map((x) => x.id).join(', ')})`);
    return n;
  }

  /** `host port` a node dials to reach `target` (its own AZ's view of it). */
  private dialArgs(n: LocalNode, target: string): [string, string] {
    const e = peerEndpoint(this.t, n.id, target);
    return [e.host, String(e.port)];
  }

  private spawnNode(n: LocalNode): void {
    const fd = openSync(n.logFile, 'a');
    let cmd: string;
    let args: string[];
    if (this.server === 'redis') {
      cmd = 'redis-server';
      args = [
        '--port', String(n.port), '--bind', n.host, '--bind-source-addr', n.host, '--dir', n.dir,
        '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--daemonize', 'no',
        '--replica-priority', String(n.priority), '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0',
      ];
      if (n.config && n.config !== n.id) args.push('--replicaof', ...this.dialArgs(n, n.config));
    } else {
      const flags = engineFlags();
      cmd = process.execPath;
      args = [CLI_ENTRY, 'server', '--port', String(n.port), '--bind', n.host, '--name', n.id, '-c', `replica-priority=${n.priority}`, `dir=${n.dir}`];
      if (flags.sourceAddr) args.push('--source-addr', n.host);
      if (flags.exitWithParent) args.push('--exit-with-parent');
      if (n.config && n.config !== n.id) args.push('--replicaof', ...this.dialArgs(n, n.config));
    }
    // The engine exits when its stdin closes (--exit-with-parent): we hold the other end.
    const proc = spawn(cmd, args, { stdio: [this.server === 'engine' ? 'pipe' : 'ignore', fd, fd] });
    closeSync(fd);
    track(proc);
    n.proc = proc;
    n.state = 'up';
    n.exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.once('exit', () => {
      if (n.proc === proc) {
        n.proc = null;
        n.state = 'down';
      }
    });
  }

  private async waitReady(n: LocalNode, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const c = await RespConnection.connect({ host: n.host, port: n.port, timeoutMs: 500 });
        const r = await c.call(['PING'], 500);
        c.destroy();
        if (r === 'PONG') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || n.state === 'down') throw new Error(`${n.id} did not start within ${timeoutMs} ms (log: ${n.logFile})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Until every replica reports its link up: a round must not start before the replicas hold the data. */
  private async waitInSync(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const n of this.local.slice(1)) {
      for (;;) {
        const info = await this.info(n).catch(() => null);
        if (info?.master_link_status === 'up') break;
        if (Date.now() > deadline) throw new Error(`${n.id} did not finish its initial sync within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  private async info(n: LocalNode): Promise<Record<string, string>> {
    const c = await RespConnection.connect({ host: n.host, port: n.port, timeoutMs: 500 });
    try {
      const r = await c.call(['INFO', 'replication'], 1000);
      if (typeof r !== 'string') throw new Error(`INFO: ${String(r)}`);
      return parseInfo(r);
    } finally {
      c.destroy();
    }
  }

  // ---- supervisor ---------------------------------------------------------------------

  private supervise(): void {
    if (this.stopped) return;
    const now = this.nowMs();
    for (const n of this.local) this.probe(n);
    this.act(this.failover.tick(now));
  }

  private nodeAt(host: string, port: number): string | null {
    const m = /^127\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
    for (const n of this.local) {
      if (n.port !== port) continue;
      if (n.host === host) return n.id;
      const h = /^127\.0\.(\d+)\.(\d+)$/.exec(n.host);
      if (m && h && m[2] === h[1] && m[3] === h[2]) return n.id;
    }
    return null;
  }

  private probe(n: LocalNode): void {
    if (n.probing || n.connecting) return;
    const unreachable = () => {
      n.lastObs = { id: n.id, reachable: false };
      this.act(this.failover.observe(n.lastObs, this.nowMs()));
    };
    if (!n.probe || n.probe.closed) {
      n.connecting = true;
      const e = endpointFrom(this.t, SUPERVISOR_AZ, n.id);
      RespConnection.connect({ ...e, localAddress: SUPERVISOR_ADDR, timeoutMs: Math.max(100, this.req.downAfterMs / 2) })
        .then((c) => {
          n.probe = c;
        })
        .catch(unreachable)
        .finally(() => {
          n.connecting = false;
        });
      return;
    }
    n.probing = true;
    // Sentinel drops a link whose PING is pending for half of down-after and reconnects.
    n.probe
      .call(['INFO', 'replication'], Math.max(100, this.req.downAfterMs / 2))
      .then((r) => {
        if (this.stopped) return;
        if (typeof r !== 'string') return unreachable();
        const i = parseInfo(r);
        const role = i.role === 'master' ? 'master' : 'slave';
        const obs: NodeObservation = {
          id: n.id,
          reachable: true,
          role,
          offset: Number(role === 'master' ? i.master_repl_offset : i.slave_repl_offset) || 0,
          priority: i.slave_priority !== undefined ? Number(i.slave_priority) : n.priority,
        };
        if (role === 'slave') {
          obs.following = this.nodeAt(i.master_host ?? '', Number(i.master_port));
          const down = Number(i.master_link_down_since_seconds);
          obs.linkDownMs = i.master_link_status === 'up' || !(down > 0) ? 0 : down * 1000;
        }
        n.lastObs = obs;
        this.act(this.failover.observe(obs, this.nowMs()));
      })
      .catch(() => {
        if (!this.stopped) unreachable();
      })
      .finally(() => {
        n.probing = false;
      });
  }

  private act(actions: FailoverAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'log':
          this.emit('log', a.message);
          break;
        case 'promote':
          this.emit('promote', `promote ${a.node} (epoch ${a.epoch})`, a.node);
          this.sendSlaveOf(this.node(a.node), null);
          break;
        case 'replicaof':
          this.sendSlaveOf(this.node(a.node), a.primary);
          break;
        case 'switch-primary': {
          this.announced = a.to;
          this.emit('switch-primary', `+switch-master ${a.from} -> ${a.to} (epoch ${a.epoch})`, a.to);
          const p = this.primary();
          if (p) for (const w of this.watchers) w(p);
          break;
        }
      }
    }
  }

  /** Sentinel's sentinelSendSlaveOf: one MULTI block that also drops the node's clients. */
  private sendSlaveOf(n: LocalNode, primary: string | null): void {
    const what = primary ?? 'NO ONE';
    const now = this.nowMs();
    if (n.lastCommand && n.lastCommand.what === what && now - n.lastCommand.at < Math.max(1000, this.req.probeIntervalMs * 5)) return;
    n.lastCommand = { what, at: now };
    const target = primary ? this.dialArgs(n, primary) : ['NO', 'ONE'];
    if (primary) this.emit('replicaof', `${n.id} replicaof ${primary}`, n.id);
    const e = endpointFrom(this.t, SUPERVISOR_AZ, n.id);
    void (async () => {
      let c: RespConnection | null = null;
      try {
        c = await RespConnection.connect({ ...e, localAddress: SUPERVISOR_ADDR, timeoutMs: 500 });
        const calls = [
          c.call(['MULTI']),
          c.call(['REPLICAOF', ...target]),
          c.call(['CLIENT', 'KILL', 'TYPE', 'normal']),
          c.call(['EXEC'], 2000),
        ];
        const replies = await Promise.all(calls);
        const exec = replies[3];
        if (Array.isArray(exec) && !(exec[0] instanceof RespError)) n.config = primary;
        else this.emit('log', `${n.id}: REPLICAOF ${target.join(' ')} failed: ${String(exec)}`, n.id);
      } catch (err) {
        this.emit('log', `${n.id}: REPLICAOF ${target.join(' ')} not sent: ${(err as Error).message}`, n.id);
      } finally {
        c?.destroy();
      }
    })();
  }

  // ---- ChaosCluster -------------------------------------------------------------------

  primary(): PrimaryInfo | null {
    const n = this.node(this.announced);
    return { node: n.id, endpoint: this.endpointOf(n.id) };
  }

  onPrimaryChange(cb: (p: PrimaryInfo) => void): () => void {
    this.watchers.add(cb);
    return () => this.watchers.delete(cb);
  }

  endpointOf(node: string): Endpoint {
    const e = clientEndpoint(this.t, this.node(node).id);
    return { host: e.host, port: e.port };
  }

  running(): string[] {
    return this.local.filter((n) => n.state !== 'down').map((n) => n.id);
  }

  events(): ClusterEvent[] {
    return [...this.log];
  }

  async settled(): Promise<boolean> {
    if (this.failover.phaseName !== 'watching') return false;
    const p = this.node(this.announced).lastObs;
    if (!p?.reachable || p.role !== 'master') return false;
    for (const n of this.local) {
      if (n.id === this.announced || !n.lastObs?.reachable) continue;
      if (n.lastObs.role !== 'slave' || n.lastObs.following !== this.announced) return false;
    }
    return true;
  }

  private cutActions(n: LocalNode, from: CutPeer[]): LinkAction[] {
    const out: LinkAction[] = [];
    for (const peer of from) {
      if (peer === 'log') continue; // no log replicas here
      if (peer === 'supervisor') out.push({ link: linkId(SUPERVISOR_AZ, n.id), sources: [SUPERVISOR_ADDR] });
      else if (peer === 'clients') out.push(...separate(this.t, { node: n.id }, { clients: this.t.clientAz }));
      else if (peer === 'replicas') {
        for (const m of this.local) if (m.id !== n.id) out.push(...separate(this.t, { node: n.id }, { node: m.id }));
      } else if (peer === 'primary') {
        if (this.announced !== n.id) out.push(...separate(this.t, { node: n.id }, { node: this.announced }));
      } else out.push(...separate(this.t, { node: n.id }, { node: this.node(peer.node).id }));
    }
    return out;
  }

  async fault(f: Fault): Promise<void> {
    switch (f.kind) {
      case 'kill':
        for (const id of f.nodes) this.signal(this.node(id), 'SIGKILL');
        break;
      case 'crash': {
        // Black-hole the links first, then kill: whatever the kernel flushes for the dead process is dropped.
        const actions = f.nodes.flatMap((id) => isolate(this.t, this.node(id).id));
        await this.proxy.client.crash(actions);
        for (const id of f.nodes) this.signal(this.node(id), 'SIGKILL');
        break;
      }
      case 'pause':
        for (const id of f.nodes) {
          const n = this.node(id);
          if (n.state === 'up' && n.proc?.pid) {
            n.proc.kill('SIGSTOP');
            n.state = 'paused';
          }
        }
        break;
      case 'resume':
        for (const id of f.nodes) {
          const n = this.node(id);
          if (n.state === 'paused' && n.proc?.pid) {
            n.proc.kill('SIGCONT');
            n.state = 'up';
          }
        }
        break;
      case 'cut':
        for (const id of f.nodes) {
          const actions = this.cutActions(this.node(id), f.from);
          if (actions.length) await this.proxy.client.cut(actions);
        }
        break;
      case 'heal':
        await this.proxy.client.heal(this.t.links.map((l) => ({ link: l.id })));
        break;
      case 'restart':
        for (const id of f.nodes) {
          const n = this.node(id);
          if (n.proc) {
            if (n.state === 'paused') n.proc.kill('SIGCONT');
            n.proc.kill('SIGKILL');
            await n.exited;
          }
          // A restarted host answers old connections with a reset: lift the crash's black hole.
          await this.proxy.client.heal(isolate(this.t, n.id));
          // redis-server keeps nothing on disk here, so its restarts are always empty; the engine's dir is wiped for --empty.
          if (f.empty) {
            rmSync(n.dir, { recursive: true, force: true });
            mkdirSync(n.dir, { recursive: true });
          }
          this.spawnNode(n);
        }
        await Promise.all(f.nodes.map((id) => this.waitReady(this.node(id), 10_000)));
        break;
    }
  }

  private signal(n: LocalNode, sig: NodeJS.Signals): void {
    if (!n.proc) return;
    n.proc.kill(sig);
    if (sig === 'SIGKILL') n.state = 'down';
  }

  async down(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const n of this.local) {
      n.probe?.destroy();
      if (n.proc) {
        if (n.state === 'paused') n.proc.kill('SIGCONT');
        n.proc.kill('SIGKILL');
      }
    }
    await Promise.all(this.local.map((n) => n.exited));
    await this.proxy.stop();
  }
}
