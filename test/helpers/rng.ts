/** Deterministic PRNG (mulberry32): seeded tests whose failures reproduce. The workloads' own. */
export { rng } from '../../lab/workloads/keys.js';
