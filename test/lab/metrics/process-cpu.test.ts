import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processCpuMs } from '../../../lab/metrics/process-cpu.js';

const haveProc = existsSync('/proc/self/stat');
if (!haveProc) console.log('skipping process CPU tests: no /proc on this machine');

describe.skipIf(!haveProc)('processCpuMs', () => {
  it('grows by about the CPU a process burns, and is null for a process that is gone', async () => {
    // A child that burns 300 ms of CPU (its own count, so a loaded machine only slows it), then says so.
    const child = spawn(process.execPath, ['-e', 'while (process.cpuUsage().user < 300000); console.log("done"); setTimeout(() => {}, 10000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = child.pid!;
      const before = processCpuMs(pid)!;
      expect(before).toBeGreaterThanOrEqual(0);
      await new Promise<void>((r) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('done') && r()));
      const after = processCpuMs(pid)!;
      expect(after - before).toBeGreaterThanOrEqual(250);
      expect(after).toBeLessThan(5000);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    expect(processCpuMs(child.pid!)).toBeNull();
  });

  it("reads this process's own time (a command name may hold spaces and parentheses)", () => {
    const own = processCpuMs(process.pid)!;
    const usage = process.cpuUsage();
    expect(own).toBeGreaterThan(0);
    // /proc counts in 10 ms ticks: within a tick per field, plus what passed between the reads.
    expect(Math.abs(own - (usage.user + usage.system) / 1000)).toBeLessThan(50);
  });
});
