import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { haveRedisServer, startRealRedis, type RealRedis } from '../../helpers/redis-server.js';
import { runSequence, type RunResult } from './runner.js';
import { Conn } from './resp.js';

/**
 * The whole-engine differential test: seeded command sequences over every family (strings,
 * bitmaps, keys and expiry, hashes, lists, sets, sorted sets, MULTI/EXEC/WATCH, SELECT, and
 * errors of every kind) against the engine and Debian's redis-server, replies compared byte
 * for byte except where Redis leaves the order or the value unspecified (see resp.ts Mode),
 * and DEBUG DIGEST of both datasets compared every 200 steps and at the end.
 *
 * CI runs a few seeds. More, locally:
 *   MEMLAB_DIFF_SEEDS=200 [MEMLAB_DIFF_SEED_START=1000] [MEMLAB_DIFF_STEPS=3000] \
 *     npx vitest run test/engine/differential
 * (every fourth seed runs in RESP3). A failure prints the seed, the step, both replies and
 * the commands before it.
 */

const available = haveRedisServer();
if (!available) console.log('skipping the whole-engine differential test: redis-server is not installed');

const manySeeds = Number(process.env.MEMLAB_DIFF_SEEDS ?? 0);
if (!(manySeeds > 0)) console.log('skipping the long differential run: set MEMLAB_DIFF_SEEDS=N for N more seeds (the default seeds above run every time)');
const seedStart = Number(process.env.MEMLAB_DIFF_SEED_START ?? 1000);
const manySteps = Number(process.env.MEMLAB_DIFF_STEPS ?? 3000);

describe.skipIf(!available)('whole engine against redis-server', () => {
  let engine: TestEngine;
  let redis: RealRedis;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-diff-'));
    mkdirSync(path.join(dir, 'engine'));
    engine = await startEngine({ dir: path.join(dir, 'engine') });
    redis = await startRealRedis(['--enable-debug-command', 'yes', '--dir', dir]);
  });
  afterAll(async () => {
    await engine?.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (seed: number, steps: number, proto: 2 | 3): Promise<RunResult> =>
    runSequence({ name: 'engine', port: engine.port }, { name: 'redis', port: redis.port }, seed, steps, proto);

  for (const [seed, steps, proto] of [
    [1, 2500, 2],
    [2, 2500, 2],
    [3, 1500, 3],
  ] as const) {
    it(`agrees on seed ${seed}: ${steps} steps over every family (RESP${proto})`, { timeout: 120_000 }, async () => {
      const res = await run(seed, steps, proto);
      expect(res.failure, res.failure ?? '').toBeNull();
      expect(res.steps).toBe(steps);
      expect(res.commands).toBeGreaterThan(steps / 2);
      expect(res.digests).toBeGreaterThan(steps / 400);
    });
  }

  it('blocks BZPOPMIN with a timeout of -0.001 forever, as Redis does (rounds to 0)', async () => {
    for (const port of [engine.port, redis.port]) {
      const [a, b] = [await Conn.open(port), await Conn.open(port)];
      try {
        await a.call(['DEL', 'bz:neg']);
        let answered: string | null = null;
        const pending = a.call(['BZPOPMIN', 'bz:neg', '-0.001']).then((r) => (answered = r));
        await new Promise((r) => setTimeout(r, 150));
        expect(answered).toBeNull();
        expect(await b.call(['ZADD', 'bz:neg', '1', 'm'])).toBe(':1\r\n');
        expect(await pending).toBe('*3\r\n$6\r\nbz:neg\r\n$1\r\nm\r\n$1\r\n1\r\n');
        // Just below the rounding point is negative.
        expect(await a.call(['BLPOP', 'bz:neg', '-0.0010000000000000001'])).toBe('-ERR timeout is negative\r\n');
      } finally {
        a.close();
        b.close();
      }
    }
  });

  it.runIf(manySeeds > 0)(`agrees on ${manySeeds} more seeds from ${seedStart} (${manySteps} steps each)`, { timeout: 0 }, async () => {
    const failures: string[] = [];
    for (let i = 0; i < manySeeds; i++) {
      const seed = seedStart + i;
      const res = await run(seed, manySteps, i % 4 === 3 ? 3 : 2);
      if (res.failure) {
        failures.push(res.failure);
        console.log(res.failure + '\n');
      }
    }
    expect(failures, `${failures.length} of ${manySeeds} seeds disagreed`).toEqual([]);
  });
});
