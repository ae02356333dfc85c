import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { CLI_ENTRY, PROXY_ENTRY } from '../../../lab/cluster/paths.js';

export const built = existsSync(CLI_ENTRY) && existsSync(PROXY_ENTRY);
export const notBuiltReason = `${CLI_ENTRY} or ${PROXY_ENTRY} is not built (run npx tsc -p .)`;

export function tmpDir(prefix = 'memlab-cluster-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function tmpFile(name: string, text: string): string {
  const f = path.join(tmpDir(), name);
  writeFileSync(f, text);
  return f;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    const st = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return !/\) [ZX] /.test(st);
  } catch {
    return false;
  }
}

export function netnsList(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** qdiscs on the root namespace's interfaces (a cluster must leave them as it found them). */
export function rootQdiscs(): string {
  try {
    return execFileSync('tc', ['qdisc', 'show'], { encoding: 'utf8' });
  } catch {
    return '';
  }
}
