import type { CommandFlag, CommandGroup, CommandSpec, Handler } from './types.js';

export interface CommandMeta {
  group: CommandGroup;
  summary: string;
  since: string;
  complexity?: string;
  syntax?: string;
  keys?: (argv: string[]) => number[];
  subcommands?: CommandSpec[];
}

/**
 * Declare a command: `command('get', 2, ['readonly', 'fast'], [1, 1, 1], meta, handler)`.
 * Key positions are Redis's (first, last, step); [0, 0, 0] for none.
 */
export function command(
  name: string,
  arity: number,
  flags: CommandFlag[],
  keys: [number, number, number],
  meta: CommandMeta,
  handler: Handler,
): CommandSpec {
  return {
    name,
    arity,
    flags,
    firstKey: keys[0],
    lastKey: keys[1],
    step: keys[2],
    keys: meta.keys,
    group: meta.group,
    summary: meta.summary,
    since: meta.since,
    complexity: meta.complexity,
    syntax: meta.syntax,
    subcommands: meta.subcommands,
    handler,
  };
}
