/**
 * Network namespaces for the netem backend: plans (pure: exact `ip` argv lists) and a
 * runner that executes them and records what it created, so teardown removes exactly that.
 *
 * Layout: a hub namespace `<tag>-hub` holds bridge br0; every member (node or client) gets
 * its own namespace `<tag>-<id>` with eth0, whose veth peer h<i> sits on the bridge.
 * Nothing is added to the root namespace. Addresses: member i of AZ A is <subnet>.A.i/16,
 * the clients of AZ A are <subnet>.A.200 (so an AZ is one /24, which the netem filters use).
 */
import { execFile } from 'node:child_process';
import type { Topology } from './topology.js';

export interface Step {
  argv: string[];
  /** What undoes this step once it ran; teardown runs these in reverse order. */
  undo?: string[];
}

export interface NetnsMember {
  id: string;
  az: string;
  azIndex: number;
  kind: 'node' | 'client';
  netns: string;
  /** Interface inside the member's namespace. */
  ifname: string;
  /** Its veth peer on the hub's bridge. */
  hubIf: string;
  address: string;
  prefix: number;
}

export interface NetnsLayout {
  tag: string;
  hub: string;
  bridge: string;
  subnet: string;
  members: NetnsMember[];
}

export interface LayoutOptions {
  /** Prefix of every namespace name: [a-z0-9-], up to 24 chars, e.g. `ml-1234`. */
  tag: string;
  /** First two octets of the lab's /16 (default 10.200); only used inside the namespaces. */
  subnet?: string;
  /** AZs that get a client namespace (default: the topology's client AZ). */
  clientAzs?: string[];
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export function netnsLayout(t: Pick<Topology, 'azs' | 'nodes' | 'clientAz'>, opts: LayoutOptions): NetnsLayout {
  const { tag } = opts;
  if (!NAME.test(tag) || tag.length > 24) throw new Error(`netns tag '${tag}' must be [a-z0-9-], at most 24 characters`);
  const subnet = opts.subnet ?? '10.200';
  if (!/^\d{1,3}\.\d{1,3}$/.test(subnet)) throw new Error(`subnet '${subnet}' must be two octets, e.g. 10.200`);
  const members: NetnsMember[] = [];
  let hubIndex = 0;
  const add = (id: string, az: string, azIndex: number, host: number, kind: 'node' | 'client') => {
    if (!NAME.test(id)) throw new Error(`netns: id '${id}' must be [a-z0-9-] to name a namespace`);
    hubIndex++;
    members.push({ id, az, azIndex, kind, netns: `${tag}-${id}`, ifname: 'eth0', hubIf: `h${hubIndex}`, address: `${subnet}.${azIndex}.${host}`, prefix: 16 });
  };
  for (const n of t.nodes) add(n.id, n.az, n.azIndex, n.index, 'node');
  for (const az of opts.clientAzs ?? [t.clientAz]) {
    const i = t.azs.indexOf(az);
    if (i < 0) throw new Error(`netns: client AZ '${az}' is not one of ${t.azs.join(', ')}`);
    add(`c-${az}`.toLowerCase().replace(/[^a-z0-9-]/g, '-'), az, i + 1, 200, 'client');
  }
  const ids = new Set(members.map((m) => m.netns));
  if (ids.size !== members.length) throw new Error('netns: two members map to the same namespace name');
  return { tag, hub: `${tag}-hub`, bridge: 'br0', subnet, members };
}

/** Namespaces, bridge, veth pairs and addresses. */
export function namespacePlan(l: NetnsLayout): Step[] {
  const hub = l.hub;
  const steps: Step[] = [
    { argv: ['ip', 'netns', 'add', hub], undo: ['ip', 'netns', 'del', hub] },
    { argv: ['ip', '-n', hub, 'link', 'set', 'lo', 'up'] },
    { argv: ['ip', '-n', hub, 'link', 'add', l.bridge, 'type', 'bridge'] },
    { argv: ['ip', '-n', hub, 'link', 'set', l.bridge, 'up'] },
  ];
  for (const m of l.members) {
    steps.push(
      { argv: ['ip', 'netns', 'add', m.netns], undo: ['ip', 'netns', 'del', m.netns] },
      { argv: ['ip', '-n', m.netns, 'link', 'set', 'lo', 'up'] },
      // Created in the hub with its peer moved straight into the member: no root-namespace device ever exists.
      { argv: ['ip', '-n', hub, 'link', 'add', m.hubIf, 'type', 'veth', 'peer', 'name', m.ifname, 'netns', m.netns] },
      { argv: ['ip', '-n', hub, 'link', 'set', m.hubIf, 'master', l.bridge] },
      { argv: ['ip', '-n', hub, 'link', 'set', m.hubIf, 'up'] },
      { argv: ['ip', '-n', m.netns, 'addr', 'add', `${m.address}/${m.prefix}`, 'dev', m.ifname] },
      { argv: ['ip', '-n', m.netns, 'link', 'set', m.ifname, 'up'] },
    );
  }
  return steps;
}

/** Removes every namespace of the layout (their devices and qdiscs go with them). */
export function namespaceTeardownPlan(l: NetnsLayout): Step[] {
  return [...l.members.map((m) => ({ argv: ['ip', 'netns', 'del', m.netns] })), { argv: ['ip', 'netns', 'del', l.hub] }];
}

/** argv to run a command inside a member's namespace. */
export function inNamespace(m: Pick<NetnsMember, 'netns'>, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', m.netns, ...argv];
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Exec = (argv: string[]) => Promise<ExecResult>;

/** Runs argv without a shell; a missing binary is code 127 with the error in stderr. */
export const execArgv: Exec = (argv) =>
  new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: 20_000 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: number | string };
      if (e.code === 'ENOENT') return resolve({ code: 127, stdout: '', stderr: `${argv[0]}: command not found` });
      resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout, stderr: stderr || e.message });
    });
  });

export class StepError extends Error {
  constructor(
    readonly step: Step,
    readonly result: ExecResult,
  ) {
    super(`'${step.argv.join(' ')}' failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
}

/**
 * Executes plans and remembers the undo of every step that succeeded. `created` is plain
 * data: store it (the cluster state file) and `teardown` from another process later.
 */
export class NetRunner {
  private undo: string[][];

  constructor(
    private readonly exec: Exec = execArgv,
    created: string[][] = [],
  ) {
    this.undo = created.map((a) => [...a]);
  }

  get created(): string[][] {
    return this.undo.map((a) => [...a]);
  }

  /** Run steps in order; on a failure, undo what this call created and throw a StepError. */
  async run(steps: Step[], opts: { rollbackOnError?: boolean } = {}): Promise<void> {
    const mark = this.undo.length;
    for (const s of steps) {
      const r = await this.exec(s.argv);
      if (r.code !== 0) {
        if (opts.rollbackOnError !== false) await this.undoFrom(mark);
        throw new StepError(s, r);
      }
      if (s.undo) this.undo.push(s.undo);
    }
  }

  /** Undo everything recorded, newest first. Returns the undos that failed (already gone is fine). */
  async teardown(): Promise<string[]> {
    return this.undoFrom(0);
  }

  private async undoFrom(mark: number): Promise<string[]> {
    const errors: string[] = [];
    while (this.undo.length > mark) {
      const argv = this.undo.pop()!;
      const r = await this.exec(argv);
      if (r.code !== 0 && !/no such file|cannot find|does not exist/i.test(r.stderr)) errors.push(`'${argv.join(' ')}': ${r.stderr.trim()}`);
    }
    return errors;
  }
}

export async function listNamespaces(exec: Exec = execArgv): Promise<string[]> {
  const r = await exec(['ip', 'netns', 'list']);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((x): x is string => !!x);
}
