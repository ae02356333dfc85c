/**
 * The cluster on the netem backend (pure plan; lab/network/namespaces.ts runs it): every
 * node in its own namespace on the hub's bridge (10.200.A.i), tc-netem on cross-AZ egress,
 * and one veth from the bridge into the root namespace (10.200.S.199, S = the supervisor's
 * AZ) so the supervisor and clients on this host reach the nodes, delayed like any member of
 * AZ S. Nodes start under `ip netns exec`, which execs them (the PID is the node's).
 * Cuts and crashes need the delay line: with netem they are refused.
 */
import { namespacePlan, netnsLayout, type NetnsLayout, type Step } from '../network/namespaces.js';
import { netemPlan } from '../network/netem.js';
import { SUPERVISOR_HOST_OCTET, type ClusterPlan } from './plan.js';

export interface NetemClusterPlan {
  layout: NetnsLayout;
  /** The plan with node hosts moved to their namespace addresses. */
  plan: ClusterPlan;
  /** Namespaces, bridge, root veth, qdiscs: in order, with undos. */
  steps: Step[];
  /** Root-namespace interface and address. */
  rootIf: string;
  rootAddress: string;
  prefix(id: string): string[];
}

export function netemClusterPlan(plan: ClusterPlan, tag: string): NetemClusterPlan {
  const layout = netnsLayout(plan.topology, { tag, clientAzs: [] });
  const supAz = plan.spec.supervisor.az;
  const supIndex = plan.spec.azs.indexOf(supAz) + 1;
  const rootIf = `${tag}-r`.slice(0, 15);
  const rootAddress = `${layout.subnet}.${supIndex}.${SUPERVISOR_HOST_OCTET}`;
  const hostOf = new Map(layout.members.map((m) => [m.id, m.address]));
  const moved: ClusterPlan = {
    ...plan,
    nodes: plan.nodes.map((n) => ({ ...n, host: hostOf.get(n.id) ?? n.host })),
    supervisorHost: rootAddress,
  };
  const steps: Step[] = [
    ...namespacePlan(layout),
    // "netns 1": the root namespace (PID 1's); the peer is created there directly.
    { argv: ['ip', '-n', layout.hub, 'link', 'add', 'hr0', 'type', 'veth', 'peer', 'name', rootIf, 'netns', '1'], undo: ['ip', 'link', 'del', rootIf] },
    { argv: ['ip', '-n', layout.hub, 'link', 'set', 'hr0', 'master', layout.bridge] },
    { argv: ['ip', '-n', layout.hub, 'link', 'set', 'hr0', 'up'] },
    { argv: ['ip', 'addr', 'add', `${rootAddress}/16`, 'dev', rootIf] },
    { argv: ['ip', 'link', 'set', rootIf, 'up'] },
    ...netemPlan(layout, plan.topology.latency),
  ];
  // The root end shapes like a member of the supervisor's AZ: same plan, no `-n`.
  const ROOT = '__root__';
  // netemPlan needs every AZ's index, so the root member joins the others; only its steps are kept.
  const rootLayout: NetnsLayout = {
    ...layout,
    members: [...layout.members, { id: 'root', az: supAz, azIndex: supIndex, kind: 'client', netns: ROOT, ifname: rootIf, hubIf: 'hr0', address: rootAddress, prefix: 16 }],
  };
  for (const s of netemPlan(rootLayout, plan.topology.latency)) {
    if (s.argv[2] !== ROOT) continue;
    steps.push({ argv: [s.argv[0], ...s.argv.slice(3)] });
  }
  return {
    layout,
    plan: moved,
    steps,
    rootIf,
    rootAddress,
    prefix: (id: string) => {
      const m = layout.members.find((x) => x.id === id);
      if (!m) throw new Error(`netem: no namespace for '${id}'`);
      return ['ip', 'netns', 'exec', m.netns];
    },
  };
}
