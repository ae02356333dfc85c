/**
 * Addressing and links of a lab cluster on loopback (pure functions; docs/network.md).
 *
 *   node i (1-based over the whole cluster) in AZ A (1-based) binds   127.0.A.i : port
 *   node i as seen from AZ S (what anything in AZ S dials)             127.S.A.i : port
 *   clients in AZ S dial from                                          127.0.S.200+k
 *                                           (or 127.0.0.1, the kernel's default source)
 *
 * One link per (source AZ, destination node): it listens on the view address and forwards
 * to the node's real one, with RTT/2 each way across AZs and a zero-delay pass-through
 * within an AZ (so that cut and crash still work there). Since everything in an AZ shares
 * its links, processes dial from their own bind address and faults aimed at one process
 * filter on that source address.
 */
import type { Endpoint, LinkOptions } from './delay-line.js';

export interface NodeSpec {
  id: string;
  az: string;
  /** Real bind address; default 127.0.A.i. */
  host?: string;
  port: number;
  kind?: 'engine' | 'log' | string;
}

export interface LatencySpec {
  /** Cross-AZ round trip, ms. */
  rttMs: number;
  /** Round-trip jitter, ms: each direction gets uniform +-jitterMs/2. */
  jitterMs?: number;
  /** Per AZ pair overrides (unordered). */
  pairs?: { a: string; b: string; rttMs: number; jitterMs?: number }[];
}

export interface TopologyInput {
  azs: string[];
  nodes: NodeSpec[];
  latency: LatencySpec;
  /** The AZ clients live in; default: the first node's AZ (the primary's). */
  clientAz?: string;
  /**
   * 'proxy' (default): same-AZ traffic goes through a zero-delay link, so cut and crash
   * work on it. 'direct': same-AZ peers dial each other's real address: no proxy CPU for
   * the busiest path (clients to the primary), but no faults on it either.
   */
  sameAz?: 'proxy' | 'direct';
}

export interface PlacedNode {
  id: string;
  az: string;
  azIndex: number;
  index: number;
  host: string;
  port: number;
  kind: string;
}

export interface LinkPlan {
  /** `<source AZ>-><node id>`, e.g. `az-a->n2`. */
  id: string;
  fromAz: string;
  node: string;
  toAz: string;
  crossAz: boolean;
  listen: Endpoint;
  target: Endpoint;
  rttMs: number;
  /** Per direction. */
  delayMs: number;
  jitterMs: number;
}

export interface Topology {
  azs: string[];
  nodes: PlacedNode[];
  links: LinkPlan[];
  clientAz: string;
  latency: LatencySpec;
  sameAz: 'proxy' | 'direct';
}

export const CLIENT_HOST_BASE = 200;
const MAX_AZS = 254;
const MAX_NODES = CLIENT_HOST_BASE - 1;

export function nodeAddress(azIndex: number, nodeIndex: number): string {
  return `127.0.${azIndex}.${nodeIndex}`;
}

/** The address under which AZ `fromAzIndex` reaches node (azIndex, nodeIndex). */
export function viewAddress(fromAzIndex: number, azIndex: number, nodeIndex: number): string {
  return `127.${fromAzIndex}.${azIndex}.${nodeIndex}`;
}

/** Source address of the k-th client (0-based) in an AZ. */
export function clientAddress(azIndex: number, k = 0): string {
  if (k < 0 || CLIENT_HOST_BASE + k > 254) throw new RangeError(`client index ${k} out of range 0..${254 - CLIENT_HOST_BASE}`);
  return `127.0.${azIndex}.${CLIENT_HOST_BASE + k}`;
}

export function linkId(fromAz: string, nodeId: string): string {
  return `${fromAz}->${nodeId}`;
}

/** Round trip and jitter between two AZs (0 within one). */
export function latencyBetween(latency: LatencySpec, a: string, b: string): { rttMs: number; jitterMs: number } {
  if (a === b) return { rttMs: 0, jitterMs: 0 };
  const o = latency.pairs?.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
  return { rttMs: o?.rttMs ?? latency.rttMs, jitterMs: o?.jitterMs ?? latency.jitterMs ?? 0 };
}

export function planTopology(input: TopologyInput): Topology {
  const { azs, nodes, latency } = input;
  if (azs.length === 0) throw new Error('topology: no AZs');
  if (azs.length > MAX_AZS) throw new Error(`topology: at most ${MAX_AZS} AZs`);
  if (new Set(azs).size !== azs.length) throw new Error('topology: AZ names repeat');
  if (nodes.length === 0) throw new Error('topology: no nodes');
  if (nodes.length > MAX_NODES) throw new Error(`topology: at most ${MAX_NODES} nodes`);
  const checkMs = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`topology: ${what} must be >= 0 ms, got ${v}`);
  };
  checkMs(latency.rttMs, 'rtt');
  checkMs(latency.jitterMs, 'jitter');
  for (const p of latency.pairs ?? []) {
    for (const az of [p.a, p.b]) if (!azs.includes(az)) throw new Error(`topology: latency pair names unknown AZ '${az}'`);
    checkMs(p.rttMs, `rtt of ${p.a}/${p.b}`);
    checkMs(p.jitterMs, `jitter of ${p.a}/${p.b}`);
  }
  const ids = new Set<string>();
  const endpoints = new Set<string>();
  const placed: PlacedNode[] = nodes.map((n, i) => {
    const azIndex = azs.indexOf(n.az) + 1;
    if (azIndex === 0) throw new Error(`topology: node '${n.id}' is in unknown AZ '${n.az}' (AZs: ${azs.join(', ')})`);
    if (ids.has(n.id)) throw new Error(`topology: node id '${n.id}' repeats`);
    ids.add(n.id);
    if (!Number.isInteger(n.port) || n.port < 1 || n.port > 65535) throw new Error(`topology: node '${n.id}' has bad port ${n.port}`);
    const host = n.host ?? nodeAddress(azIndex, i + 1);
    if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`topology: node '${n.id}' binds ${host}; the lab uses loopback 127.x.y.z only`);
    const key = `${host}:${n.port}`;
    if (endpoints.has(key)) throw new Error(`topology: two nodes bind ${key}`);
    endpoints.add(key);
    return { id: n.id, az: n.az, azIndex, index: i + 1, host, port: n.port, kind: n.kind ?? 'engine' };
  });
  const clientAz = input.clientAz ?? placed[0].az;
  if (!azs.includes(clientAz)) throw new Error(`topology: client AZ '${clientAz}' is not one of ${azs.join(', ')}`);

  const sameAz = input.sameAz ?? 'proxy';
  const links: LinkPlan[] = [];
  azs.forEach((fromAz, s) => {
    for (const n of placed) {
      if (sameAz === 'direct' && fromAz === n.az) continue;
      const l = latencyBetween(latency, fromAz, n.az);
      links.push({
        id: linkId(fromAz, n.id),
        fromAz,
        node: n.id,
        toAz: n.az,
        crossAz: fromAz !== n.az,
        listen: { host: viewAddress(s + 1, n.azIndex, n.index), port: n.port },
        target: { host: n.host, port: n.port },
        rttMs: l.rttMs,
        delayMs: l.rttMs / 2,
        jitterMs: l.jitterMs / 2,
      });
    }
  });
  return { azs: [...azs], nodes: placed, links, clientAz, latency, sameAz };
}

function nodeOf(t: Topology, id: string): PlacedNode {
  const n = t.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`topology: no node '${id}' (nodes: ${t.nodes.map((x) => x.id).join(', ')})`);
  return n;
}

function azIndexOf(t: Topology, az: string): number {
  const i = t.azs.indexOf(az);
  if (i < 0) throw new Error(`topology: no AZ '${az}' (AZs: ${t.azs.join(', ')})`);
  return i + 1;
}

/** What a process in `fromAz` dials to reach `nodeId`. */
export function endpointFrom(t: Topology, fromAz: string, nodeId: string): Endpoint {
  const n = nodeOf(t, nodeId);
  if (t.sameAz === 'direct' && fromAz === n.az) return { host: n.host, port: n.port };
  return { host: viewAddress(azIndexOf(t, fromAz), n.azIndex, n.index), port: n.port };
}

/** What node `fromNode` dials to reach `nodeId` (through its AZ's link), and from where. */
export function peerEndpoint(t: Topology, fromNode: string, nodeId: string): Endpoint & { localAddress: string } {
  const from = nodeOf(t, fromNode);
  return { ...endpointFrom(t, from.az, nodeId), localAddress: from.host };
}

/** What a client dials for `nodeId` (default: from the client AZ) and the address it dials from. */
export function clientEndpoint(t: Topology, nodeId: string, clientAz = t.clientAz, k = 0): Endpoint & { localAddress: string } {
  return { ...endpointFrom(t, clientAz, nodeId), localAddress: clientAddress(azIndexOf(t, clientAz), k) };
}

/** The delay line's options for every link of the topology. */
export function linkOptions(t: Topology): LinkOptions[] {
  return t.links.map((l) => ({ id: l.id, listen: l.listen, target: l.target, delayMs: l.delayMs, jitterMs: l.jitterMs }));
}

/** A fault to apply to one link: all its connections, or only those from `sources`. */
export interface LinkAction {
  link: string;
  sources?: string[];
}

export type Party = { node: string } | { az: string } | { clients: string };

function sourcesOf(t: Topology, p: Party): { az: string; sources?: string[] } {
  if ('node' in p) {
    const n = nodeOf(t, p.node);
    return { az: n.az, sources: [n.host] };
  }
  if ('clients' in p) {
    const i = azIndexOf(t, p.clients);
    // 127.0.0.1: what a client that cannot pick its source (ioredis) dials from.
    const all: string[] = ['127.0.0.1'];
    for (let k = 0; CLIENT_HOST_BASE + k <= 254; k++) all.push(clientAddress(i, k));
    return { az: p.clients, sources: all };
  }
  azIndexOf(t, p.az);
  return { az: p.az };
}

function targetsOf(t: Topology, p: Party): string[] {
  if ('node' in p) return [nodeOf(t, p.node).id];
  if ('clients' in p) return [];
  return t.nodes.filter((n) => n.az === p.az).map((n) => n.id);
}

/**
 * The link actions that separate `a` from `b`, both ways: connections from a's processes
 * to b's nodes, and from b's to a's. Parties are a node, a whole AZ (every process in it,
 * clients included) or the clients of an AZ. Apply each with `cut`, `crash` or `heal`.
 */
export function separate(t: Topology, a: Party, b: Party): LinkAction[] {
  const out: LinkAction[] = [];
  const oneWay = (from: Party, to: Party) => {
    const src = sourcesOf(t, from);
    for (const node of targetsOf(t, to)) {
      if ('node' in from && from.node === node) continue;
      out.push(src.sources ? { link: linkId(src.az, node), sources: src.sources } : { link: linkId(src.az, node) });
    }
  };
  oneWay(a, b);
  oneWay(b, a);
  return merge(t, out);
}

/** The actions that isolate a node from every other process (clients included). */
export function isolate(t: Topology, nodeId: string): LinkAction[] {
  const n = nodeOf(t, nodeId);
  const out: LinkAction[] = [];
  // Everything that reaches the node, from every AZ and source.
  for (const az of t.azs) out.push({ link: linkId(az, n.id) });
  // Everything the node dials.
  for (const m of t.nodes) if (m.id !== n.id) out.push({ link: linkId(n.az, m.id), sources: [n.host] });
  return merge(t, out);
}

/** One action per link; links that do not exist (same-AZ paths with sameAz 'direct') drop out. */
function merge(t: Topology, actions: LinkAction[]): LinkAction[] {
  const exists = new Set(t.links.map((l) => l.id));
  const by = new Map<string, LinkAction>();
  for (const a of actions) {
    if (!exists.has(a.link)) continue;
    const cur = by.get(a.link);
    if (!cur) by.set(a.link, { ...a, ...(a.sources ? { sources: [...a.sources] } : {}) });
    else if (!cur.sources || !a.sources) delete cur.sources;
    else for (const s of a.sources) if (!cur.sources.includes(s)) cur.sources.push(s);
  }
  return [...by.values()];
}
