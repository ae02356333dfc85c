/**
 * The docker backend (testcontainers): the same nodes as containers on one user-defined
 * network, each with NET_ADMIN and tc-netem inside delaying its traffic to the other AZs'
 * containers. `dockerPlan` is pure data (tested without an engine); `startDockerNodes`
 * runs it. Without a container engine, `memlab up --backend docker` fails with the reason.
 */
import { localLogArgs, type ClusterPlan } from './plan.js';
import { latencyBetween } from '../network/topology.js';
import { netemArgs } from '../network/netem.js';
import { REPO_ROOT } from './paths.js';
import type { ClusterSpec } from './profile.js';

export interface DockerSupport {
  ok: boolean;
  reason: string;
}

/** Is there a container engine testcontainers can use? */
export async function detectDocker(): Promise<DockerSupport> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    return { ok: true, reason: `container runtime: ${client.info.containerRuntime.host}` };
  } catch (e) {
    return {
      ok: false,
      reason: `docker backend unavailable: no container engine found (testcontainers: ${(e as Error).message}; is the Docker daemon running? docker info says why). Use --backend process.`,
    };
  }
}

/** The image: node plus iproute2 (tc); the repository is bind-mounted read-only at /memlab. */
export const DOCKERFILE = (base: string) => `FROM ${base}
RUN apt-get update && apt-get install -y --no-install-recommends iproute2 && rm -rf /var/lib/apt/lists/*
WORKDIR /memlab
`;

export interface ContainerSpec {
  name: string;
  node: string;
  kind: string;
  az: string;
  command: string[];
  capabilities: string[];
  networkAliases: string[];
  bindMounts: { source: string; target: string; mode: 'ro' | 'rw' }[];
  exposedPorts: number[];
  labels: Record<string, string>;
}

export interface DockerClusterPlan {
  tag: string;
  network: string;
  dockerfile: string;
  containers: ContainerSpec[];
  /** tc commands to exec in each container once every container's IP is known. */
  tc(ipOf: Record<string, string>): Record<string, string[][]>;
}

/** Containers listen on 0.0.0.0 at the node's port; peers dial each other by network alias. */
export function dockerPlan(plan: ClusterPlan, tag: string): DockerClusterPlan {
  const spec = plan.spec;
  const network = `memlab-${tag}`;
  const containers: ContainerSpec[] = plan.nodes.map((n) => {
    const command =
      n.kind === 'log'
        ? ['node', '/memlab/dist/cli/main.js', 'lognode', '--id', n.id, '--bind', '0.0.0.0', '--port', String(n.port), '--dir', `/data/${n.id}`]
        : [
            'node',
            '/memlab/dist/cli/main.js',
            'server',
            '--port',
            String(n.port),
            '--bind',
            '0.0.0.0',
            '--name',
            n.id,
            ...(Object.keys(spec.engineConfig).length ? ['-c', ...Object.entries(spec.engineConfig).map(([k, v]) => `${k}=${v}`)] : []),
            ...(spec.mode === 'durable'
              ? ['--mode', 'durable', '--log', plan.nodes.filter((l) => l.kind === 'log').map((l) => `${l.id}=${l.id}:${l.port}`).join(','), ...localLogArgs(plan.nodes.filter((l) => l.kind === 'log'), n.az)]
              : n.id !== plan.primary
                ? ['--replicaof', plan.primary, String(plan.nodes.find((p) => p.id === plan.primary)!.port)]
                : []),
          ];
    // No --exit-with-parent: containers have no supervisor pipe; the runtime (and Ryuk) stops them.
    return {
      name: `${network}-${n.id}`,
      node: n.id,
      kind: n.kind,
      az: n.az,
      command,
      capabilities: ['NET_ADMIN'],
      networkAliases: [n.id],
      bindMounts: [{ source: REPO_ROOT, target: '/memlab', mode: 'ro' }],
      exposedPorts: [n.port],
      labels: { 'memlab.cluster': tag, 'memlab.node': n.id, 'memlab.az': n.az, 'memlab.kind': n.kind },
    };
  });
  return {
    tag,
    network,
    dockerfile: DOCKERFILE(spec.dockerImage),
    containers,
    tc(ipOf) {
      const out: Record<string, string[][]> = {};
      for (const c of containers) {
        const classes = new Map<string, { rttMs: number; jitterMs: number; ips: string[] }>();
        for (const d of containers) {
          if (d.az === c.az) continue;
          const lat = latencyBetween({ rttMs: spec.rttMs, jitterMs: spec.jitterMs, pairs: spec.pairs }, c.az, d.az);
          if (lat.rttMs === 0 && lat.jitterMs === 0) continue;
          const ip = ipOf[d.node];
          if (!ip) throw new Error(`docker: no IP for ${d.node}`);
          const key = `${lat.rttMs}/${lat.jitterMs}`;
          const cl = classes.get(key) ?? { ...lat, ips: [] };
          cl.ips.push(ip);
          classes.set(key, cl);
        }
        const cmds: string[][] = [];
        if (classes.size) {
          cmds.push(['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '1:', 'prio', 'bands', String(3 + classes.size), 'priomap', ...'1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1'.split(' ')]);
          let band = 4;
          for (const cl of classes.values()) {
            cmds.push(['tc', 'qdisc', 'add', 'dev', 'eth0', 'parent', `1:${band}`, 'handle', `${(0x40 + band - 4).toString(16)}:`, ...netemArgs(cl.rttMs, cl.jitterMs)]);
            for (const ip of cl.ips) cmds.push(['tc', 'filter', 'add', 'dev', 'eth0', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', `${ip}/32`, 'flowid', `1:${band}`]);
            band++;
          }
        }
        out[c.node] = cmds;
      }
      return out;
    },
  };
}

export interface DockerNodes {
  /** Host-side endpoint (mapped port) of each node. */
  endpoints: Record<string, { host: string; port: number }>;
  stop(): Promise<void>;
}

/** Build the image, start the network and containers, install the netem rules. */
export async function startDockerNodes(dp: DockerClusterPlan): Promise<DockerNodes> {
  const { GenericContainer, Network } = await import('testcontainers');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const ctx = mkdtempSync(path.join(os.tmpdir(), 'memlab-docker-'));
  writeFileSync(path.join(ctx, 'Dockerfile'), dp.dockerfile);
  const imageName = `memlab-node:${dp.tag}`;
  await GenericContainer.fromDockerfile(ctx).build(imageName, { deleteOnExit: true });
  rmSync(ctx, { recursive: true, force: true });
  const network = await new Network().start();
  const started: Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>>[] = [];
  const stop = async () => {
    await Promise.all(started.map((c) => c.stop({ timeout: 2000 }).catch(() => {})));
    await network.stop().catch(() => {});
  };
  try {
    for (const c of dp.containers) {
      const g = new GenericContainer(imageName)
        .withName(c.name)
        .withCommand(c.command)
        .withAddedCapabilities(...c.capabilities)
        .withNetwork(network)
        .withNetworkAliases(...c.networkAliases)
        .withBindMounts(c.bindMounts)
        .withExposedPorts(...c.exposedPorts)
        .withLabels(c.labels);
      started.push(await g.start());
    }
    const ipOf: Record<string, string> = {};
    dp.containers.forEach((c, i) => (ipOf[c.node] = started[i].getIpAddress(network.getName())));
    const tc = dp.tc(ipOf);
    for (const [i, c] of dp.containers.entries()) {
      for (const argv of tc[c.node]) {
        const r = await started[i].exec(argv);
        if (r.exitCode !== 0) throw new Error(`docker ${c.name}: '${argv.join(' ')}' failed: ${r.output.trim()}`);
      }
    }
    const endpoints: Record<string, { host: string; port: number }> = {};
    dp.containers.forEach((c, i) => (endpoints[c.node] = { host: started[i].getHost(), port: started[i].getMappedPort(c.exposedPorts[0]) }));
    return { endpoints, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * `memlab up --backend docker`: fails with the reason when there is no engine. With one,
 * the containers run (startDockerNodes) but the supervisor still drives processes only:
 * that part of the docker backend is not wired yet, and it says so instead of pretending.
 */
export async function startDockerCluster(spec: ClusterSpec, detect: () => Promise<DockerSupport> = detectDocker): Promise<never> {
  const d = await detect();
  if (!d.ok) throw new Error(d.reason);
  throw new Error(
    `docker backend: a container engine is available (${d.reason}), but supervising containers (probes, failover, faults through the runtime) is not wired in this build; ` +
      `the container plan for mode ${spec.mode} is generated by lab/cluster/docker.ts (dockerPlan/startDockerNodes). Use --backend process.`,
  );
}
