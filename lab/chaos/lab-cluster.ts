/**
 * The lab cluster of `memlab up` (lab/cluster) behind chaos's own interface. One
 * supervisor per round, in this process (Supervisor.start, for its onEvent hook), with a
 * private state file in the round's temp dir so a user's `memlab up` is never touched.
 *
 * What the lab API lacks is filled in here and listed in docs/chaos.md ("requests to
 * lab/cluster"): per-node replica priorities are applied with CONFIG SET after start and
 * after each restart of that node; the failover timeout is not overridable.
 */
import path from 'node:path';
import { detectCapabilities } from '../cluster/caps.js';
import { DURABLE_UNAVAILABLE, Supervisor, resolveSpec } from '../cluster/index.js';
import type { FaultRequest } from '../cluster/faults.js';
import type { ChaosCluster, ChaosClusterProvider, ClusterEvent, ClusterNode, ClusterRequest, CutPeer, Endpoint, Fault, Mode, PrimaryInfo } from './cluster-api.js';
import { RespConnection, RespError } from './resp.js';

export class LabClusterProvider implements ChaosClusterProvider {
  readonly name = 'lab';
  private constructor(private readonly caps: { replicaofFlag: boolean; lognode: boolean }) {}

  static async create(): Promise<LabClusterProvider> {
    return new LabClusterProvider(await detectCapabilities());
  }

  unsupported(mode: Mode): string | null {
    if (mode === 'durable' && !this.caps.lognode) return DURABLE_UNAVAILABLE;
    if (mode !== 'durable' && !this.caps.replicaofFlag) return 'memlab server cannot replicate yet (no --replicaof): plain and wait mode need replication';
    return null;
  }

  async up(req: ClusterRequest): Promise<ChaosCluster> {
    const why = this.unsupported(req.mode);
    if (why) throw new Error(why);
    const spec = resolveSpec({ mode: req.mode, rttMs: req.rttMs, jitterMs: req.jitterMs, downAfterMs: req.downAfterMs, probeIntervalMs: req.probeIntervalMs });
    const log: ClusterEvent[] = [];
    let onSwitch: (() => void) | null = null;
    const sup = await Supervisor.start({
      spec,
      statePath: path.join(req.dir, 'state.json'),
      log: () => {},
      onEvent: (e) => {
        log.push({ at: req.clock(), kind: e.kind, message: e.message, ...(e.node ? { node: e.node } : {}) });
        if (e.kind === 'switch-primary') onSwitch?.();
      },
    });
    const c = new LabCluster(req, sup, log);
    onSwitch = () => c.announce();
    try {
      if (req.mode !== 'durable' && sup.state.warnings.some((w) => /replication is not available/.test(w))) {
        throw new Error('memlab server cannot replicate yet (REPLICAOF is an unknown command): plain and wait mode need replication');
      }
      await c.applyPriorities(c.nodes.filter((n) => n.kind === 'engine').map((n) => n.id));
    } catch (e) {
      await sup.stop();
      throw e;
    }
    return c;
  }
}

class LabCluster implements ChaosCluster {
  readonly mode: Mode;
  readonly description: string;
  readonly nodes: readonly ClusterNode[];
  private readonly watchers = new Set<(p: PrimaryInfo) => void>();

  constructor(
    private readonly req: ClusterRequest,
    private readonly sup: Supervisor,
    private readonly log: ClusterEvent[],
  ) {
    const s = sup.state;
    this.mode = req.mode;
    this.nodes = s.nodes.map((n) => ({ id: n.id, az: n.az, kind: n.kind }));
    const engines = s.nodes.filter((n) => n.kind === 'engine').length;
    const logs = s.nodes.length - engines;
    this.description = `lab: memlab server x${engines}${logs ? ` + lognode x${logs}` : ''} (${s.spec.azs.join(', ')}), ${s.net.backend} rtt ${req.rttMs} ms, supervisor down-after ${s.spec.supervisor.downAfterMs} ms`;
  }

  announce(): void {
    const p = this.primary();
    if (p) for (const w of this.watchers) w(p);
  }

  /** Replica priorities the scenario asks for, as CONFIG SET on the nodes (the profile has one config for all). */
  async applyPriorities(ids: string[]): Promise<void> {
    for (const id of ids) {
      const prio = this.req.priorities[id];
      if (prio === undefined) continue;
      const n = this.sup.state.nodes.find((x) => x.id === id)!;
      const conn = await RespConnection.connect({ host: n.host, port: n.port, timeoutMs: 1000 });
      try {
        const r = await conn.call(['CONFIG', 'SET', 'replica-priority', String(prio)], 2000);
        if (r instanceof RespError) throw new Error(`${id}: CONFIG SET replica-priority ${prio}: ${r.message}`);
      } finally {
        conn.destroy();
      }
    }
  }

  primary(): PrimaryInfo | null {
    const s = this.sup.state;
    if (!s.primary) return null;
    return { node: s.primary, endpoint: this.endpointOf(s.primary) };
  }

  onPrimaryChange(cb: (p: PrimaryInfo) => void): () => void {
    this.watchers.add(cb);
    return () => this.watchers.delete(cb);
  }

  endpointOf(node: string): Endpoint {
    const s = this.sup.state;
    const n = s.nodes.find((x) => x.id === node);
    if (!n) throw new Error(`no node '${node}'`);
    const v = n.views[s.clientAz] ?? { host: n.host, port: n.port };
    return { host: v.host, port: v.port };
  }

  private peers(target: string, from: CutPeer[]): string[] {
    const s = this.sup.state;
    const out: string[] = [];
    for (const p of from) {
      if (typeof p === 'object') out.push(p.node);
      else if (p === 'primary') {
        if (s.primary !== target) out.push(s.primary);
      } else if (p === 'replicas') out.push(...s.nodes.filter((n) => n.kind === 'engine' && n.id !== target).map((n) => n.id));
      else if (p === 'log') out.push(...s.nodes.filter((n) => n.kind === 'log').map((n) => n.id));
      else out.push(p);
    }
    return [...new Set(out)];
  }

  async fault(f: Fault): Promise<void> {
    const reqs: FaultRequest[] = [];
    if (f.kind === 'heal') reqs.push({ kind: 'heal' });
    else if (f.kind === 'cut') {
      for (const id of f.nodes) {
        const from = this.peers(id, f.from);
        if (from.length) reqs.push({ kind: 'cut', target: id, from });
      }
    } else if (f.kind === 'restart') reqs.push({ kind: 'restart', target: f.nodes, empty: f.empty });
    else reqs.push({ kind: f.kind, target: f.nodes });
    for (const r of reqs) await this.sup.fault(r);
    if (f.kind === 'restart') await this.applyPriorities(f.nodes.filter((id) => this.nodes.some((n) => n.id === id && n.kind === 'engine')));
  }

  settled(): Promise<boolean> {
    return Promise.resolve(this.sup.settled());
  }

  running(): string[] {
    return this.sup.running();
  }

  events(): ClusterEvent[] {
    return [...this.log];
  }

  down(): Promise<void> {
    return this.sup.stop();
  }
}
