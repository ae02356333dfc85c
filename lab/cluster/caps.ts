/**
 * What this build's processes support (replication flags, log replicas), read from the
 * compiled CLI's option declarations: instant, where spawning `--help` twice costs seconds on
 * a loaded machine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI_ENTRY } from './paths.js';
import type { Capabilities } from './plan.js';

/** The compiled cli/*.js next to the entry point, concatenated. */
function cliText(): string {
  const dir = path.dirname(CLI_ENTRY);
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

let cached: Capabilities | null = null;

export function detectCapabilities(): Promise<Capabilities> {
  if (!cached) {
    const text = cliText();
    cached = {
      replicaofFlag: /\.option\(\s*['"]--replicaof\b/.test(text),
      lognode: /\.command\(\s*['"]lognode['"]/.test(text) && /\.option\(\s*['"]--log <list>/.test(text),
    };
  }
  return Promise.resolve(cached);
}

export const DURABLE_UNAVAILABLE =
  'durable mode is not available in this build: the log replica process (`memlab lognode`) does not exist yet. Use --mode plain or --mode wait.';
