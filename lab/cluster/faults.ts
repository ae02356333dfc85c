/**
 * Fault requests -> what to do (pure). A target is a node id or an AZ name; `from` lists the
 * peers a cut separates it from: node ids, AZ names (every process there, clients and a
 * supervisor living there included), `clients` (the client AZ's clients), `clients:AZ`, or
 * `supervisor` (only its probes). Without `from`, a node is isolated from everything (its
 * links from every AZ and what it dials), an AZ from every other AZ.
 *
 * The supervisor dials from 127.0.S.199 in its AZ S through S's links, like any process of
 * S: a cut that covers those links without a source filter (isolating a node, cutting S
 * off) blinds it too, as a partition would blind a Sentinel on the far side; `--from n2,n3`
 * spares it, `--from supervisor` cuts only it.
 */
import { isolate, linkId, separate, type LinkAction, type Party, type Topology } from '../network/topology.js';

export const FAULT_KINDS = ['kill', 'crash', 'pause', 'resume', 'cut', 'heal', 'restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRequest {
  kind: FaultKind;
  /** Node id or AZ name, or several (comma-separated or a list: one step for all); `heal` without a target heals every link. */
  target?: string | string[];
  from?: string[];
  /** restart: wipe the data directory first. */
  empty?: boolean;
}

export interface FaultResult {
  kind: FaultKind;
  target: string;
  nodes: string[];
  /** Link actions sent to the delay line. */
  links: LinkAction[];
  /** PIDs signalled or started. */
  pids: number[];
  message: string;
}

export interface SupervisorParty {
  az: string;
  host: string;
}

export function targetNodes(t: Topology, target: string): string[] {
  if (t.nodes.some((n) => n.id === target)) return [target];
  if (t.azs.includes(target)) return t.nodes.filter((n) => n.az === target).map((n) => n.id);
  throw new Error(`no node or AZ '${target}' (nodes: ${t.nodes.map((n) => n.id).join(', ')}; AZs: ${t.azs.join(', ')})`);
}

type AnyParty = Party | { supervisor: true };

export function parseParty(t: Topology, name: string): AnyParty {
  if (name === 'supervisor') return { supervisor: true };
  if (name === 'clients') return { clients: t.clientAz };
  if (name.startsWith('clients:')) {
    const az = name.slice('clients:'.length);
    if (!t.azs.includes(az)) throw new Error(`--from ${name}: no AZ '${az}' (AZs: ${t.azs.join(', ')})`);
    return { clients: az };
  }
  if (t.nodes.some((n) => n.id === name)) return { node: name };
  if (t.azs.includes(name)) return { az: name };
  throw new Error(`--from ${name}: not a node, an AZ, 'clients', 'clients:AZ' or 'supervisor' (nodes: ${t.nodes.map((n) => n.id).join(', ')}; AZs: ${t.azs.join(', ')})`);
}

/** The link actions of a cut (or its heal) of `target` from `from` (default: everything). */
export function cutActions(t: Topology, target: string, from: string[] | undefined, sup: SupervisorParty): LinkAction[] {
  const isAz = !t.nodes.some((n) => n.id === target) && t.azs.includes(target);
  const nodes = targetNodes(t, target);
  const out: LinkAction[] = [];
  const self: Party = isAz ? { az: target } : { node: target };
  if (!from || from.length === 0) {
    if (isAz) for (const az of t.azs) if (az !== target) out.push(...separate(t, self, { az }));
    if (!isAz) out.push(...isolate(t, target));
  } else {
    for (const name of from) {
      const p = parseParty(t, name);
      if ('supervisor' in p) {
        for (const n of nodes) out.push({ link: linkId(sup.az, n), sources: [sup.host] });
      } else {
        out.push(...separate(t, self, p));
      }
    }
  }
  return mergeActions(t, out);
}

/** One action per link (a whole-link action absorbs source-filtered ones). */
export function mergeActions(t: Topology, actions: LinkAction[]): LinkAction[] {
  const exists = new Set(t.links.map((l) => l.id));
  const by = new Map<string, LinkAction>();
  for (const a of actions) {
    if (!exists.has(a.link)) continue;
    const cur = by.get(a.link);
    if (!cur) by.set(a.link, { link: a.link, ...(a.sources ? { sources: [...a.sources] } : {}) });
    else if (!cur.sources || !a.sources) delete cur.sources;
    else for (const s of a.sources) if (!cur.sources.includes(s)) cur.sources.push(s);
  }
  return [...by.values()];
}

/** Every link, whole: `heal` without a target. */
export function allLinks(t: Topology): LinkAction[] {
  return t.links.map((l) => ({ link: l.id }));
}
