/**
 * `memlab down`: stop exactly the processes a state file lists, by PID (and start time),
 * supervisor first so it restarts nothing; undo what the netem runner created; remove the
 * state file. Safe to run twice, and when the supervisor died.
 */
import { rmSync } from 'node:fs';
import { execArgv, NetRunner, type Exec } from '../network/namespaces.js';
import { ClusterControl } from './control.js';
import { isAlive, signal, stopProcess, waitGone, type ProcId } from './procs.js';
import { readState, removeState } from './state.js';

export interface DownReport {
  found: boolean;
  /** What was running and got stopped: "supervisor 1234", "n1 1240"... */
  stopped: string[];
  /** Listed but already gone. */
  gone: string[];
  /** Undo commands that failed. */
  netErrors: string[];
  netUndone: number;
}

export async function down(statePath: string, opts: { keepRunDir?: boolean; exec?: Exec; log?: (l: string) => void } = {}): Promise<DownReport> {
  const report: DownReport = { found: false, stopped: [], gone: [], netErrors: [], netUndone: 0 };
  const s = readState(statePath);
  if (!s) return report;
  report.found = true;
  const sup: ProcId = { pid: s.supervisor.pid, startTime: s.supervisor.startTime };
  if (isAlive(sup)) {
    // Ask first: the supervisor may live inside another program (memlab bench), which must survive.
    let asked = false;
    try {
      const c = await ClusterControl.connect(s.supervisor.control, 2000);
      try {
        await c.call('stop', { keepRunDir: opts.keepRunDir === true });
        asked = true;
      } finally {
        c.close();
      }
    } catch {
      asked = false;
    }
    const end = Date.now() + 10_000;
    while (asked && Date.now() < end && readState(statePath) && isAlive(sup)) await new Promise((r) => setTimeout(r, 20));
    if (readState(statePath) && isAlive(sup)) {
      // Unresponsive: a dedicated supervisor process; its children go with its pipes.
      signal(sup, 'SIGCONT');
      signal(sup, 'SIGTERM');
      if (!(await waitGone(sup, 5000))) {
        signal(sup, 'SIGKILL');
        await waitGone(sup, 5000);
      }
    }
    report.stopped.push(`supervisor ${sup.pid}`);
  } else report.gone.push(`supervisor ${sup.pid}`);

  const procs: { what: string; id: ProcId }[] = [];
  if (s.proxy) procs.push({ what: `proxy ${s.proxy.pid}`, id: { pid: s.proxy.pid, startTime: s.proxy.startTime } });
  for (const n of s.nodes) if (n.pid !== null) procs.push({ what: `${n.id} ${n.pid}`, id: { pid: n.pid, startTime: n.startTime } });
  await Promise.all(
    procs.map(async (p) => {
      if (!isAlive(p.id)) {
        if (!report.stopped.includes(`supervisor ${sup.pid}`)) report.gone.push(p.what);
        return;
      }
      // A paused node ignores everything but SIGKILL and SIGCONT; it holds no state worth saving here.
      signal(p.id, 'SIGCONT');
      await stopProcess(p.id, 500);
      report.stopped.push(p.what);
    }),
  );

  if (s.net.created.length) {
    const runner = new NetRunner(opts.exec ?? execArgv, s.net.created);
    report.netUndone = s.net.created.length;
    report.netErrors = await runner.teardown();
  }
  removeState(statePath);
  if (!opts.keepRunDir) rmSync(s.runDir, { recursive: true, force: true });
  return report;
}
