/**
 * A process's CPU time so far (user + system, ms) from /proc/<pid>/stat, or null where
 * there is no /proc or no such process. Read twice, it gives what a process costs between
 * the reads: `memlab status --json` reports it per node, bench:durable per run.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime: USER_HZ, 100 on every Linux ABI Node runs on. */
const USER_HZ = 100;

export function processCpuMs(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : null;
}
