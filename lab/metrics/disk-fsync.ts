/**
 * The disk's group-commit cost, as the write-latency bound of durable mode counts it: n
 * writes of 4 KiB, each followed by fdatasync, in the directory the log replicas use, over
 * zeros written beforehand, as the log replicas write (engine/log/node/storage.ts: the
 * fdatasync then flushes data only, not the file's size too).
 */
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** Median fdatasync time (ms) of `n` 4 KiB writes in `dir`. */
export function diskFsyncP50(dir: string, n = 300): number {
  mkdirSync(dir, { recursive: true });
  const f = path.join(dir, `fsync-probe-${process.pid}`);
  const fd = openSync(f, 'w+');
  const buf = Buffer.alloc(4096, 7);
  const t: number[] = [];
  try {
    writeSync(fd, Buffer.alloc(4096 * n), 0, 4096 * n, 0);
    fsyncSync(fd);
    for (let i = 0; i < n; i++) {
      writeSync(fd, buf, 0, buf.length, i * 4096);
      const t0 = performance.now();
      fdatasyncSync(fd);
      t.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(f, { force: true });
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}
