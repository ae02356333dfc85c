import type { CommandSpec } from './types.js';

export const transactionCommands: CommandSpec[] = [];
