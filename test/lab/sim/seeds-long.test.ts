import { describe, it } from 'vitest';
import { emptyCoverage, expectCoverage, runRange } from './seeds.js';

// Longer schedules (3x: 3.6-7.2 s of faults, 15-30 faults each): many failovers per seed.
describe('durable log simulator: 500 long schedules pass every check', () => {
  const cov = emptyCoverage();
  for (let k = 0; k < 4; k++) {
    const from = 100_001 + k * 125;
    it(`long seeds ${from}..${from + 124}`, () => runRange(from, from + 125, cov, 3), 180_000);
  }
  it('covered the hard cases', () => expectCoverage(cov));
});
