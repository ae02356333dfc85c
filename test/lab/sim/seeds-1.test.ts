import { describe, it } from 'vitest';
import { emptyCoverage, expectCoverage, runRange } from './seeds.js';

// CI's share of seeds (1..1000); the other share runs in a parallel file.
describe('durable log simulator: seeds 1..1000 pass every check', () => {
  const cov = emptyCoverage();
  for (let k = 0; k < 4; k++) {
    const from = 1 + k * 250;
    it(`seeds ${from}..${from + 249}`, () => runRange(from, from + 250, cov), 180_000);
  }
  it('covered paused-and-deposed writers, unsynced log loss, repeated failovers, snapshots', () => expectCoverage(cov));
});
