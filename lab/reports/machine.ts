/** The machine a run ran on (machine.json; docs/results-format.md). */
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface MachineInfo {
  recordedAt: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  arch: string;
  kernel: string;
  kernelVersion: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  return {
    recordedAt: new Date().toISOString(),
    cpuModel: os.cpus()[0]?.model?.trim() || 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    kernel: os.release(),
    kernelVersion: os.version(),
    node: process.version,
  };
}

/** Writes RUN_DIR/machine.json unless the run has one already. */
export function recordMachine(runDir: string): void {
  const file = path.join(runDir, 'machine.json');
  if (!existsSync(file)) writeFileSync(file, JSON.stringify(machineInfo(), null, 2) + '\n');
}
