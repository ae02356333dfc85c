/**
 * The netem backend: detect support, plan the tc commands (pure argv lists), pick a backend.
 *
 * Per member namespace, on eth0 egress: a prio qdisc with one extra band per distinct
 * cross-AZ latency, netem in that band, and u32 filters steering packets for the other
 * AZs' /24s into it; same-AZ traffic keeps the default bands and is not delayed. Each
 * direction gets RTT/2 (+- jitter/2) on its sender's egress. netem's jitter reorders
 * packets (each draws its own delay) unless it has a rate: with `rate`, netem sends no
 * packet before the one queued ahead of it, the same rule as the delay line.
 */
import { randomBytes } from 'node:crypto';
import { execArgv, type Exec, type NetnsLayout, type Step } from './namespaces.js';
import { latencyBetween, type LatencySpec } from './topology.js';

export type NetBackend = 'netem' | 'proxy' | 'none';
export type NetRequest = 'auto' | NetBackend;

export interface NetemSupport {
  ok: boolean;
  root: boolean;
  /** `ip -V` / `tc -V`, or null when missing. */
  ip: string | null;
  tc: string | null;
  /** Kernel pieces that failed, each with the error tc printed, e.g. {sch_netem: "Error: Specified qdisc kind is unknown."}. */
  missing: Record<string, string>;
  /** What is missing, e.g. "the kernel lacks sch_netem (...)". Empty when ok. */
  problem: string;
  /** One sentence for users: what is missing and what to do instead. Empty when ok. */
  reason: string;
}

/** Rate given to netem when it has jitter: high enough never to shape, present so it never reorders. */
export const NETEM_ORDER_RATE = '100gbit';
const NETEM_LIMIT = 100_000;
const FIRST_NETEM_BAND = 4;
const MAX_PRIO_BANDS = 16;

function us(ms: number): string {
  return `${Math.round(ms * 1000)}us`;
}

/** netem arguments for one direction: delay RTT/2, jitter/2, and a rate when jittered. */
export function netemArgs(rttMs: number, jitterMs = 0): string[] {
  const args = ['netem', 'delay', us(rttMs / 2)];
  // No distribution keyword: netem then draws uniformly in +-jitter, as the delay line does.
  if (jitterMs > 0) args.push(us(jitterMs / 2), 'rate', NETEM_ORDER_RATE);
  args.push('limit', String(NETEM_LIMIT));
  return args;
}

/** The qdiscs and filters giving every member's cross-AZ traffic its delay. */
export function netemPlan(l: NetnsLayout, latency: LatencySpec): Step[] {
  const azIndex = new Map<string, number>();
  for (const m of l.members) azIndex.set(m.az, m.azIndex);
  const steps: Step[] = [];
  for (const m of l.members) {
    // Group destination AZs by latency: one prio band (and netem) per distinct value.
    const classes = new Map<string, { rttMs: number; jitterMs: number; azs: number[] }>();
    for (const [az, idx] of azIndex) {
      if (az === m.az) continue;
      const lat = latencyBetween(latency, m.az, az);
      if (lat.rttMs === 0 && lat.jitterMs === 0) continue;
      const key = `${lat.rttMs}/${lat.jitterMs}`;
      const c = classes.get(key) ?? { ...lat, azs: [] };
      c.azs.push(idx);
      classes.set(key, c);
    }
    if (classes.size === 0) continue;
    const bands = FIRST_NETEM_BAND - 1 + classes.size;
    if (bands > MAX_PRIO_BANDS) throw new Error(`netem: ${classes.size} distinct latencies from ${m.az}; prio allows ${MAX_PRIO_BANDS - FIRST_NETEM_BAND + 1}`);
    const tc = ['tc', '-n', m.netns];
    // The default priomap only uses bands 1-3, so nothing reaches a netem band unless filtered there.
    steps.push({ argv: [...tc, 'qdisc', 'add', 'dev', m.ifname, 'root', 'handle', '1:', 'prio', 'bands', String(bands), 'priomap', ...'1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1'.split(' ')] });
    let band = FIRST_NETEM_BAND;
    for (const c of classes.values()) {
      const handle = `${(0x40 + band - FIRST_NETEM_BAND).toString(16)}:`;
      steps.push({ argv: [...tc, 'qdisc', 'add', 'dev', m.ifname, 'parent', `1:${band}`, 'handle', handle, ...netemArgs(c.rttMs, c.jitterMs)] });
      for (const az of c.azs.sort((a, b) => a - b)) {
        steps.push({ argv: [...tc, 'filter', 'add', 'dev', m.ifname, 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', `${l.subnet}.${az}.0/24`, 'flowid', `1:${band}`] });
      }
      band++;
    }
  }
  return steps;
}

/** Removes the qdiscs (and with them the filters) without removing the namespaces. */
export function netemTeardownPlan(l: NetnsLayout): Step[] {
  return l.members.map((m) => ({ argv: ['tc', '-n', m.netns, 'qdisc', 'del', 'dev', m.ifname, 'root'] }));
}

/**
 * Can this machine run the netem backend? Checks root and iproute2, then tries the real
 * qdiscs on a veth pair in a scratch namespace (always removed) and keeps tc's errors.
 */
export async function detectNetem(exec: Exec = execArgv, opts: { isRoot?: boolean } = {}): Promise<NetemSupport> {
  const root = opts.isRoot ?? process.getuid?.() === 0;
  const missing: Record<string, string> = {};
  const version = async (bin: string) => {
    const r = await exec([bin, '-V']);
    return r.code === 0 ? (r.stdout || r.stderr).trim() : null;
  };
  const ip = await version('ip');
  const tc = await version('tc');
  const result = (): NetemSupport => {
    const ok = root && ip !== null && tc !== null && Object.keys(missing).length === 0;
    const problem = ok ? '' : explain(root, ip, tc, missing);
    return { ok, root, ip, tc, missing, problem, reason: ok ? '' : `netem backend unavailable: ${problem}. Use --net proxy (the userspace delay line) instead.` };
  };
  if (!root || ip === null || tc === null) return result();

  const ns = `memlab-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  const add = await exec(['ip', 'netns', 'add', ns]);
  if (add.code !== 0) {
    missing.netns = add.stderr.trim();
    return result();
  }
  try {
    const veth = await exec(['ip', '-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
    if (veth.code !== 0) {
      missing.veth = veth.stderr.trim();
      return result();
    }
    await exec(['ip', '-n', ns, 'link', 'set', 'p0', 'up']);
    const tcn = ['tc', '-n', ns];
    const prio = await exec([...tcn, 'qdisc', 'add', 'dev', 'p0', 'root', 'handle', '1:', 'prio', 'bands', '4']);
    if (prio.code !== 0) missing.sch_prio = prio.stderr.trim();
    const netem = prio.code === 0 ? await exec([...tcn, 'qdisc', 'add', 'dev', 'p0', 'parent', '1:4', 'handle', '40:', 'netem', 'delay', '1ms']) : await exec([...tcn, 'qdisc', 'add', 'dev', 'p0', 'root', 'netem', 'delay', '1ms']);
    if (netem.code !== 0) missing.sch_netem = netem.stderr.trim();
    if (prio.code === 0) {
      const u32 = await exec([...tcn, 'filter', 'add', 'dev', 'p0', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', '10.0.0.1/32', 'flowid', '1:4']);
      if (u32.code !== 0) missing.cls_u32 = u32.stderr.trim();
    }
  } finally {
    await exec(['ip', 'netns', 'del', ns]);
  }
  return result();
}

function explain(root: boolean, ip: string | null, tc: string | null, missing: Record<string, string>): string {
  const parts: string[] = [];
  if (!root) parts.push('it needs root (network namespaces and tc)');
  if (ip === null || tc === null) parts.push(`iproute2 is not installed (${[ip === null ? 'ip' : '', tc === null ? 'tc' : ''].filter(Boolean).join(', ')} missing; apt-get install iproute2)`);
  const kernel = Object.entries(missing).filter(([k]) => k.startsWith('sch_') || k.startsWith('cls_'));
  if (kernel.length) parts.push(`the kernel lacks ${kernel.map(([k, e]) => `${k} (tc: ${firstLine(e)})`).join(' and ')}; try modprobe ${kernel.map(([k]) => k).join(' ')}`);
  if (missing.netns) parts.push(`cannot create a network namespace (${firstLine(missing.netns)})`);
  if (missing.veth) parts.push(`cannot create a veth pair (${firstLine(missing.veth)})`);
  return parts.join('; ');
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim() || 'no error text';
}

export class NetemUnavailableError extends Error {
  constructor(readonly support: NetemSupport) {
    super(support.reason);
  }
}

export interface BackendChoice {
  backend: NetBackend;
  /** Why: shown by `memlab up` and stored in the state file. */
  reason: string;
  netem?: NetemSupport;
}

/** `auto` picks netem where it works, else the proxy; `netem` fails with the reason where it does not. */
export async function chooseBackend(requested: NetRequest, detect: () => Promise<NetemSupport> = () => detectNetem()): Promise<BackendChoice> {
  if (requested === 'proxy') return { backend: 'proxy', reason: 'requested --net proxy' };
  if (requested === 'none') return { backend: 'none', reason: 'requested --net none: no injected latency' };
  const support = await detect();
  if (requested === 'netem') {
    if (!support.ok) throw new NetemUnavailableError(support);
    return { backend: 'netem', reason: 'requested --net netem', netem: support };
  }
  if (support.ok) return { backend: 'netem', reason: 'auto: tc-netem works here', netem: support };
  return { backend: 'proxy', reason: `auto: netem unavailable (${support.problem}); using the userspace delay line`, netem: support };
}
