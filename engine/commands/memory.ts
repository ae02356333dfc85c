import { ErrorReply, MapReply, OK, type Reply } from '../resp/reply.js';
import { command } from './define.js';
import { SYNTAX } from './errors.js';
import { parseSafeInt } from './args.js';
import { typeOf, type Value } from '../store/value.js';
import type { CommandSpec } from './types.js';

const meta = (summary: string, since: string, syntax?: string) => ({ group: 'server' as const, summary, since, complexity: 'O(N)', syntax });

// V8 object sizes on 64-bit without pointer compression (Node's default build).
const STRING_HEADER = 16;
const MAP_ENTRY = 24;
const OBJECT = 32;

function stringBytes(s: string): number {
  return STRING_HEADER + ((s.length + 7) & ~7);
}

/**
 * An estimate of a key's footprint in V8's heap, for MEMORY USAGE. Redis reports allocator
 * sizes; ours are computed from V8's object layout, sampling `samples` elements of big
 * collections as Redis does.
 */
export function estimateUsage(key: string, v: Value, samples: number): number {
  let n = stringBytes(key) + MAP_ENTRY;
  if (typeof v === 'string') return n + stringBytes(v);
  const t = typeOf(v);
  let size = 0;
  let total = 0;
  let seen = 0;
  const add = (bytes: number) => {
    total += bytes;
    seen++;
  };
  if (t === 'hash') {
    size = (v as Map<string, string>).size;
    for (const [f, x] of v as Map<string, string>) {
      add(stringBytes(f) + stringBytes(x) + MAP_ENTRY);
      if (samples && seen >= samples) break;
    }
  } else if (t === 'set') {
    size = (v as Set<string>).size;
    for (const m of v as Set<string>) {
      add(stringBytes(m) + MAP_ENTRY);
      if (samples && seen >= samples) break;
    }
  } else if (t === 'list') {
    const l = v as { length: number; [Symbol.iterator](): Iterator<string> };
    size = l.length;
    for (const m of l as Iterable<string>) {
      add(stringBytes(m) + 8);
      if (samples && seen >= samples) break;
    }
  } else {
    const z = v as { size: number; entries(): IterableIterator<[string, number]> };
    size = z.size;
    for (const [m] of z.entries()) {
      // member string, map entry, skiplist node with a few levels
      add(stringBytes(m) + MAP_ENTRY + 64);
      if (samples && seen >= samples) break;
    }
  }
  n += OBJECT;
  if (seen) n += Math.round((total / seen) * size);
  return n;
}

const usage = command('memory|usage', -3, ['readonly'], [2, 2, 1], meta('Estimates the memory usage of a key.', '4.0.0', 'key [SAMPLES count]'), (ctx, argv) => {
  let samples = 5;
  for (let i = 3; i < argv.length; i++) {
    if (argv[i].toLowerCase() === 'samples' && i + 1 < argv.length) {
      const n = parseSafeInt(argv[++i]);
      if (n === null || n < 0) return new ErrorReply('ERR value is not an integer or out of range');
      samples = n;
    } else return SYNTAX;
  }
  const v = ctx.db.get(argv[2], ctx.now);
  return v === undefined ? null : estimateUsage(argv[2], v, samples);
});

const gc = (globalThis as { gc?: () => void }).gc;

/** Redis asks jemalloc to release pages; here: a full V8 collection when --expose-gc is on. */
const purge = command('memory|purge', 2, [], [0, 0, 0], meta('Asks the allocator to release memory.', '4.0.0'), () => {
  if (gc) gc();
  return OK;
});

const stats = command('memory|stats', 2, [], [0, 0, 0], meta('Returns details about memory usage.', '4.0.0'), (ctx) => {
  const m = process.memoryUsage();
  let keys = 0;
  for (const db of ctx.server.dbs) keys += db.size;
  const used = m.heapUsed + m.external;
  const entries: [Reply, Reply][] = [
    ['peak.allocated', m.heapTotal + m.external],
    ['total.allocated', used],
    ['startup.allocated', 0],
    ['keys.count', keys],
    ['keys.bytes-per-key', keys ? Math.floor(used / keys) : 0],
    ['dataset.bytes', used],
    ['rss', m.rss],
  ];
  return new MapReply(entries);
});

const doctor = command('memory|doctor', 2, [], [0, 0, 0], meta('Outputs a memory problems report.', '4.0.0'), () =>
  'Hi Sam, this instance is a memlab engine on V8; see MEMORY STATS for heap figures.',
);

const memory = command(
  'memory',
  -2,
  [],
  [0, 0, 0],
  { ...meta('A container for memory diagnostics commands.', '4.0.0'), subcommands: [usage, purge, stats, doctor] },
  () => SYNTAX,
);

export const memoryCommands: CommandSpec[] = [memory];
