import type { CommandSpec } from './types.js';

export const pubsubCommands: CommandSpec[] = [];
