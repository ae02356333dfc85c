/** The docker backend's real path: only where a container engine answers. */
import { describe, expect, it } from 'vitest';
import { detectDocker, dockerPlan, startDockerNodes } from '../../../lab/cluster/docker.js';
import { planCluster } from '../../../lab/cluster/plan.js';
import { resolveSpec } from '../../../lab/cluster/profile.js';
import { respOnce } from '../../../lab/cluster/resp.js';

const docker = await detectDocker();
if (!docker.ok) console.log(`skipping the docker backend run: ${docker.reason}`);

describe('docker backend', () => {
  it('detection names what is missing', () => {
    if (docker.ok) expect(docker.reason).toMatch(/^container runtime: /);
    else expect(docker.reason).toMatch(/^docker backend unavailable: no container engine found \(testcontainers: .+\)/);
  });

  it.skipIf(!docker.ok)('starts one container per node with netem inside and answers through the mapped ports', { timeout: 300_000 }, async () => {
    const plan = planCluster(resolveSpec({ backend: 'docker', rttMs: 2, jitterMs: 0 }), '/run', { n1: 7001, n2: 7002, n3: 7003 });
    const nodes = await startDockerNodes(dockerPlan(plan, `t${process.pid}`));
    try {
      for (const id of ['n1', 'n2', 'n3']) expect(await respOnce(nodes.endpoints[id], ['PING'], { timeoutMs: 5000 })).toBe('PONG');
    } finally {
      await nodes.stop();
    }
  });
});
