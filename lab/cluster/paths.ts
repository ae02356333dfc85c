/** Where the compiled entry points are, from the source tree (vitest) or from dist/. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'memlab') return dir;
      } catch {
        // not ours: keep climbing
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('memlab: cannot find the repository root (package.json named memlab)');
    dir = up;
  }
}

export const REPO_ROOT = findRepoRoot();
/** The memlab CLI every lab process runs (`node <CLI_ENTRY> server ...`). */
export const CLI_ENTRY = process.env.MEMLAB_CLI_ENTRY ?? path.join(REPO_ROOT, 'dist/cli/main.js');
/** What node processes run: the light entry (server and lognode only) when built, else the CLI. */
export const NODE_ENTRY = process.env.MEMLAB_CLI_ENTRY ?? [path.join(REPO_ROOT, 'dist/lab/cluster/node-main.js')].find((f) => existsSync(f)) ?? CLI_ENTRY;
export const PROXY_ENTRY = process.env.MEMLAB_PROXY_ENTRY ?? path.join(REPO_ROOT, 'dist/lab/network/proxy-main.js');

export function requireBuilt(): void {
  for (const f of [CLI_ENTRY, PROXY_ENTRY]) {
    if (!existsSync(f)) throw new Error(`${f} is not built: run npx tsc -p . first`);
  }
}
