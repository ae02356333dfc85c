import type { CommandSpec } from './types.js';

export const listCommands: CommandSpec[] = [];
