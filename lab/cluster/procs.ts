/**
 * Processes of a lab cluster: spawn with a stdin pipe the child watches (it exits when the
 * supervisor's end closes, however the supervisor dies), and signal strictly by PID *and*
 * start time, so a recycled PID is never hit by `memlab down` or a fault.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_ENTRY } from './paths.js';

export interface ProcId {
  pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot), as a string. */
  startTime: string | null;
}

function stat(pid: number): { state: string; startTime: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], startTime: rest[19] };
  } catch {
    return null;
  }
}

export function procStartTime(pid: number): string | null {
  return stat(pid)?.startTime ?? null;
}

export function identify(pid: number): ProcId {
  return { pid, startTime: procStartTime(pid) };
}

/** The same process still exists and is not a zombie. */
export function isAlive(p: ProcId | null | undefined): boolean {
  if (!p || !Number.isInteger(p.pid) || p.pid <= 1) return false;
  const st = stat(p.pid);
  if (st) {
    if (st.state === 'Z' || st.state === 'X') return false;
    return p.startTime === null || st.startTime === p.startTime;
  }
  if (existsSync('/proc/self/stat')) return false;
  try {
    process.kill(p.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGSTOPped ('T')? */
export function isStopped(p: ProcId): boolean {
  const st = stat(p.pid);
  return !!st && (st.state === 'T' || st.state === 't');
}

/** Send a signal if it is still the same process; returns whether it was sent. */
export function signal(p: ProcId, sig: NodeJS.Signals): boolean {
  if (!isAlive(p)) return false;
  try {
    process.kill(p.pid, sig);
    return true;
  } catch {
    return false;
  }
}

export async function waitGone(p: ProcId, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (isAlive(p)) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** SIGCONT (a paused process ignores SIGTERM until resumed), SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(p: ProcId, graceMs = 2000): Promise<void> {
  if (!isAlive(p)) return;
  signal(p, 'SIGCONT');
  signal(p, 'SIGTERM');
  if (await waitGone(p, graceMs)) return;
  signal(p, 'SIGKILL');
  await waitGone(p, 5000);
}

export interface Spawned {
  child: ChildProcess;
  id: ProcId;
  /** Resolves with the exit code or signal once it exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `node <cli> <args>` with stdin a pipe we hold (the child's --exit-with-parent watch), and
 * stdout/stderr appended to `logFile`. `prefix` runs it under another program
 * (`ip netns exec NS`), which execs it, so the PID is still the node's.
 */
export function spawnMemlab(args: string[], logFile: string, opts: { prefix?: string[]; cwd?: string } = {}): Spawned {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  const argv = [...(opts.prefix ?? []), process.execPath, NODE_ENTRY, ...args];
  let child: ChildProcess;
  try {
    child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', fd, fd], cwd: opts.cwd });
  } finally {
    closeSync(fd);
  }
  child.stdin!.on('error', () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    child.once('error', () => resolve({ code: 127, signal: null }));
  });
  return { child, id: identify(child.pid ?? -1), exited };
}

/** The last lines of a log file (why a node failed to start). */
export function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
