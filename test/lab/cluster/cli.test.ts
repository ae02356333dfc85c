/** memlab up --detach / status / fault / down as a user runs them, and their refusals. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ENTRY } from '../../../lab/cluster/paths.js';
import { readState, type ClusterState } from '../../../lab/cluster/state.js';
import type { ClusterStatus } from '../../../lab/cluster/status.js';
import { detectNetem } from '../../../lab/network/netem.js';
import { built, netnsList, notBuiltReason, pidAlive, tmpDir, waitFor } from './helpers.js';

function memlab(args: string[], timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_ENTRY, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const procsOf = (s: ClusterState) => [s.supervisor.pid, s.proxy?.pid, ...s.nodes.map((n) => n.pid)].filter((p): p is number => typeof p === 'number');

if (!built) console.log(`skipping the memlab up/status/fault/down CLI tests: ${notBuiltReason}`);

describe.skipIf(!built)('memlab up / status / fault / down', { timeout: 120_000 }, () => {
  it('up --detach returns once ready; status, fault and down work from other processes', async () => {
    const state = path.join(tmpDir(), 'state.json');
    const netnsBefore = netnsList();
    const upR = await memlab(['up', '--detach', '--replicas', '1', '--azs', '2', '--rtt', '2ms', '--jitter', '0', '--state', state]);
    expect(upR.stderr).toBe('');
    expect(upR.code).toBe(0);
    const s = readState(state)!;
    expect(upR.stdout).toContain(`clients connect to  ${s.endpoint.host}:${s.endpoint.port}`);
    expect(upR.stdout).toMatch(/n2\s+engine\s+az-b\s+replica\s+\d+\s+127\.0\.2\.2:\d+\s+127\.1\.2\.2:\d+\s+127\.2\.2\.2:\d+/);
    // The supervisor is its own detached process now, and it owns the nodes.
    expect(s.supervisor.pid).not.toBe(process.pid);
    for (const p of procsOf(s)) expect(pidAlive(p)).toBe(true);
    try {
      const st = await memlab(['status', '--json', '--count', '20', '--state', state]);
      expect(st.code).toBe(0);
      const j = JSON.parse(st.stdout) as ClusterStatus;
      expect(j.supervisor.alive).toBe(true);
      expect(j.nodes.map((n) => `${n.id}:${n.role}`)).toEqual(['n1:primary', 'n2:replica']);
      // Each process's CPU so far, from /proc: what it costs, read twice.
      for (const n of j.nodes) expect(n.cpuMs).toBeGreaterThan(0);
      expect(j.supervisor.cpuMs).toBeGreaterThan(0);
      const cross = j.links.find((l) => l.id === 'az-a->n2')!;
      expect(cross.configured.rttMs).toBe(2);
      expect(cross.achieved!.p50).toBeGreaterThanOrEqual(1.9);
      const human = await memlab(['status', '--no-probe', '--state', state]);
      expect(human.stdout).toMatch(/^n2\s+engine\s+az-b\s+replica\s+running/m);
      expect(human.stdout).toMatch(/^node\s+kind\s+az\s+role\s+process\s+pid\s+cpu s\s+offset/m);

      const bad = await memlab(['fault', 'cut', 'n7', '--state', state]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/no node or AZ 'n7'/);
      const pause = await memlab(['fault', 'pause', 'n2', '--state', state]);
      expect(pause.stdout).toMatch(/paused \(SIGSTOP\) n2/);
      const kill = await memlab(['fault', 'kill', 'n2', '--state', state]);
      expect(kill.stdout).toMatch(/killed n2 \(SIGKILL to \d+\)/);
      await waitFor('n2 gone', () => !pidAlive(s.nodes[1].pid!), 5000);
    } finally {
      const d = await memlab(['down', '--state', state]);
      expect(d.code).toBe(0);
      expect(d.stdout).toMatch(/stopped supervisor \d+/);
    }
    for (const p of procsOf(s)) await waitFor(`pid ${p} to exit`, () => !pidAlive(p), 10_000);
    expect(existsSync(state)).toBe(false);
    expect(netnsList()).toEqual(netnsBefore);
    const again = await memlab(['down', '--state', state]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/no cluster .* nothing to do/);
  });

  it('a supervisor killed with -9 takes its children along; status says so and down cleans up', async () => {
    const state = path.join(tmpDir(), 'state.json');
    const upR = await memlab(['up', '--detach', '--replicas', '1', '--azs', '2', '--net', 'none', '--state', state]);
    expect(upR.code).toBe(0);
    const s = readState(state)!;
    expect(s.net.backend).toBe('none');
    expect(s.proxy).toBeNull();
    // --net none has no links: cut refuses and says why; kill still works.
    const cut = await memlab(['fault', 'cut', 'n1', '--state', state]);
    expect(cut.stderr).toMatch(/cut is unavailable with --net none: there are no links/);
    process.kill(s.supervisor.pid, 'SIGKILL');
    // Children watch their stdin: the pipe closed with the supervisor.
    for (const n of s.nodes) await waitFor(`${n.id} to exit after its supervisor`, () => !pidAlive(n.pid!), 10_000);
    const st = await memlab(['status', '--no-probe', '--state', state]);
    expect(st.stdout).toMatch(/supervisor pid \d+ GONE/);
    expect(st.stdout).toMatch(/the supervisor is not running/);
    const d = await memlab(['down', '--state', state]);
    expect(d.stdout).toMatch(/already gone: supervisor \d+/);
    expect(existsSync(state)).toBe(false);
  });

  it('refuses what this machine cannot do, with the reason', async () => {
    const state = path.join(tmpDir(), 'state.json');
    const docker = await memlab(['up', '--backend', 'docker', '--state', state]);
    expect(docker.code).toBe(2);
    expect(docker.stderr).toMatch(/docker backend unavailable: no container engine found \(testcontainers: .*\)\. Use --backend process\./);
    if (!(await detectNetem()).ok) {
      const netem = await memlab(['up', '--net', 'netem', '--state', state]);
      expect(netem.code).toBe(2);
      expect(netem.stderr).toMatch(/^memlab: netem backend unavailable: .*Use --net proxy \(the userspace delay line\) instead\./);
    } else console.log('skipping the --net netem refusal: netem works on this machine');
    const badRtt = await memlab(['up', '--rtt', 'soon', '--state', state]);
    expect(badRtt.stderr).toMatch(/--rtt must be a duration/);
    expect(existsSync(state)).toBe(false);
    const none = await memlab(['status', '--state', state]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no cluster \(no state file at/);
  });
});
