import type { CommandSpec } from './types.js';

export const sortedSetCommands: CommandSpec[] = [];
