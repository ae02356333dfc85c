/** Seeded randomness, key choosers (uniform, zipfian, sequential), key names and values. */

/** mulberry32: small, fast, seedable; good enough to pick keys, not for crypto. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KeyChooser {
  /** Next key index in [0, count). */
  next(): number;
}

export function uniformChooser(count: number, random: () => number): KeyChooser {
  return { next: () => Math.floor(random() * count) };
}

/** Each chooser walks its own stride of the key space, wrapping around. */
export function sequentialChooser(count: number, start: number): KeyChooser {
  let i = ((start % count) + count) % count;
  return {
    next: () => {
      const k = i;
      i = i + 1 === count ? 0 : i + 1;
      return k;
    },
  };
}

const zetaCache = new Map<string, number>();

function zeta(n: number, theta: number): number {
  const id = `${n}:${theta}`;
  let z = zetaCache.get(id);
  if (z === undefined) {
    z = 0;
    for (let i = 1; i <= n; i++) z += 1 / Math.pow(i, theta);
    zetaCache.set(id, z);
  }
  return z;
}

/**
 * Zipfian over [0, count) with exponent theta in (0, 1): index 0 is the hottest key
 * (Gray et al., "Quickly generating billion-record synthetic databases", as in YCSB).
 * P(i) = (1 / (i+1)^theta) / zeta(count, theta).
 */
export function zipfianChooser(count: number, theta: number, random: () => number): KeyChooser {
  if (!(theta > 0 && theta < 1)) throw new Error(`zipfian theta must be in (0, 1), got ${theta}`);
  if (count === 1) return { next: () => 0 };
  const zetan = zeta(count, theta);
  const zeta2 = 1 + Math.pow(0.5, theta);
  const alpha = 1 / (1 - theta);
  const eta = (1 - Math.pow(2 / count, 1 - theta)) / (1 - zeta2 / zetan);
  const half = 1 + Math.pow(0.5, theta);
  return {
    next: () => {
      const u = random();
      const uz = u * zetan;
      if (uz < 1) return 0;
      if (uz < half) return 1;
      const k = Math.floor(count * Math.pow(eta * u - eta + 1, alpha));
      return k >= count ? count - 1 : k;
    },
  };
}

/** Exact zipfian probability of index i (for tests and docs). */
export function zipfianProbability(count: number, theta: number, i: number): number {
  return 1 / Math.pow(i + 1, theta) / zeta(count, theta);
}

/** Fixed-width key names, so every key of a workload has the same length. */
export function keyNamer(prefix: string, count: number): (i: number) => string {
  const width = String(Math.max(0, count - 1)).length;
  return (i) => prefix + String(i).padStart(width, '0');
}

/** Random printable-ASCII values (1 char = 1 byte on the wire) cut from one pool. */
export function valueMaker(min: number, max: number, random: () => number): () => string {
  const poolLen = Math.max(65_536, 2 * max);
  const chars: string[] = new Array(poolLen);
  for (let i = 0; i < poolLen; i++) chars[i] = String.fromCharCode(33 + Math.floor(random() * 94));
  const pool = chars.join('');
  return () => {
    const len = min === max ? min : min + Math.floor(random() * (max - min + 1));
    const at = Math.floor(random() * (poolLen - len + 1));
    return pool.substring(at, at + len);
  };
}
