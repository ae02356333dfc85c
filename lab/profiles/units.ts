/**
 * Units in profiles and flags: durations ("1ms", "0.5ms", "250us", "2s", "1m"), sizes
 * ("16", "1kb", "4KiB", "1mb"), rates ("10000/s", "10k").
 */

const DURATION = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)$/;

/** Parse a duration to milliseconds; null when malformed. Bare numbers are milliseconds. */
export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null;
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = DURATION.exec(t);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2];
  const mult = unit === 'us' || unit === 'µs' ? 0.001 : unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return n * mult;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib|k|m|g)?$/i;

/** Parse a size to bytes (kb = 1000, kib = 1024, as the suffix says); null when malformed. */
export function parseSize(text: string | number): number | null {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : null;
  const m = SIZE.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, k: 1000, kb: 1000, kib: 1024, m: 1e6, mb: 1e6, mib: 1048576, g: 1e9, gb: 1e9, gib: 1073741824 };
  return Math.round(Number(m[1]) * mult[unit]);
}

/** Parse a rate ("10000", "10000/s", "10k", "1.5k/s") to operations per second; null when malformed. */
export function parseRate(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? text : null;
  const m = /^(\d+(?:\.\d+)?)\s*(k|m)?\s*(\/s)?$/i.exec(text.trim());
  if (!m) return null;
  const mult = !m[2] ? 1 : m[2].toLowerCase() === 'k' ? 1000 : 1e6;
  return Number(m[1]) * mult;
}

export function formatDuration(ms: number): string {
  if (ms < 1) return `${+(ms * 1000).toFixed(1)}us`;
  if (ms < 1000) return `${+ms.toFixed(3)}ms`;
  return `${+(ms / 1000).toFixed(3)}s`;
}
