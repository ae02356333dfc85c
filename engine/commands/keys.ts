import { command } from './define.js';
import type { CommandSpec } from './types.js';

const meta = (summary: string, since: string, complexity: string, syntax?: string) => ({
  group: 'generic' as const,
  summary,
  since,
  complexity,
  syntax,
});

const del = command('del', -2, ['write'], [1, -1, 1], meta('Deletes one or more keys.', '1.0.0', 'O(N)', 'key [key ...]'), (ctx, argv) => {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (ctx.db.get(argv[i], ctx.now) !== undefined && ctx.db.delete(argv[i])) n++;
  }
  if (n) ctx.dirty(n);
  return n;
});

const exists = command('exists', -2, ['readonly', 'fast'], [1, -1, 1], meta('Determines whether one or more keys exist.', '1.0.0', 'O(N)', 'key [key ...]'), (ctx, argv) => {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.get(argv[i], ctx.now) !== undefined) n++;
  return n;
});

export const keyCommands: CommandSpec[] = [del, exists];
