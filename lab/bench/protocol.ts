/** Messages between the bench runner (main thread) and its load workers. */
import type { OpIntervalWire } from '../metrics/series.js';
import type { LoadFinal } from './load.js';

export type ToWorker = { type: 'start'; startAtEpochMs: number } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'interval'; second: number; ops: Record<string, OpIntervalWire> }
  | { type: 'done'; final: LoadFinal }
  | { type: 'error'; message: string };
