/**
 * Redis's stringmatchlen: glob-style matching on binary strings with `*`, `?`, `[...]`
 * (ranges, `^` negation) and `\` escapes. Used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET.
 */
export function globMatch(pattern: string, str: string, nocase = false): boolean {
  if (nocase) {
    pattern = pattern.toLowerCase();
    str = str.toLowerCase();
  }
  return match(pattern, 0, str, 0, 0);
}

// Nesting bound like Redis's, so a pathological pattern cannot recurse without limit.
const MAX_NESTING = 1000;

function match(p: string, pi: number, s: string, si: number, nesting: number): boolean {
  if (nesting > MAX_NESTING) return false;
  while (pi < p.length && si < s.length) {
    const c = p[pi];
    if (c === '*') {
      while (pi + 1 < p.length && p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k < s.length; k++) {
        if (match(p, pi + 1, s, k, nesting + 1)) return true;
      }
      return false;
    } else if (c === '?') {
      si++;
    } else if (c === '[') {
      pi++;
      const not = p[pi] === '^';
      if (not) pi++;
      let matched = false;
      for (;;) {
        if (pi >= p.length) {
          pi--;
          break;
        }
        if (p[pi] === '\\' && pi + 1 < p.length) {
          pi++;
          if (p[pi] === s[si]) matched = true;
        } else if (p[pi] === ']') {
          break;
        } else if (pi + 2 < p.length && p[pi + 1] === '-') {
          let lo = p.charCodeAt(pi);
          let hi = p.charCodeAt(pi + 2);
          if (lo > hi) [lo, hi] = [hi, lo];
          const sc = s.charCodeAt(si);
          pi += 2;
          if (sc >= lo && sc <= hi) matched = true;
        } else if (p[pi] === s[si]) {
          matched = true;
        }
        pi++;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      si++;
    } else {
      if (c === '\\' && pi + 1 < p.length) pi++;
      if (p[pi] !== s[si]) return false;
      si++;
    }
    pi++;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length && si === s.length;
}
