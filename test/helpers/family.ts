import { afterAll, beforeAll } from 'vitest';
import type { Redis } from 'ioredis';
import type { Effect } from '../../engine/commands/types.js';
import { startEngine, type TestEngine } from './engine.js';
import { haveRedisServer, startRealRedis, type RealRedis } from './redis-server.js';

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const NOT_INT = 'ERR value is not an integer or out of range';

/** The message of the error reply `p` rejects with; throws if it resolves. */
export async function err(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error reply');
}

export interface FamilyOptions {
  /** Open the shared ioredis client `r` (default true); off where an extra connection would show. */
  client?: boolean;
  /** Also start a real redis-server; names the differential tests skipped when none is installed. */
  real?: string;
}

export interface Family {
  readonly engine: TestEngine;
  readonly r: Redis;
  /** Null when redis-server is not installed (the skip is printed once). */
  readonly real: RealRedis | null;
  /** Every effect the engine emitted, copied, in order; tests may clear it. */
  readonly effects: Effect[];
  /** The same effects as the batches the sinks received; tests may clear it. */
  readonly batches: Effect[][];
  /** The effects emitted while `fn` runs, as argv arrays. */
  effectsOf(fn: () => Promise<unknown>): Promise<string[][]>;
  /** The effects emitted while `fn` runs. */
  effectsDuring(fn: () => Promise<unknown>): Promise<Effect[]>;
  err(p: Promise<unknown>): Promise<string>;
  readonly WRONGTYPE: string;
}

/**
 * The setup every command-family test file shares: one engine recording its effects, a client,
 * and optionally a real redis-server. Call at the top level; it registers beforeAll/afterAll,
 * and the engine, client and server are readable from inside tests and hooks.
 */
export function family(opts: FamilyOptions = {}): Family {
  let engine: TestEngine | undefined;
  let r: Redis | undefined;
  let real: RealRedis | null = null;
  const effects: Effect[] = [];
  const batches: Effect[][] = [];

  beforeAll(async () => {
    engine = await startEngine();
    engine.server.sinks.push({
      append(batch) {
        // Copied: some tests compare whole effects after the engine is done with the batch.
        const copy = batch.map((e) => ({ db: e.db, argv: [...e.argv] }));
        batches.push(copy);
        effects.push(...copy);
        return 0;
      },
    });
    if (opts.client !== false) r = engine.client();
    if (opts.real === undefined) return;
    if (haveRedisServer()) real = await startRealRedis();
    else console.log(`redis-server not installed: differential ${opts.real} tests skipped`);
  });
  afterAll(async () => {
    await engine?.stop();
    await real?.stop();
  });

  const effectsDuring = async (fn: () => Promise<unknown>): Promise<Effect[]> => {
    const from = effects.length;
    await fn();
    return effects.slice(from);
  };
  return {
    get engine() {
      if (!engine) throw new Error('family(): engine used before beforeAll ran');
      return engine;
    },
    get r() {
      if (!r) throw new Error(opts.client === false ? 'family({ client: false }) has no client' : 'family(): client used before beforeAll ran');
      return r;
    },
    get real() {
      return real;
    },
    effects,
    batches,
    effectsDuring,
    effectsOf: async (fn) => (await effectsDuring(fn)).map((e) => e.argv),
    err,
    WRONGTYPE,
  };
}
