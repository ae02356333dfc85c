import { describe, expect, it } from 'vitest';
import { type LexBound, lexGteMin, lexLteMax, type LexRange, memberOf, nextOf, prevOf, type ScoreRange, scoreOf, SortedSet, type ZNode } from '../../../engine/store/sorted-set.js';
import { rng as prng } from '../../helpers/rng.js';

type Entry = [string, number];

const cmp = (a: Entry, b: Entry) => (a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

function inScore(s: number, r: ScoreRange): boolean {
  return (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max);
}
function lexCmp(m: string, b: LexBound): number {
  if (b.inf !== 0) return -b.inf;
  return m < b.value ? -1 : m > b.value ? 1 : 0;
}
function inLex(m: string, r: LexRange): boolean {
  const a = lexCmp(m, r.min);
  const b = lexCmp(m, r.max);
  return (r.min.ex ? a > 0 : a >= 0) && (r.max.ex ? b < 0 : b <= 0);
}

/** zzlIsInLexRange: ranges empty by their bounds, or missing the first/last element. */
function lexPrecheck(arr: Entry[], r: LexRange): boolean {
  const a = r.min;
  const b = r.max;
  const c = a.inf !== 0 || b.inf !== 0 ? Math.sign(a.inf - b.inf) : a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (c > 0 || (c === 0 && (a.ex || b.ex))) return false;
  if (arr.length === 0) return false;
  return lexGteMin(arr[arr.length - 1][0], r) && lexLteMax(arr[0][0], r);
}

function walk(from: ZNode | null, back: boolean): Entry[] {
  const out: Entry[] = [];
  for (let x = from; x !== null; x = back ? prevOf(x) : nextOf(x)) out.push([memberOf(x), scoreOf(x)]);
  return out;
}

describe('SortedSet skiplist against a sorted-array model', () => {
  it('agrees on thousands of random operations, ranks and ranges', () => {
    const rnd = prng(12345);
    const z = new SortedSet();
    const model = new Map<string, number>();
    // Few distinct scores force member tie-breaking; binary members check byte order.
    const members = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? '\xff' : '') + String.fromCharCode(i % 256) + 'm' + (i % 50));
    const scores = [-Infinity, -2.5, -1, -0, 0, 1, 1.5, 2, 3, 1e300, Infinity];
    const pickScore = () => (rnd() < 0.6 ? scores[Math.floor(rnd() * scores.length)] : Math.floor(rnd() * 40) - 20);
    const sorted = (): Entry[] => [...model.entries()].sort(cmp);
    const randomLexBound = (): LexBound => {
      const r = rnd();
      if (r < 0.1) return { value: '', inf: -1, ex: true };
      if (r < 0.2) return { value: '', inf: 1, ex: true };
      return { value: members[Math.floor(rnd() * members.length)].slice(0, 1 + Math.floor(rnd() * 3)), inf: 0, ex: rnd() < 0.5 };
    };

    let sawSmall = false;
    let sawBig = false;
    for (let op = 0; op < 8000; op++) {
      const r = rnd();
      const m = members[Math.floor(rnd() * members.length)];
      // Alternating growth and shrink phases cross the 128-element boundary repeatedly.
      if (r < (op % 2000 < 1000 ? 0.6 : 0.3)) {
        const s = pickScore();
        expect(z.set(m, s)).toBe(!model.has(m));
        // A listpack-sized set stores -0 as 0 (a set converting on this insert keeps it).
        model.set(m, z.listpack && s === 0 ? 0 : s);
      } else if (r < 0.6) {
        expect(z.delete(m)).toBe(model.delete(m));
      } else if (r < 0.61) {
        const arr = sorted();
        const a = Math.floor(rnd() * (arr.length + 2));
        const b = Math.min(arr.length - 1, a + Math.floor(rnd() * 10));
        const n = a <= b ? b - a + 1 : 0;
        expect(a <= b ? z.deleteRangeByRank(a, b) : 0).toBe(n);
        for (const [mm] of arr.slice(a, b + 1)) model.delete(mm);
      } else if (r < 0.62) {
        const lo = pickScore();
        const range: ScoreRange = { min: lo, max: lo + Math.floor(rnd() * 4), minex: rnd() < 0.3, maxex: rnd() < 0.3 };
        const gone = sorted().filter(([, s]) => inScore(s, range));
        expect(z.deleteRangeByScore(range)).toBe(gone.length);
        for (const [mm] of gone) model.delete(mm);
      } else if (r < 0.635) {
        const range: LexRange = { min: randomLexBound(), max: randomLexBound() };
        const arr = sorted();
        const linear = z.listpack;
        const n = z.deleteRangeByLex(range);
        const gone = arr.filter(([mm]) => z.score(mm) === undefined);
        expect(gone.length).toBe(n);
        // A run: every removed member is <= max; mixed scores may break >= min after the first.
        for (const [mm] of gone) expect(lexLteMax(mm, range)).toBe(true);
        if (gone.length) expect(lexGteMin(gone[0][0], range)).toBe(true);
        if (linear && !lexPrecheck(arr, range)) {
          expect(n).toBe(0);
        } else if (linear) {
          // listpack semantics: the run starting at the first element >= min.
          const fi = arr.findIndex(([mm]) => lexGteMin(mm, range));
          const run: string[] = [];
          if (fi >= 0) for (let i = fi; i < arr.length && lexLteMax(arr[i][0], range); i++) run.push(arr[i][0]);
          expect(gone.map(([mm]) => mm)).toEqual(run);
        }
        for (const [mm] of gone) model.delete(mm);
      } else {
        // Queries.
        const arr = sorted();
        expect(z.size).toBe(arr.length);
        expect(z.score(m)).toBe(model.get(m));
        const idx = arr.findIndex(([mm]) => mm === m);
        expect(z.rank(m)).toBe(idx);
        const k = Math.floor(rnd() * (arr.length + 1));
        const node = z.at(k);
        expect(node ? [memberOf(node), scoreOf(node)] : null).toEqual(k < arr.length ? arr[k] : null);
        const lo = pickScore();
        const sr: ScoreRange = { min: lo, max: rnd() < 0.2 ? lo - 1 : lo + Math.floor(rnd() * 6), minex: rnd() < 0.3, maxex: rnd() < 0.3 };
        const inS = arr.filter(([, s]) => inScore(s, sr));
        const f = z.firstInScoreRange(sr);
        const l = z.lastInScoreRange(sr);
        expect(f ? [memberOf(f), scoreOf(f)] : null).toEqual(inS[0] ?? null);
        expect(l ? [memberOf(l), scoreOf(l)] : null).toEqual(inS[inS.length - 1] ?? null);
        expect(z.countInScoreRange(sr)).toBe(inS.length);
        const lr: LexRange = { min: randomLexBound(), max: randomLexBound() };
        const inL = arr.filter(([mm]) => inLex(mm, lr));
        const lf = z.firstInLexRange(lr);
        const ll = z.lastInLexRange(lr);
        // With mixed scores a lex range is not monotone: a listpack follows Redis's
        // linear scan (first match forward, last match backward, then the run).
        if (z.listpack && !lexPrecheck(arr, lr)) {
          expect(lf).toBeNull();
          expect(ll).toBeNull();
          expect(z.countInLexRange(lr)).toBe(0);
        } else if (z.listpack) {
          const fi = arr.findIndex(([mm]) => lexGteMin(mm, lr));
          const wantF = fi >= 0 && inLex(arr[fi][0], lr) ? arr[fi][0] : null;
          let li = arr.length - 1;
          while (li >= 0 && !lexLteMax(arr[li][0], lr)) li--;
          const wantL = li >= 0 && inLex(arr[li][0], lr) ? arr[li][0] : null;
          expect(lf ? memberOf(lf) : null).toBe(wantF);
          expect(ll ? memberOf(ll) : null).toBe(wantL);
          let run = 0;
          if (wantF !== null) for (let i = fi; i < arr.length && lexLteMax(arr[i][0], lr); i++) run++;
          expect(z.countInLexRange(lr)).toBe(run);
        } else {
          if (lf) expect(inLex(memberOf(lf), lr)).toBe(true);
          if (ll) expect(inLex(memberOf(ll), lr)).toBe(true);
        }
        if (new Set(arr.map(([, s]) => s)).size <= 1) {
          expect(lf ? memberOf(lf) : null).toBe(inL[0]?.[0] ?? null);
          expect(ll ? memberOf(ll) : null).toBe(inL[inL.length - 1]?.[0] ?? null);
          expect(z.countInLexRange(lr)).toBe(inL.length);
        }
      }
      if (op % 500 === 499 && !z.listpack) {
        // As a store command's result: a small set becomes a listpack again (-0 becomes 0).
        z.settleEncoding();
        if (z.listpack) for (const [mm, sc] of model) if (sc === 0) model.set(mm, 0);
      }
      if (z.listpack) sawSmall = true;
      else sawBig = true;
      if (op % 500 === 0) z.checkInvariants();
    }
    // Both regimes (listpack-sized linear lex scans and skiplist descents) were exercised.
    expect(sawSmall && sawBig).toBe(true);
    z.checkInvariants();
    const arr = sorted();
    expect([...z.entries()]).toEqual(arr);
    expect(walk(z.first, false)).toEqual(arr);
    expect(walk(z.last, true)).toEqual([...arr].reverse());
    for (let i = 0; i < arr.length; i++) expect(z.rank(arr[i][0])).toBe(i);
    expect(z.clone().members).toEqual(z.members);
  });

  it('answers lex ranges exactly when all scores are equal', () => {
    const rnd = prng(99);
    const z = new SortedSet();
    const all: string[] = [];
    for (let i = 0; i < 500; i++) {
      const m = String.fromCharCode(Math.floor(rnd() * 256), Math.floor(rnd() * 256));
      if (z.set(m, 0)) all.push(m);
    }
    all.sort();
    const bound = (): LexBound => {
      const r = rnd();
      if (r < 0.1) return { value: '', inf: -1, ex: true };
      if (r < 0.2) return { value: '', inf: 1, ex: true };
      return { value: String.fromCharCode(Math.floor(rnd() * 256)), inf: 0, ex: rnd() < 0.5 };
    };
    for (let i = 0; i < 2000; i++) {
      const r: LexRange = { min: bound(), max: bound() };
      const want = all.filter((m) => inLex(m, r));
      expect(z.countInLexRange(r)).toBe(want.length);
      expect((z.firstInLexRange(r) ? memberOf(z.firstInLexRange(r)!) : null)).toBe(want[0] ?? null);
      expect((z.lastInLexRange(r) ? memberOf(z.lastInLexRange(r)!) : null)).toBe(want[want.length - 1] ?? null);
    }
    // Removing a lex range leaves exactly the rest.
    const r: LexRange = { min: { value: '\x40', inf: 0, ex: false }, max: { value: '\xc0', inf: 0, ex: true } };
    const keep = all.filter((m) => !inLex(m, r));
    z.deleteRangeByLex(r);
    z.checkInvariants();
    expect([...z.entries()].map(([m]) => m)).toEqual(keep);
  });

  it('keeps order when scores change in place and across neighbours', () => {
    const z = new SortedSet();
    for (let i = 0; i < 100; i++) z.set('m' + i, i);
    z.set('m50', 50.5); // stays between neighbours: updated in place
    z.set('m10', 1000); // moves to the end
    z.set('m99', -1); // moves to the front
    z.checkInvariants();
    expect(memberOf(z.first!)).toBe('m99');
    expect(memberOf(z.last!)).toBe('m10');
    expect(z.rank('m50')).toBe(50);
    expect(() => z.set('x', NaN)).toThrow(/invariant/);
    expect(() => z.append('m0', 2000)).toThrow(/invariant/);
    expect(() => z.append('y', -5)).toThrow(/invariant/);
  });

  it('stores -0 as 0 in a listpack-sized set only, and orders it equal to 0 by member', () => {
    const z = new SortedSet();
    z.set('b', -0);
    expect(Object.is(z.score('b'), 0)).toBe(true);
    z.listpack = false;
    z.set('c', -0);
    z.set('a', 0);
    expect(Object.is(z.score('c'), -0)).toBe(true);
    expect([...z.entries()].map(([m]) => m)).toEqual(['a', 'b', 'c']);
    z.checkInvariants();
    z.settleEncoding();
    expect(z.listpack).toBe(true);
    expect(Object.is(z.score('c'), 0)).toBe(true);
    z.checkInvariants();
  });

  it('tracks the encoding Redis would use: outgrowing the limits converts for good', () => {
    const z = new SortedSet();
    for (let i = 0; i < 128; i++) z.set('m' + i, i);
    expect(z.listpack).toBe(true);
    z.set('m128', 128);
    expect(z.listpack).toBe(false);
    z.delete('m128');
    expect(z.listpack).toBe(false);
    const y = new SortedSet();
    y.set('x'.repeat(65), 1);
    expect(y.listpack).toBe(false);
    expect(z.clone().listpack).toBe(false);
  });

  it('handles a large set: 20000 inserts, updates and deletes keep ranks exact', () => {
    const rnd = prng(5);
    const z = new SortedSet();
    const model = new Map<string, number>();
    for (let i = 0; i < 20000; i++) {
      const m = 'k' + Math.floor(rnd() * 30000);
      const s = Math.floor(rnd() * 1000);
      z.set(m, s);
      model.set(m, s);
    }
    for (let i = 0; i < 5000; i++) {
      const m = 'k' + Math.floor(rnd() * 30000);
      if (rnd() < 0.5) {
        z.delete(m);
        model.delete(m);
      } else if (model.has(m)) {
        const s = Math.floor(rnd() * 1000);
        z.set(m, s);
        model.set(m, s);
      }
    }
    z.checkInvariants();
    const arr = [...model.entries()].sort(cmp);
    expect([...z.entries()]).toEqual(arr);
    for (let i = 0; i < 500; i++) {
      const k = Math.floor(rnd() * arr.length);
      expect(z.rank(arr[k][0])).toBe(k);
      expect(memberOf(z.at(k)!)).toBe(arr[k][0]);
    }
  });
});
