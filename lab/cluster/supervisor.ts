/**
 * The supervisor of a lab cluster (what `memlab up` runs): starts the delay line and the
 * nodes, probes every engine node (PING + INFO replication each probe interval, from its own
 * address in its AZ, through that AZ's links), drives SentinelFailover in plain and wait mode
 * and performs its actions, serves a Sentinel endpoint and a control endpoint, applies
 * faults, keeps the state file current, and tears everything down on stop.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { spawnProxy, type ProxyProcess } from '../network/control.js';
import type { Endpoint } from '../network/delay-line.js';
import { execArgv, NetRunner, type Exec } from '../network/namespaces.js';
import { chooseBackend, type NetemSupport } from '../network/netem.js';
import { isolate, linkOptions } from '../network/topology.js';
import { detectCapabilities, DURABLE_UNAVAILABLE } from './caps.js';
import { ControlServer } from './control.js';
import { SentinelFailover, type FailoverAction, type NodeObservation } from './failover.js';
import { allLinks, cutActions, FAULT_KINDS, mergeActions, targetNodes, type FaultRequest, type FaultResult } from './faults.js';
import { replicationInfo, type ReplicationInfo } from './info.js';
import { netemClusterPlan, type NetemClusterPlan } from './netem-cluster.js';
import { PROXY_ENTRY, requireBuilt } from './paths.js';
import { allocatePorts, dialFrom, launchArgs, nodeAt, planCluster, type Capabilities, type ClusterPlan } from './plan.js';
import { identify, isAlive, signal, spawnMemlab, stopProcess, tail, waitGone, type Spawned } from './procs.js';
import type { ClusterSpec } from './profile.js';
import { RespClient, RespError } from './resp.js';
import { SentinelServer, type SentinelNode } from './sentinel.js';
import { readState, removeState, runDirFor, writeState, type ClusterState, type NodeState } from './state.js';
import { probeLinks, type ClusterStatus, type LinkProbeOptions, type NodeStatus } from './status.js';
import { processCpuMs } from '../metrics/process-cpu.js';

export class ClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}

export interface SupervisorOptions {
  spec: ClusterSpec;
  statePath: string;
  /** Progress and failover events (default: stderr). */
  log?: (line: string) => void;
  /** For tests: netem detection and the command runner. */
  detectNetem?: () => Promise<NetemSupport>;
  exec?: Exec;
  caps?: Capabilities;
  /** Keep the run directory (logs, data) on stop. */
  keepRunDir?: boolean;
  /** Failover steps and faults as they happen (chaos timestamps them). */
  onEvent?: (e: SupervisorEvent) => void;
}

export interface SupervisorEvent {
  kind: 'promote' | 'switch-primary' | 'replicaof' | 'log' | 'fault';
  node?: string;
  message: string;
}

/** What the supervisor knows about one engine node from its probes. */
interface Live {
  reachable: boolean;
  lastOkAt: number;
  info: ReplicationInfo | null;
  runId?: string;
  error?: string;
}

interface ProbeConn {
  client: RespClient | null;
  connecting: boolean;
}

// Generous: on a loaded 2-core machine a node process alone can take seconds to start.
const READY_TIMEOUT_MS = 30_000;
const REPLICAOF_RETRY_MS = 1000;

export class Supervisor {
  readonly state: ClusterState;
  private readonly children = new Map<string, Spawned>();
  private readonly probes = new Map<string, ProbeConn>();
  private readonly live = new Map<string, Live>();
  private readonly lastReplicaof = new Map<string, { what: string; at: number }>();
  private fo: SentinelFailover | null = null;
  private foStarted = false;
  private readonly lastObs = new Map<string, NodeObservation>();
  private readonly launchedAt = new Map<string, number>();
  private startedAt = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private replication = true;
  private readonly log: (line: string) => void;
  /** Resolves when the supervisor has stopped (by stop(), a control 'stop', or a signal). */
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;

  private constructor(
    private readonly opts: SupervisorOptions,
    readonly plan: ClusterPlan,
    private readonly caps: Capabilities,
    private readonly netKind: 'proxy' | 'none' | 'netem',
    private proxy: ProxyProcess | null,
    private readonly runner: NetRunner | null,
    private readonly netem: NetemClusterPlan | null,
    private readonly control: ControlServer,
    private readonly sentinel: SentinelServer,
    state: ClusterState,
  ) {
    this.state = state;
    this.log = opts.log ?? ((l) => process.stderr.write(l + '\n'));
    this.stopped = new Promise((r) => (this.resolveStopped = r));
  }

  /** Start a cluster; resolves once every node answers and replicas are attached. */
  static async start(opts: SupervisorOptions): Promise<Supervisor> {
    const { spec, statePath } = opts;
    const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
    requireBuilt();
    const existing = readState(statePath);
    if (existing) {
      const alive = isAlive({ pid: existing.supervisor.pid, startTime: existing.supervisor.startTime });
      throw new ClusterError(
        alive
          ? `a cluster is already running from ${statePath} (supervisor pid ${existing.supervisor.pid}); run memlab down first, or pass another --state`
          : `${statePath} is left from a cluster whose supervisor (pid ${existing.supervisor.pid}) is gone; run memlab down to clean it up`,
      );
    }
    if (spec.backend === 'docker') {
      const { startDockerCluster } = await import('./docker.js');
      await startDockerCluster(spec); // throws with the reason: no engine, or not wired for this run
    }
    const caps = opts.caps ?? (await detectCapabilities());
    if (spec.mode === 'durable' && !caps.lognode) throw new ClusterError(DURABLE_UNAVAILABLE);
    const choice = await chooseBackend(spec.net, opts.detectNetem);
    const netKind = choice.backend;
    log(`memlab up: network ${netKind} (${choice.reason})`);

    const runDir = runDirFor(statePath);
    // Fresh data and logs; the run directory itself may already hold a detached supervisor's log.
    for (const d of ['data', 'logs']) rmSync(path.join(runDir, d), { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    const ports = await allocatePorts(spec);
    let plan = planCluster(spec, runDir, ports);
    const exec = opts.exec ?? execArgv;
    let runner: NetRunner | null = null;
    let netem: NetemClusterPlan | null = null;
    if (netKind === 'netem') {
      netem = netemClusterPlan(plan, `ml-${process.pid.toString(36)}`);
      plan = netem.plan;
      runner = new NetRunner(exec);
    }

    const control = new ControlServer(async () => {
      throw new Error('starting');
    });
    const sentinel = new SentinelServer(() => sup.sentinelView());
    let proxy: ProxyProcess | null = null;
    let sup!: Supervisor;
    try {
      if (netKind === 'proxy') {
        proxy = await spawnProxy({ entry: PROXY_ENTRY, clock: spec.clock });
        await proxy.client.addLinks(linkOptions(plan.topology));
      }
      if (runner && netem) await runner.run(netem.steps);
      const controlEp = await control.listen('127.0.0.1', 0);
      const sentinelEp = await sentinel.listen(netKind === 'netem' ? '127.0.0.1' : plan.supervisorHost, 0);
      const state = initialState(plan, statePath, netKind, choice.reason, controlEp, sentinelEp, proxy, runner);
      sup = new Supervisor(opts, plan, caps, netKind, proxy, runner, netem, control, sentinel, state);
      control.handler = (cmd, args) => sup.handle(cmd, args);
      sup.save();
      await sup.launchAll();
    } catch (e) {
      if (sup) await sup.stop();
      else {
        await proxy?.stop();
        await runner?.teardown();
        await control.close();
        await sentinel.close();
        rmSync(runDir, { recursive: true, force: true });
      }
      throw e;
    }
    return sup;
  }

  // ---------------------------------------------------------------- start

  private async launchAll(): Promise<void> {
    const { plan } = this;
    // Log replicas first (durable engine nodes dial them), then every engine node at once.
    await Promise.all(plan.nodes.filter((n) => n.kind === 'log').map((n) => this.launch(n.id)));
    const engines = plan.nodes.filter((n) => n.kind === 'engine');
    if (this.state.mode === 'durable') {
      // The log elects whoever campaigns first: start n1 alone until it writes, so the primary starts in the first AZ.
      await this.launch(engines[0].id);
      await this.waitWriter(engines[0].id);
      await Promise.all(engines.slice(1).map((n) => this.launch(n.id)));
    } else {
      await Promise.all(engines.map((n) => this.launch(n.id)));
    }
    if (this.state.mode !== 'durable') await this.attachReplicas();
    for (const n of plan.nodes) if (n.kind === 'engine') this.probes.set(n.id, { client: null, connecting: false });
    const now = Date.now();
    this.startedAt = now;
    for (const n of plan.nodes) if (n.kind === 'engine') this.live.set(n.id, { reachable: true, lastOkAt: now, info: null });
    if (this.state.mode !== 'durable' && this.replication) {
      const engines = plan.nodes.filter((n) => n.kind === 'engine').map((n) => n.id);
      const s = this.state.spec.supervisor;
      this.fo = new SentinelFailover(plan.primary, engines, { downAfterMs: s.downAfterMs, failoverTimeoutMs: s.failoverTimeoutMs, pingPeriodMs: s.probeIntervalMs }, now);
    }
    this.timer = setInterval(() => this.round(), this.state.spec.supervisor.probeIntervalMs);
    this.round();
    await this.waitAttached();
    this.state.ready = true;
    this.save();
  }

  /** Start (or restart) one node and wait until it answers. */
  private async launch(id: string): Promise<void> {
    const node = this.node(id);
    const args = launchArgs(this.plan, id, { replicaof: node.kind === 'engine' ? node.replicaof : null, net: this.netKind, caps: this.caps });
    const prefix = this.netem?.prefix(id);
    const sp = spawnMemlab(args, node.logFile, prefix ? { prefix } : {});
    this.children.set(id, sp);
    node.pid = sp.id.pid;
    node.startTime = sp.id.startTime;
    node.args = args;
    node.status = 'running';
    sp.exited.then(({ code, signal: sig }) => {
      if (this.children.get(id) !== sp || this.stopping) return;
      if (node.status === 'running' || node.status === 'paused') {
        node.status = 'exited';
        this.log(`memlab: ${id} (pid ${sp.id.pid}) exited unexpectedly (${sig ?? `code ${code}`}); see ${node.logFile}`);
        if (!this.stopping) this.save();
      }
    });
    this.save();
    if (node.kind === 'engine') await this.waitPing(id, sp);
    else await this.waitListening(id, sp);
    this.launchedAt.set(id, Date.now());
  }

  private async waitPing(id: string, sp: Spawned): Promise<void> {
    const node = this.node(id);
    const end = Date.now() + READY_TIMEOUT_MS;
    let exited = false;
    void sp.exited.then(() => (exited = true));
    for (;;) {
      if (exited) throw new ClusterError(`${id} exited at start; its log (${node.logFile}) ends with:\n${tail(node.logFile)}`);
      try {
        const c = await RespClient.connect({ host: node.host, port: node.port }, { timeoutMs: 500 });
        try {
          if ((await c.callTimeout(['PING'], 1000)) === 'PONG') return;
        } finally {
          c.close();
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > end) throw new ClusterError(`${id} did not answer PING within ${READY_TIMEOUT_MS} ms; see ${node.logFile}:\n${tail(node.logFile)}`);
      await sleep(30);
    }
  }

  private async waitListening(id: string, sp: Spawned): Promise<void> {
    const node = this.node(id);
    const end = Date.now() + READY_TIMEOUT_MS;
    let exited = false;
    void sp.exited.then(() => (exited = true));
    const net = await import('node:net');
    for (;;) {
      if (exited) throw new ClusterError(`${id} exited at start; its log (${node.logFile}) ends with:\n${tail(node.logFile)}`);
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: node.host, port: node.port });
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > end) throw new ClusterError(`${id} did not listen within ${READY_TIMEOUT_MS} ms; see ${node.logFile}:\n${tail(node.logFile)}`);
      await sleep(30);
    }
  }

  /** Durable mode: until `id` reports itself master (it won the log's election), or READY_TIMEOUT_MS. */
  private async waitWriter(id: string): Promise<void> {
    const n = this.node(id);
    const end = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < end) {
      try {
        const c = await RespClient.connect({ host: n.host, port: n.port }, { timeoutMs: 1000 });
        try {
          const r = await c.callTimeout(['INFO', 'replication'], 1000);
          if (typeof r === 'string' && replicationInfo(r).role === 'master') return;
        } finally {
          c.close();
        }
      } catch {
        // not answering yet
      }
      await sleep(50);
    }
    const w = `${id} did not become the log's writer within ${READY_TIMEOUT_MS} ms`;
    this.state.warnings.push(w);
    this.log(`memlab up: warning: ${w}`);
  }

  /** Without --replicaof at start, point replicas at the primary with REPLICAOF. */
  private async attachReplicas(): Promise<void> {
    if (this.caps.replicaofFlag) return;
    for (const n of this.plan.nodes) {
      if (n.kind !== 'engine' || n.id === this.state.primary) continue;
      const p = dialFrom(this.plan, this.netKind, n.az, this.state.primary);
      const c = await RespClient.connect({ host: n.host, port: n.port }, { timeoutMs: 1000 });
      try {
        const r = await c.callTimeout(['REPLICAOF', p.host, String(p.port)], 2000);
        if (r instanceof RespError) {
          if (/unknown command/i.test(r.message)) {
            this.replication = false;
            const w = 'replication is not available in this build (REPLICAOF is an unknown command): replicas run standalone and no failover happens';
            this.state.warnings.push(w);
            this.log(`memlab up: warning: ${w}`);
            return;
          }
          throw new ClusterError(`REPLICAOF on ${n.id} failed: ${r.message}`);
        }
      } finally {
        c.close();
      }
    }
  }

  /** Wait until every replica reports a live link to the primary (plain/wait). */
  private async waitAttached(): Promise<void> {
    const end = Date.now() + READY_TIMEOUT_MS;
    // Ready means the supervisor has heard every engine node once: status has roles from the start.
    const engines = this.plan.nodes.filter((n) => n.kind === 'engine');
    while (Date.now() < end && !engines.every((n) => this.live.get(n.id)?.info)) await sleep(25);
    if (this.state.mode === 'durable' || !this.replication) return;
    const replicas = this.plan.nodes.filter((n) => n.kind === 'engine' && n.id !== this.state.primary);
    while (Date.now() < end) {
      const ok = replicas.every((n) => {
        const i = this.live.get(n.id)?.info;
        return i?.role === 'slave' && i.linkUp === true && nodeAt(this.plan, i.masterHost ?? '', i.masterPort ?? 0) === this.state.primary;
      });
      if (ok) return;
      await sleep(25);
    }
    const w = `replicas did not all report a live link to ${this.state.primary} within ${READY_TIMEOUT_MS} ms`;
    this.state.warnings.push(w);
    this.log(`memlab up: warning: ${w}`);
  }

  // ---------------------------------------------------------------- probing and failover

  private round(): void {
    if (this.stopping) return;
    const now = Date.now();
    for (const id of this.probes.keys()) this.probeNode(id);
    if (this.fo && this.foStarted) this.perform(this.fo.tick(now));
    this.refreshRoles(now);
  }

  private probeEndpoint(id: string): Endpoint {
    return dialFrom(this.plan, this.netKind, this.state.spec.supervisor.az, id);
  }

  private probeNode(id: string): void {
    const pc = this.probes.get(id)!;
    const s = this.state.spec.supervisor;
    if (pc.connecting) return;
    const c = pc.client;
    if (!c || c.closed) {
      pc.client = null;
      pc.connecting = true;
      RespClient.connect(this.probeEndpoint(id), { localAddress: this.netKind === 'netem' ? undefined : this.plan.supervisorHost, timeoutMs: s.downAfterMs })
        .then((cl) => {
          if (this.stopping) cl.close();
          else pc.client = cl;
        })
        .catch((e: Error) => this.observe(id, false, null, e.message))
        .finally(() => (pc.connecting = false));
      return;
    }
    if (c.inFlight > 0) {
      // Sentinel drops a link whose PING is unanswered for half of down-after and redials.
      if (c.oldestPendingMs() > s.downAfterMs / 2) c.close();
      return;
    }
    Promise.all([c.call(['PING']), c.call(['INFO', 'replication'])]).then(
      ([pong, info]) => {
        const valid = pong === 'PONG' || (pong instanceof RespError && /^(LOADING|MASTERDOWN)/.test(pong.message));
        this.observe(id, valid, typeof info === 'string' ? replicationInfo(info) : null, valid ? undefined : String(pong instanceof RespError ? pong.message : pong));
      },
      (e: Error) => this.observe(id, false, null, e.message),
    );
  }

  private observe(id: string, reachable: boolean, info: ReplicationInfo | null, error?: string): void {
    if (this.stopping) return;
    const now = Date.now();
    const l = this.live.get(id)!;
    l.reachable = reachable;
    if (reachable) {
      l.lastOkAt = now;
      l.info = info;
      delete l.error;
    } else if (error) l.error = error;
    if (!this.fo) return;
    const obs: NodeObservation = { id, reachable };
    this.lastObs.set(id, obs);
    if (reachable && info) {
      obs.role = info.role;
      obs.offset = info.offset;
      if (info.priority !== undefined) obs.priority = info.priority;
      if (info.role === 'slave') {
        obs.following = info.masterHost !== undefined && info.masterPort !== undefined ? nodeAt(this.plan, info.masterHost, info.masterPort) : null;
        if (info.linkDownMs !== undefined) obs.linkDownMs = info.linkDownMs;
      }
    }
    if (!this.foStarted) {
      // Sentinel's rules act on what the nodes say: wait until each has said something once.
      if (this.lastObs.size < this.probes.size && now - this.startedAt < this.state.spec.supervisor.downAfterMs) return;
      this.foStarted = true;
      // Feed them all first: actions computed from a half-updated picture would be wrong.
      for (const o of this.lastObs.values()) this.fo.observe(o, now);
      this.perform(this.fo.tick(now));
      return;
    }
    this.perform(this.fo.observe(obs, now));
  }

  private perform(actions: FailoverAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'log': {
          this.log(`memlab supervisor: ${a.message}`);
          const [channel, ...rest] = a.message.split(' ');
          this.sentinel.publish(channel, rest.join(' '));
          this.emit({ kind: 'log', message: a.message });
          break;
        }
        case 'promote':
          this.emit({ kind: 'promote', node: a.node, message: `promote ${a.node} (epoch ${a.epoch})` });
          this.sendSlaveOf(a.node, null);
          break;
        case 'replicaof':
          this.sendSlaveOf(a.node, a.primary);
          break;
        case 'switch-primary': {
          const old = this.clientView(a.from);
          this.state.primary = a.to;
          this.state.primaryAz = this.node(a.to).az;
          this.state.endpoint = this.clientView(a.to);
          this.state.failovers.push({ at: new Date().toISOString(), from: a.from, to: a.to, epoch: a.epoch });
          const nu = this.state.endpoint;
          const msg = `${this.state.spec.supervisor.masterName} ${old.host} ${old.port} ${nu.host} ${nu.port}`;
          this.log(`memlab supervisor: +switch-master ${msg} (${a.from} -> ${a.to}, epoch ${a.epoch})`);
          this.sentinel.publish('+switch-master', msg);
          this.emit({ kind: 'switch-primary', node: a.to, message: `+switch-master ${a.from} -> ${a.to} (epoch ${a.epoch})` });
          this.save();
          break;
        }
      }
    }
  }

  /**
   * Sentinel's sentinelSendSlaveOf: MULTI, REPLICAOF, CLIENT KILL TYPE normal (clients
   * reconnect and ask Sentinel again), EXEC, on its own connection from the supervisor's
   * address through its AZ's link. Remembered as the node's config (CONFIG REWRITE).
   */
  private sendSlaveOf(id: string, primary: string | null): void {
    const what = primary ?? 'NO ONE';
    const last = this.lastReplicaof.get(id);
    const now = Date.now();
    const gap = Math.max(REPLICAOF_RETRY_MS, this.state.spec.supervisor.probeIntervalMs * 5);
    if (last && last.what === what && now - last.at < gap) return;
    this.lastReplicaof.set(id, { what, at: now });
    const n = this.node(id);
    const target = primary ? dialFrom(this.plan, this.netKind, n.az, primary) : null;
    const argv = target ? ['REPLICAOF', target.host, String(target.port)] : ['REPLICAOF', 'NO', 'ONE'];
    if (primary) this.emit({ kind: 'replicaof', node: id, message: `${id} replicaof ${primary}` });
    this.log(`memlab supervisor: ${id}: ${argv.join(' ')}${primary ? ` (${primary})` : ''}`);
    const timeout = Math.max(500, this.state.spec.supervisor.downAfterMs / 2);
    void (async () => {
      let c: RespClient | null = null;
      try {
        c = await RespClient.connect(this.probeEndpoint(id), { localAddress: this.netKind === 'netem' ? undefined : this.plan.supervisorHost, timeoutMs: timeout });
        const replies = await Promise.all([c.call(['MULTI']), c.call(argv), c.call(['CLIENT', 'KILL', 'TYPE', 'normal']), c.callTimeout(['EXEC'], timeout)]);
        const exec = replies[3];
        if (Array.isArray(exec) && !(exec[0] instanceof RespError)) {
          n.replicaof = primary;
          if (!this.stopping) this.save();
        } else this.log(`memlab supervisor: ${id}: ${argv.join(' ')} failed: ${exec instanceof RespError ? exec.message : JSON.stringify(exec)}`);
      } catch (e) {
        this.log(`memlab supervisor: ${id}: ${argv.join(' ')} not sent: ${(e as Error).message}`);
      } finally {
        c?.close();
      }
    })();
  }

  /** Roles in the state file follow what the nodes report; written only on change. */
  private refreshRoles(now: number): void {
    let changed = false;
    const downAfter = this.state.spec.supervisor.downAfterMs;
    for (const n of this.state.nodes) {
      if (n.kind !== 'engine') continue;
      const l = this.live.get(n.id);
      if (!l) continue;
      let role: NodeState['role'] = n.role;
      if (now - l.lastOkAt > downAfter) role = 'down';
      else if (l.reachable && l.info) role = l.info.role === 'master' ? 'primary' : 'replica';
      if (role !== n.role) {
        n.role = role;
        changed = true;
      }
    }
    if (this.state.mode === 'durable') {
      // The log elects: the primary is whichever node says it is master.
      const masters = this.state.nodes.filter((n) => n.kind === 'engine' && n.role === 'primary');
      if (masters.length === 1 && masters[0].id !== this.state.primary) {
        const from = this.state.primary;
        this.state.primary = masters[0].id;
        this.state.primaryAz = masters[0].az;
        this.state.endpoint = this.clientView(masters[0].id);
        this.state.failovers.push({ at: new Date().toISOString(), from, to: masters[0].id, epoch: 0 });
        const old = this.clientView(from);
        const nu = this.state.endpoint;
        this.sentinel.publish('+switch-master', `${this.state.spec.supervisor.masterName} ${old.host} ${old.port} ${nu.host} ${nu.port}`);
        this.emit({ kind: 'switch-primary', node: masters[0].id, message: `${masters[0].id} serves as primary (was ${from}): the log elected it` });
        changed = true;
      }
    }
    if (changed) this.save();
  }

  private clientView(id: string): Endpoint {
    return dialFrom(this.plan, this.netKind, this.state.clientAz, id);
  }

  sentinelView() {
    const s = this.state;
    const now = Date.now();
    const mk = (id: string): SentinelNode => {
      const l = this.live.get(id);
      const v = this.clientView(id);
      const n: SentinelNode = { id, host: v.host, port: v.port, down: !l || now - l.lastOkAt > s.spec.supervisor.downAfterMs };
      if (l?.info) {
        n.offset = l.info.offset;
        if (l.info.linkUp !== undefined) n.linkUp = l.info.linkUp;
        if (l.info.priority !== undefined) n.priority = l.info.priority;
      }
      return n;
    };
    return {
      masterName: s.spec.supervisor.masterName,
      primary: mk(s.primary),
      replicas: s.nodes.filter((n) => n.kind === 'engine' && n.id !== s.primary).map((n) => mk(n.id)),
      epoch: this.fo?.currentEpoch ?? 0,
      downAfterMs: s.spec.supervisor.downAfterMs,
      failoverTimeoutMs: s.spec.supervisor.failoverTimeoutMs,
    };
  }

  // ---------------------------------------------------------------- faults

  async fault(req: FaultRequest): Promise<FaultResult> {
    if (this.stopping) throw new ClusterError('the cluster is stopping');
    if (!FAULT_KINDS.includes(req.kind)) throw new ClusterError(`unknown fault '${String(req.kind)}' (known: ${FAULT_KINDS.join(', ')})`);
    const t = this.plan.topology;
    const targets = (Array.isArray(req.target) ? req.target : (req.target ?? '').split(',')).map((x) => x.trim()).filter(Boolean);
    if (!targets.length && req.kind !== 'heal') throw new ClusterError(`fault ${req.kind} needs a node or an AZ`);
    const nodes = [...new Set(targets.flatMap((x) => targetNodes(t, x)))];
    if (req.from?.length && !['cut', 'heal'].includes(req.kind)) throw new ClusterError(`--from applies to cut and heal, not ${req.kind}`);
    if (req.empty && req.kind !== 'restart') throw new ClusterError('--empty applies to restart');
    const needsLinks = req.kind === 'cut' || req.kind === 'heal' || req.kind === 'crash';
    if (needsLinks && this.netKind !== 'proxy') {
      throw new ClusterError(
        this.netKind === 'none'
          ? `${req.kind} is unavailable with --net none: there are no links to ${req.kind === 'crash' ? 'drop in-flight data on' : 'cut'}; start the cluster with --net proxy (kill, pause, resume and restart work)`
          : `${req.kind} is not available with the netem backend in this build (the delay line does cuts); use --net proxy`,
      );
    }
    const sup = { az: this.state.spec.supervisor.az, host: this.plan.supervisorHost };
    const label = targets.join(',');
    const res: FaultResult = { kind: req.kind, target: label || 'all', nodes, links: [], pids: [], message: '' };
    const proxy = this.proxy;
    const at = new Date().toISOString();
    const running = (id: string) => {
      const n = this.node(id);
      return n.pid !== null && isAlive({ pid: n.pid, startTime: n.startTime }) ? n : null;
    };
    switch (req.kind) {
      case 'kill':
        for (const id of nodes) {
          const n = running(id);
          if (!n) continue;
          n.status = 'killed';
          signal({ pid: n.pid!, startTime: n.startTime }, 'SIGKILL');
          res.pids.push(n.pid!);
        }
        res.message = res.pids.length ? `killed ${nodes.join(', ')} (SIGKILL to ${res.pids.join(', ')})` : `${nodes.join(', ')}: no running process to kill`;
        break;
      case 'crash': {
        const actions = mergeActions(t, nodes.flatMap((id) => isolate(t, id)));
        const procs = nodes.map(running).filter((n): n is NodeState => n !== null);
        // Links first, the kill right behind: what the dying process's kernel still flushes lands in a black hole.
        await proxy!.client.crash(actions);
        for (const n of procs) {
          n.status = 'crashed';
          signal({ pid: n.pid!, startTime: n.startTime }, 'SIGKILL');
          res.pids.push(n.pid!);
        }
        res.links = actions;
        for (const id of nodes) this.state.faults.push({ kind: 'crash', target: id, from: [], at });
        res.message = `crashed ${nodes.join(', ')}: ${actions.length} links black-holed (in-flight data dropped), SIGKILL to ${res.pids.join(', ') || 'nothing running'}`;
        break;
      }
      case 'pause':
      case 'resume':
        for (const id of nodes) {
          const n = running(id);
          if (!n) continue;
          signal({ pid: n.pid!, startTime: n.startTime }, req.kind === 'pause' ? 'SIGSTOP' : 'SIGCONT');
          n.status = req.kind === 'pause' ? 'paused' : 'running';
          res.pids.push(n.pid!);
        }
        res.message = `${req.kind === 'pause' ? 'paused (SIGSTOP)' : 'resumed (SIGCONT)'} ${nodes.join(', ')}${res.pids.length ? '' : ': no running process'}`;
        break;
      case 'cut': {
        const actions = mergeActions(t, targets.flatMap((x) => cutActions(t, x, req.from, sup)));
        await proxy!.client.cut(actions);
        res.links = actions;
        for (const x of targets) this.state.faults.push({ kind: 'cut', target: x, from: req.from ?? [], at });
        res.message = `cut ${label} from ${req.from?.length ? req.from.join(', ') : 'everything'}: ${actions.length} links`;
        break;
      }
      case 'heal': {
        const actions = targets.length ? mergeActions(t, targets.flatMap((x) => cutActions(t, x, req.from, sup))) : allLinks(t);
        await proxy!.client.heal(actions);
        res.links = actions;
        this.state.faults = targets.length ? this.state.faults.filter((f) => !(targets.includes(f.target) && (!req.from?.length || sameSet(f.from, req.from)))) : [];
        res.message = `healed ${label || 'every link'}${req.from?.length ? ` from ${req.from.join(', ')}` : ''}: ${actions.length} links`;
        break;
      }
      case 'restart':
        for (const id of nodes) {
          const n = this.node(id);
          const old = n.pid !== null ? { pid: n.pid, startTime: n.startTime } : null;
          n.status = 'killed';
          if (old && isAlive(old)) await stopProcess(old, 2000);
          if (req.empty) rmSync(n.dataDir, { recursive: true, force: true });
          mkdirSync(n.dataDir, { recursive: true });
          if (proxy && this.state.faults.some((f) => f.kind === 'crash' && f.target === id)) {
            // A restarted host answers old connections with RST: heal resets the doomed ones.
            await proxy.client.heal(isolate(t, id));
            this.state.faults = this.state.faults.filter((f) => !(f.kind === 'crash' && f.target === id));
          }
          n.restarts++;
          await this.launch(id);
          res.pids.push(n.pid!);
          await this.reattach(id);
        }
        res.message = `restarted ${nodes.join(', ')}${req.empty ? ' empty (data directory wiped)' : ' with its data directory'}: pid ${res.pids.join(', ')}`;
        break;
    }
    this.log(`memlab fault: ${res.message}`);
    this.emit({ kind: 'fault', message: res.message, ...(nodes.length === 1 ? { node: nodes[0] } : {}) });
    this.save();
    return res;
  }

  /**
   * Without --replicaof, a restarted engine node comes up standalone: give it the REPLICAOF
   * its rewritten config would have carried (Sentinel then re-points it as it sees fit).
   */
  private async reattach(id: string): Promise<void> {
    const n = this.node(id);
    if (n.kind !== 'engine' || this.state.mode === 'durable' || !this.replication || this.caps.replicaofFlag || !n.replicaof) return;
    const p = dialFrom(this.plan, this.netKind, n.az, n.replicaof);
    const c = await RespClient.connect({ host: n.host, port: n.port }, { timeoutMs: 1000 });
    try {
      await c.callTimeout(['REPLICAOF', p.host, String(p.port)], 2000);
    } finally {
      c.close();
    }
  }

  /** No failover in progress, the primary answers as master, every reachable engine node follows it. */
  settled(): boolean {
    if (this.fo && this.fo.phaseName !== 'watching') return false;
    const now = Date.now();
    // Silent for less than down-after: still counted (a probe connection may just have been killed).
    const fresh = this.state.spec.supervisor.downAfterMs;
    const p = this.live.get(this.state.primary);
    if (!p || !p.reachable || now - p.lastOkAt > fresh || p.info?.role !== 'master') return false;
    for (const n of this.state.nodes) {
      if (n.kind !== 'engine' || n.id === this.state.primary || this.state.mode === 'durable') continue;
      const l = this.live.get(n.id);
      const launched = this.launchedAt.get(n.id) ?? 0;
      // Started again but not heard from yet: not settled, unless it stays silent past down-after (then it counts as unreachable).
      if (n.status === 'running' && (!l || l.lastOkAt < launched) && now - launched < this.state.spec.supervisor.downAfterMs) return false;
      if (!l || !l.reachable || now - l.lastOkAt > fresh) continue;
      const i = l.info;
      if (i?.role !== 'slave' || nodeAt(this.plan, i.masterHost ?? '', i.masterPort ?? 0) !== this.state.primary || i.linkUp !== true) return false;
    }
    return true;
  }

  /** Engine nodes whose process is alive (paused ones included). */
  running(): string[] {
    return this.state.nodes.filter((n) => n.kind === 'engine' && n.pid !== null && (n.status === 'running' || n.status === 'paused') && isAlive({ pid: n.pid, startTime: n.startTime })).map((n) => n.id);
  }

  private emit(e: SupervisorEvent): void {
    this.opts.onEvent?.(e);
  }

  // ---------------------------------------------------------------- status

  /** Live roles, offsets, lag; with `probe`, the achieved round trip of every link. */
  async status(opts: { probe?: boolean } & LinkProbeOptions = {}): Promise<ClusterStatus> {
    const s = this.state;
    const primaryInfo = this.live.get(s.primary)?.info;
    const nodes: NodeStatus[] = s.nodes.map((n) => {
      const l = this.live.get(n.id);
      const alive = n.pid !== null && isAlive({ pid: n.pid, startTime: n.startTime });
      const i = l?.info;
      const fresh = !!l && l.reachable && Date.now() - l.lastOkAt <= this.state.spec.supervisor.downAfterMs;
      const role: NodeState['role'] = fresh && i ? (i.role === 'master' ? 'primary' : 'replica') : n.role;
      const ns: NodeStatus = { id: n.id, kind: n.kind, az: n.az, role, process: alive ? n.status : n.status === 'running' ? 'exited' : n.status, pid: n.pid, cpuMs: alive ? processCpuMs(n.pid!) : null, reachable: l?.reachable ?? null };
      if (i) {
        ns.offset = i.offset;
        if (i.role === 'slave') {
          ns.following = nodeAt(this.plan, i.masterHost ?? '', i.masterPort ?? 0);
          ns.linkUp = i.linkUp ?? false;
          if (primaryInfo && n.id !== s.primary) ns.lagBytes = Math.max(0, primaryInfo.offset - i.offset);
          const line = primaryInfo?.replicas.find((r) => nodeAt(this.plan, r.ip, r.port) === n.id || r.ip === n.host);
          if (line) ns.lagSeconds = line.lag;
        }
        if (Object.keys(i.log).length) ns.log = i.log;
      }
      if (l?.error) ns.error = l.error;
      return ns;
    });
    let proxyStats = null;
    if (this.proxy) {
      try {
        proxyStats = await this.proxy.client.stats();
      } catch {
        proxyStats = null;
      }
    }
    const reachable = new Set(nodes.filter((n) => n.kind === 'engine' && n.reachable && n.process === 'running').map((n) => n.id));
    const links = opts.probe ? await probeLinks(s, reachable, opts, proxyStats?.links) : [];
    return {
      mode: s.mode,
      ready: s.ready,
      primary: s.primary,
      endpoint: s.endpoint,
      sentinel: s.sentinel,
      net: s.net.backend,
      supervisor: { pid: s.supervisor.pid, alive: true, control: s.supervisor.control, cpuMs: processCpuMs(process.pid) },
      proxy: s.proxy ? { pid: s.proxy.pid, alive: !!proxyStats, cpuUs: proxyStats ? proxyStats.process.cpu.user + proxyStats.process.cpu.system : null } : null,
      failoverPhase: this.fo?.phaseName ?? null,
      nodes,
      links,
      faults: s.faults,
      failovers: s.failovers,
      warnings: s.warnings,
    };
  }

  // ---------------------------------------------------------------- control, state, stop

  async handle(cmd: string, args: Record<string, unknown>): Promise<unknown> {
    switch (cmd) {
      case 'ping':
        return 'pong';
      case 'state':
        return this.state;
      case 'status':
        return this.status(args as { probe?: boolean });
      case 'fault':
        return this.fault(args as unknown as FaultRequest);
      case 'stop':
        if (args.keepRunDir === true) this.opts.keepRunDir = true;
        setImmediate(() => void this.stop());
        return null;
      default:
        throw new Error(`unknown command '${cmd}' (ping, state, status, fault, stop)`);
    }
  }

  private node(id: string): NodeState {
    const n = this.state.nodes.find((x) => x.id === id);
    if (!n) throw new ClusterError(`no node '${id}'`);
    return n;
  }

  private save(): void {
    writeState(this.opts.statePath, this.state);
  }

  /** Stop everything this supervisor started and remove what it created. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      for (const p of this.probes.values()) p.client?.close();
      await Promise.all(
        this.state.nodes.map(async (n) => {
          if (n.pid === null) return;
          if (n.status !== 'killed' && n.status !== 'crashed') n.status = 'killed';
          await stopProcess({ pid: n.pid, startTime: n.startTime }, 1500);
        }),
      );
      // Children exit on their own when our pipes close; wait for the ones we spawned.
      for (const sp of this.children.values()) {
        sp.child.stdin?.destroy();
        await waitGone(sp.id, 2000);
      }
      await this.proxy?.stop();
      const errors = (await this.runner?.teardown()) ?? [];
      for (const e of errors) this.log(`memlab down: could not undo ${e}`);
      await this.sentinel.close();
      await this.control.close();
      const cur = readState(this.opts.statePath);
      if (cur && cur.supervisor.pid === this.state.supervisor.pid && cur.supervisor.control.port === this.state.supervisor.control.port) removeState(this.opts.statePath);
      if (!this.opts.keepRunDir) rmSync(this.state.runDir, { recursive: true, force: true });
      this.resolveStopped();
    })();
    return this.stopping;
  }
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function initialState(
  plan: ClusterPlan,
  statePath: string,
  netKind: 'proxy' | 'none' | 'netem',
  reason: string,
  control: Endpoint,
  sentinel: Endpoint,
  proxy: ProxyProcess | null,
  runner: NetRunner | null,
): ClusterState {
  const { spec } = plan;
  const now = new Date().toISOString();
  const primaryNode = plan.nodes.find((n) => n.id === plan.primary)!;
  return {
    version: 1,
    name: path.basename(statePath),
    mode: spec.mode,
    backend: spec.backend,
    ready: false,
    startedAt: now,
    updatedAt: now,
    statePath: path.resolve(statePath),
    runDir: plan.runDir,
    spec,
    net: { backend: netKind, reason, created: runner?.created ?? [] },
    endpoint: dialFrom(plan, netKind, spec.clientAz, plan.primary),
    clientAz: spec.clientAz,
    primary: plan.primary,
    primaryAz: primaryNode.az,
    sentinel: { ...sentinel, masterName: spec.supervisor.masterName },
    proxy: proxy ? { pid: proxy.pid, startTime: identify(proxy.pid).startTime, control: proxy.control } : null,
    supervisor: { pid: process.pid, startTime: identify(process.pid).startTime, control, az: spec.supervisor.az, address: plan.supervisorHost },
    nodes: plan.nodes.map((n) => ({
      id: n.id,
      kind: n.kind,
      az: n.az,
      role: n.role,
      host: n.host,
      port: n.port,
      views: Object.fromEntries(spec.azs.map((az) => [az, dialFrom(plan, netKind, az, n.id)])),
      pid: null,
      startTime: null,
      status: 'running',
      dataDir: n.dataDir,
      logFile: n.logFile,
      args: [],
      restarts: 0,
      replicaof: n.kind === 'engine' && n.id !== plan.primary ? plan.primary : null,
    })),
    topology: plan.topology,
    failovers: [],
    faults: [],
    warnings: [],
  };
}

