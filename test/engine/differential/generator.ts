import { EXACT, type Mode } from './resp.js';
export { rng as prng } from '../../helpers/rng.js';
import { rng as prng } from '../../helpers/rng.js';

/**
 * A seeded generator of command sequences across every command family, for the
 * whole-engine differential test. Each step is a command for connection 0 (the main one)
 * or 1 (a second client, used to touch WATCHed keys), a pause (short expiries), a full
 * SCAN-family iteration, or a dataset digest check.
 *
 * The keys are few and typed by name so commands collide: most picks take a key of the
 * command's type, the rest any key (WRONGTYPE, missing keys). Lex-range commands only see
 * zsets that stay small (Redis leaves lex ranges over mixed scores unspecified once a zset
 * is a skiplist); big collections are made by their own steps and only read, scanned or
 * stored into keys reserved for that.
 */

export type Step =
  | { op: 'cmd'; argv: string[]; mode: Mode; conn: 0 | 1 }
  | { op: 'sleep'; ms: number }
  | { op: 'scan'; argv: string[]; cursorAt: number; pairs: boolean }
  | { op: 'digest' };

const STR_KEYS = ['str:a', 'str:b', 'num', 'flt'];
const BIT_KEYS = ['bits:a', 'bits:b'];
const HASH_KEYS = ['h:a', 'h:b'];
const LIST_KEYS = ['l:a', 'l:b'];
const SET_KEYS = ['set:a', 'set:b', 'iset'];
const ZSET_KEYS = ['z:a', 'z:b'];
/** Never big: lex ranges stay defined. */
const LEX_KEYS = ['z:a', 'z:b'];
const BIG_KEYS = ['h:big', 'set:big', 'z:big', 'l:big'];
const OTHER_KEYS = ['nokey', 'k\x00\xff\r\n'];
const ALL_KEYS = [...STR_KEYS, ...BIT_KEYS, ...HASH_KEYS, ...LIST_KEYS, ...SET_KEYS, ...ZSET_KEYS, ...OTHER_KEYS];

const VALUES = ['', 'a', 'b', 'hello', 'world', '0', '1', '-1', '10', '123', '3.14', '-0', '1e3', '9223372036854775807', '-9223372036854775808', '9223372036854775808', ' 1', '\x00\xff\r\n', 'x'.repeat(50), 'y'.repeat(70), 'nan', 'inf', '0x10', '007', 'abc\x00def'];
const SHORT_VALUES = ['', 'a', 'b', 'c', 'ab', 'hello', '0', '1', '-1', '7', '42', '3.5', '\x00', '\xff', 'B', 'zz'];
const FIELDS = ['f1', 'f2', 'f3', 'f4', 'a', 'b', '', '\x00', 'n', 'x:y', '1', '2'];
const INTS = ['0', '1', '-1', '2', '3', '5', '10', '-5', '100', 'x', '1.5', '', '9223372036854775807', '-9223372036854775808', '99999999999999999999', '+1', '01', ' 1', '-0'];
const IDX = ['0', '1', '2', '-1', '-2', '3', '5', '-5', '10', '-100', '100', 'x', '9223372036854775807', '-9223372036854775808'];
const FLOATS = ['0', '1', '1.5', '-2.5', '0.1', '1e3', 'inf', '-inf', '+inf', 'nan', 'x', '1e400', '3.0', '-0', '5.0e3', '', '10.50', '0x1p3', ' 2'];
const SCORES = ['1', '2', '3', '-1', '0', '-0', '1.5', '0.1', '+inf', '-inf', 'inf', '1e3', '2.5e-7', '7', '100', '-2.75', '12345678901234.5625'];
const BAD_SCORES = ['nan', 'abc', '1e400', ' 1', '', '(1'];
const RANGE_SCORES = ['-inf', '+inf', '(1', '1', '2', '(2', '0', '(0', '-1', '3', '1.5', '(-inf', 'inf', 'x', '(', '1e400'];
const LEX = ['-', '+', '[a', '(a', '[b', '(b', '[c', '[', '(', '[zz', '(\xff', 'a', '[\x00', '[ab'];
const PATTERNS = ['*', 'h:*', 'str:?', '*:[ab]', 'z*', 'nokey', '[^s]*', '*\\:*', 'k*', '?'];
const BAD_TIMEOUTS = ['-1', 'x', '1e400', 'nan', '-inf', ' 1', '-1.5'];

type Gen = () => Step[];

export class Generator {
  private readonly rnd: () => number;
  private readonly weighted: [number, Gen][];
  private readonly total: number;
  private readonly pending: Step[] = [];
  private steps = 0;

  constructor(seed: number, readonly digestEvery = 200) {
    this.rnd = prng(seed);
    this.weighted = [
      [14, () => this.strings()],
      [5, () => this.bitmaps()],
      [10, () => this.keys()],
      [10, () => this.hashes()],
      [11, () => this.lists()],
      [10, () => this.sets()],
      [14, () => this.zsets()],
      [4, () => this.expiry()],
      [5, () => this.transaction()],
      [2, () => this.select()],
      [3, () => this.errors()],
      [3, () => this.scans()],
      [1, () => this.big()],
      [1, () => this.connection()],
    ];
    this.total = this.weighted.reduce((s, [w]) => s + w, 0);
  }

  /** The next step. */
  next(): Step {
    if (this.pending.length === 0) {
      this.steps++;
      if (this.digestEvery > 0 && this.steps % this.digestEvery === 0) return { op: 'digest' };
      let x = this.rnd() * this.total;
      for (const [w, g] of this.weighted) {
        x -= w;
        if (x < 0) {
          this.pending.push(...g());
          break;
        }
      }
      if (this.pending.length === 0) this.pending.push(...this.strings());
    }
    return this.pending.shift()!;
  }

  // ------------------------------------------------------------------------------------
  // helpers

  private pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.rnd() * a.length)];
  }
  private chance(p: number): boolean {
    return this.rnd() < p;
  }
  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  private some<T>(f: () => T, min: number, max: number): T[] {
    return Array.from({ length: this.int(min, max) }, f);
  }
  /** A key of the given kind most of the time, any key otherwise. */
  private key(kind: readonly string[], p = 0.85): string {
    return this.chance(p) ? this.pick(kind) : this.pick(ALL_KEYS);
  }
  private cmd(argv: string[], mode: Mode = EXACT, conn: 0 | 1 = 0): Step {
    return { op: 'cmd', argv, mode, conn };
  }
  private one(argv: string[], mode: Mode = EXACT): Step[] {
    // Now and then drop trailing arguments: wrong arity, or a missing option value.
    if (argv.length > 1 && this.chance(0.03)) {
      // A random command's count may be gone: compare its shape only.
      return [this.cmd(argv.slice(0, this.int(1, argv.length - 1)), mode.k === 'random' ? { k: 'random' } : mode)];
    }
    return [this.cmd(argv, mode)];
  }
  private longTtl(): number {
    return this.int(100, 1_000_000);
  }
  private blockTimeout(): string {
    return this.pick(['0.01', '0.02', '0.015']);
  }

  // ------------------------------------------------------------------------------------
  // families

  private strings(): Step[] {
    const k = () => this.key(STR_KEYS);
    const v = () => this.pick(VALUES);
    const r = this.rnd();
    if (r < 0.2) {
      const argv = ['SET', k(), v()];
      if (this.chance(0.3)) argv.push(this.pick(['NX', 'XX', 'nx']));
      if (this.chance(0.2)) argv.push('GET');
      if (this.chance(0.3)) {
        const t = this.pick(['EX', 'PX', 'EXAT', 'PXAT', 'KEEPTTL', 'ex']);
        if (t === 'KEEPTTL') argv.push(t);
        else if (this.chance(0.15)) argv.push(t, this.pick(['0', '-1', 'x', '1.5', '9223372036854775807']));
        else if (t === 'EXAT') argv.push(t, String(Math.floor(Date.now() / 1000) + this.longTtl()));
        else if (t === 'PXAT') argv.push(t, String(Date.now() + this.longTtl() * 1000));
        else argv.push(t, String(t === 'PX' ? this.longTtl() * 1000 : this.longTtl()));
      }
      if (this.chance(0.03)) argv.push(this.pick(['NX', 'XX', 'EX', 'BOGUS', 'KEEPTTL']));
      return this.one(argv);
    }
    const gens: (() => string[])[] = [
      () => ['GET', k()],
      () => ['GETSET', k(), v()],
      () => ['GETDEL', k()],
      () => {
        const a = ['GETEX', k()];
        const o = this.pick(['', 'EX', 'PX', 'EXAT', 'PXAT', 'PERSIST', 'BAD']);
        if (o === 'PERSIST' || o === 'BAD') a.push(o);
        else if (o === 'EXAT') a.push(o, String(Math.floor(Date.now() / 1000) + this.longTtl()));
        else if (o === 'PXAT') a.push(o, String(Date.now() + this.longTtl() * 1000));
        else if (o) a.push(o, this.chance(0.2) ? this.pick(['0', '-5', 'x']) : String(this.longTtl()));
        return a;
      },
      () => ['SETNX', k(), v()],
      () => ['SETEX', k(), this.chance(0.8) ? String(this.longTtl()) : this.pick(['0', '-1', 'x']), v()],
      () => ['PSETEX', k(), this.chance(0.8) ? String(this.longTtl() * 1000) : this.pick(['0', '-1', 'x']), v()],
      () => ['MGET', ...this.some(() => this.key(STR_KEYS, 0.6), 1, 4)],
      () => ['MSET', ...this.some(() => [k(), v()], 1, 3).flat(), ...(this.chance(0.05) ? ['odd'] : [])],
      () => ['MSETNX', ...this.some(() => [this.pick([...STR_KEYS, 'str:c', 'str:d']), v()], 1, 3).flat()],
      () => ['INCR', this.key(['num', 'flt', 'str:a'])],
      () => ['DECR', this.key(['num', 'flt'])],
      () => ['INCRBY', this.key(['num', 'str:b']), this.pick(INTS)],
      () => ['DECRBY', this.key(['num']), this.pick(INTS)],
      () => ['INCRBYFLOAT', this.key(['flt', 'num', 'str:a']), this.pick(FLOATS)],
      () => ['APPEND', k(), v()],
      () => ['STRLEN', k()],
      () => ['GETRANGE', k(), this.pick(IDX), this.pick(IDX)],
      () => ['SUBSTR', k(), this.pick(IDX), this.pick(IDX)],
      () => ['SETRANGE', k(), this.pick(['0', '1', '5', '20', '-1', 'x', '536870912', '9223372036854775807']), v()],
      () => {
        const a = ['LCS', k(), k()];
        if (this.chance(0.3)) a.push('LEN');
        if (this.chance(0.3)) a.push('IDX');
        if (this.chance(0.2)) a.push('MINMATCHLEN', this.pick(['0', '1', '2', 'x', '-1']));
        if (this.chance(0.2)) a.push('WITHMATCHLEN');
        return a;
      },
    ];
    return this.one(this.pick(gens)());
  }

  private bitmaps(): Step[] {
    const k = () => this.key(BIT_KEYS, 0.8);
    const range = (): string[] => {
      if (this.chance(0.5)) return [];
      const a = [this.pick(IDX), this.pick(IDX)];
      if (this.chance(0.4)) a.push(this.pick(['BYTE', 'BIT', 'bit', 'WORD']));
      return a;
    };
    const gens: (() => string[])[] = [
      () => ['SETBIT', k(), this.chance(0.9) ? String(this.int(0, 200)) : this.pick(['-1', 'x', '4294967296']), this.pick(['0', '1', '1', '2', 'x'])],
      () => ['GETBIT', k(), this.chance(0.9) ? String(this.int(0, 220)) : this.pick(['-1', 'x', '4294967296'])],
      () => ['BITCOUNT', k(), ...range()],
      () => {
        const a = ['BITPOS', k(), this.pick(['0', '1', '1', '2'])];
        if (this.chance(0.5)) a.push(this.pick(IDX));
        if (this.chance(0.5)) a.push(this.pick(IDX));
        if (a.length === 5 && this.chance(0.4)) a.push(this.pick(['BYTE', 'BIT', 'x']));
        return a;
      },
      () => {
        const op = this.pick(['AND', 'OR', 'XOR', 'NOT', 'and', 'NAND']);
        return ['BITOP', op, this.pick(['bits:dst', 'bits:a']), ...this.some(k, 1, op.toUpperCase() === 'NOT' && this.chance(0.8) ? 1 : 3)];
      },
    ];
    return this.one(this.pick(gens)());
  }

  private keys(): Step[] {
    const any = () => this.pick(ALL_KEYS);
    const ttl = (): Mode => ({ k: 'ttl', tol: 1 });
    const r = this.rnd();
    if (r < 0.08) return this.one(['TTL', any()], ttl());
    if (r < 0.14) return this.one(['PTTL', any()], { k: 'ttl', tol: 1500 });
    if (r < 0.17) return this.one(['EXPIRETIME', any()], ttl());
    if (r < 0.2) return this.one(['PEXPIRETIME', any()], { k: 'ttl', tol: 1500 });
    const cond = () => (this.chance(0.3) ? [this.pick(['NX', 'XX', 'GT', 'LT', 'nx', 'BAD'])] : []);
    const gens: (() => string[])[] = [
      () => ['DEL', ...this.some(any, 1, 3)],
      () => ['UNLINK', ...this.some(any, 1, 2)],
      () => ['EXISTS', ...this.some(any, 1, 4)],
      () => ['TYPE', any()],
      () => ['EXPIRE', any(), this.chance(0.85) ? String(this.longTtl()) : this.pick(['0', '-1', 'x', '9223372036854775807', '1.5']), ...cond()],
      () => ['PEXPIRE', any(), this.chance(0.85) ? String(this.longTtl() * 1000) : this.pick(['0', '-1', 'x', '9223372036854775807']), ...cond()],
      () => ['EXPIREAT', any(), this.chance(0.85) ? String(Math.floor(Date.now() / 1000) + this.longTtl()) : this.pick(['1', '0', 'x', '-1']), ...cond()],
      () => ['PEXPIREAT', any(), this.chance(0.85) ? String(Date.now() + this.longTtl() * 1000) : String(Date.now() - 5000), ...cond()],
      () => ['PERSIST', any()],
      () => ['RENAME', any(), any()],
      () => ['RENAMENX', any(), any()],
      () => ['COPY', any(), any(), ...(this.chance(0.4) ? ['DB', this.pick(['0', '1', '2', '16', 'x'])] : []), ...(this.chance(0.4) ? ['REPLACE'] : [])],
      () => ['MOVE', any(), this.pick(['0', '1', '2', '16', '-1', 'x'])],
      () => ['TOUCH', ...this.some(any, 1, 3)],
      () => ['DBSIZE'],
      () => ['RANDOMKEY'],
      () => ['KEYS', this.pick(PATTERNS)],
      () => (this.chance(0.1) ? ['SWAPDB', this.pick(['0', '1']), this.pick(['1', '2', 'x', '16'])] : ['EXISTS', any()]),
      () => (this.chance(0.05) ? ['FLUSHDB'] : ['TYPE', any()]),
    ];
    const argv = this.pick(gens)();
    const name = argv[0];
    if (name === 'RANDOMKEY') return this.one(argv, { k: 'random' });
    if (name === 'KEYS') return this.one(argv, { k: 'unordered' });
    return this.one(argv);
  }

  private hashes(): Step[] {
    const k = () => this.key(HASH_KEYS);
    const f = () => this.pick(FIELDS);
    const v = () => (this.chance(0.05) ? 'L'.repeat(80) : this.pick(VALUES));
    const gens: [string, () => string[]][] = [
      ['w', () => ['HSET', k(), ...this.some(() => [f(), v()], 1, 3).flat(), ...(this.chance(0.05) ? ['odd'] : [])]],
      ['w', () => ['HMSET', k(), ...this.some(() => [f(), v()], 1, 2).flat()]],
      ['w', () => ['HSETNX', k(), f(), v()]],
      ['r', () => ['HGET', k(), f()]],
      ['r', () => ['HMGET', k(), ...this.some(f, 1, 3)]],
      ['w', () => ['HDEL', k(), ...this.some(f, 1, 3)]],
      ['r', () => ['HLEN', k()]],
      ['r', () => ['HSTRLEN', k(), f()]],
      ['r', () => ['HEXISTS', k(), f()]],
      ['o', () => ['HKEYS', k()]],
      ['o', () => ['HVALS', k()]],
      ['p', () => ['HGETALL', this.chance(0.1) ? 'h:big' : k()]],
      ['w', () => ['HINCRBY', k(), this.pick(['n', 'f1', 'a']), this.pick(INTS)]],
      ['w', () => ['HINCRBYFLOAT', k(), this.pick(['n', 'f2', 'b']), this.pick(FLOATS)]],
      ['x', () => ['HRANDFIELD', this.chance(0.1) ? 'h:big' : k(), ...(this.chance(0.7) ? [this.pick(['1', '3', '-3', '0', '100', '-100', 'x']), ...(this.chance(0.5) ? ['WITHVALUES'] : [])] : [])]],
    ];
    const [kind, g] = this.pick(gens);
    const argv = g();
    if (kind === 'o') return this.one(argv, { k: 'hashOrder', key: argv[1] });
    if (kind === 'p') return this.one(argv, { k: 'hashOrder', key: argv[1], pairs: true });
    if (kind === 'x') return this.one(argv, { k: 'random', count: argv.length > 2 ? Number(argv[2]) : undefined });
    return this.one(argv);
  }

  private lists(): Step[] {
    const k = () => this.key(LIST_KEYS);
    const v = () => (this.chance(0.3) ? this.pick(['a', 'b', 'c']) : this.pick(VALUES));
    const side = () => this.pick(['LEFT', 'RIGHT', 'left', 'UP']);
    const gens: (() => string[])[] = [
      () => ['LPUSH', k(), ...this.some(v, 1, 4)],
      () => ['RPUSH', k(), ...this.some(v, 1, 4)],
      () => ['LPUSHX', k(), ...this.some(v, 1, 2)],
      () => ['RPUSHX', k(), ...this.some(v, 1, 2)],
      () => ['LPOP', k(), ...(this.chance(0.4) ? [this.pick(['0', '1', '2', '5', '-1', 'x'])] : [])],
      () => ['RPOP', k(), ...(this.chance(0.4) ? [this.pick(['0', '1', '3', '-1'])] : [])],
      () => ['LRANGE', this.chance(0.05) ? 'l:big' : k(), this.pick(IDX), this.pick(IDX)],
      () => ['LINDEX', k(), this.pick(IDX)],
      () => ['LSET', k(), this.pick(IDX), v()],
      () => ['LINSERT', k(), this.pick(['BEFORE', 'AFTER', 'after', 'MIDDLE']), v(), v()],
      () => ['LREM', k(), this.pick(['0', '1', '-1', '2', '-2', 'x']), v()],
      () => ['LTRIM', k(), this.pick(IDX), this.pick(IDX)],
      () => {
        const a = ['LPOS', this.chance(0.05) ? 'l:big' : k(), v()];
        if (this.chance(0.4)) a.push('RANK', this.pick(['1', '-1', '2', '0', 'x', '-9223372036854775808']));
        if (this.chance(0.4)) a.push('COUNT', this.pick(['0', '1', '2', '-1']));
        if (this.chance(0.3)) a.push('MAXLEN', this.pick(['0', '1', '3', '-1']));
        return a;
      },
      () => ['LLEN', k()],
      () => ['LMOVE', k(), k(), side(), side()],
      () => ['RPOPLPUSH', k(), k()],
      () => {
        const n = this.int(1, 2);
        return ['LMPOP', this.chance(0.95) ? String(n) : this.pick(['0', '-1', 'x']), ...this.some(k, n, n), side(), ...(this.chance(0.4) ? ['COUNT', this.pick(['1', '2', '10', '0', '-1'])] : [])];
      },
      // Blocking forms outside MULTI: they answer at once when a list has data, else after
      // a short timeout with the same null on both servers.
      () => ['BLPOP', ...this.some(k, 1, 2), this.chance(0.9) ? this.blockTimeout() : this.pick(BAD_TIMEOUTS)],
      () => ['BRPOP', ...this.some(k, 1, 2), this.chance(0.9) ? this.blockTimeout() : this.pick(BAD_TIMEOUTS)],
      () => ['BLMOVE', k(), k(), side(), side(), this.chance(0.9) ? this.blockTimeout() : this.pick(BAD_TIMEOUTS)],
      () => ['BRPOPLPUSH', k(), k(), this.chance(0.9) ? this.blockTimeout() : this.pick(BAD_TIMEOUTS)],
      () => ['BLMPOP', this.chance(0.9) ? this.blockTimeout() : this.pick(BAD_TIMEOUTS), '1', k(), side(), ...(this.chance(0.4) ? ['COUNT', this.pick(['1', '3'])] : [])],
    ];
    return this.one(this.pick(gens)());
  }

  private sets(): Step[] {
    const k = () => this.key(SET_KEYS);
    const m = () => (this.chance(0.4) ? String(this.int(-3, 20)) : this.pick(SHORT_VALUES));
    const src = () => (this.chance(0.1) ? 'set:big' : k());
    const r = this.rnd();
    if (r < 0.05) {
      // SPOP is random: compare its shape, then drop the key so both datasets agree again.
      const key = this.chance(0.2) ? 'set:big' : k();
      const count = this.chance(0.6) ? [this.pick(['1', '2', '5', '0', '-1', 'x', '1000'])] : [];
      return [this.cmd(['SPOP', key, ...count], { k: 'random', count: count.length ? Number(count[0]) : undefined }), this.cmd(['DEL', key])];
    }
    if (r < 0.1) {
      const count = this.chance(0.7) ? [this.pick(['1', '3', '-3', '0', '100', '-100', 'x'])] : [];
      return this.one(['SRANDMEMBER', src(), ...count], { k: 'random', count: count.length ? Number(count[0]) : undefined });
    }
    if (r < 0.2) {
      const key = this.chance(0.1) ? 'set:dst' : src();
      return this.one(['SMEMBERS', key], { k: 'hashOrder', key });
    }
    if (r < 0.3) return this.one([this.pick(['SINTER', 'SUNION', 'SDIFF']), ...this.some(src, 1, 3)], { k: 'unordered' });
    const gens: (() => string[])[] = [
      () => ['SADD', k(), ...this.some(m, 1, 4)],
      () => ['SREM', k(), ...this.some(m, 1, 3)],
      () => ['SCARD', src()],
      () => ['SISMEMBER', src(), m()],
      () => ['SMISMEMBER', k(), ...this.some(m, 1, 3)],
      () => {
        const n = this.int(1, 3);
        return ['SINTERCARD', this.chance(0.95) ? String(n) : this.pick(['0', 'x', '5']), ...this.some(src, n, n), ...(this.chance(0.3) ? ['LIMIT', this.pick(['0', '1', '2', '-1', 'x'])] : [])];
      },
      () => {
        // Stores from the big set go to a key the zset commands never read.
        const keys = this.some(src, 1, 3);
        return [this.pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), keys.includes('set:big') ? 'set:dst' : this.pick(['set:dst', ...SET_KEYS]), ...keys];
      },
      () => ['SMOVE', k(), k(), m()],
    ];
    return this.one(this.pick(gens)());
  }

  private zsets(): Step[] {
    const k = () => this.key(ZSET_KEYS);
    const lk = () => this.key(LEX_KEYS, 0.9);
    const m = () => this.pick(SHORT_VALUES);
    const score = () => (this.chance(0.95) ? this.pick(SCORES) : this.pick(BAD_SCORES));
    const src = () => (this.chance(0.1) ? this.pick(['z:big', 'z:dst']) : this.chance(0.15) ? this.pick(['set:a', 'iset']) : k());
    const limit = () => ['LIMIT', this.pick(IDX), this.pick(IDX)];
    const opts = (base: string[], o: (() => string[])[]): string[] => {
      const out = base.slice();
      for (const f of o) if (this.chance(0.3)) out.push(...f());
      return out;
    };
    const numkeys = (name: string, dst: string[], allow: string[]): string[] => {
      const n = this.int(1, 3);
      const keys = this.some(src, n, n);
      // Stores from a big zset go to keys that lex ranges never read.
      if (dst.length && (keys.includes('z:big') || keys.includes('z:dst'))) dst = ['z:dst'];
      const out = [name, ...dst, this.chance(0.95) ? String(n) : this.pick(['0', '-1', 'x', '9']), ...keys];
      if (allow.includes('WEIGHTS') && this.chance(0.3)) out.push('WEIGHTS', ...this.some(() => this.pick(['1', '2', '0', '-1', '0.5', 'inf', 'x']), n, n));
      if (allow.includes('AGGREGATE') && this.chance(0.3)) out.push('AGGREGATE', this.pick(['SUM', 'MIN', 'MAX', 'max', 'avg']));
      if (allow.includes('WITHSCORES') && this.chance(0.4)) out.push('WITHSCORES');
      if (allow.includes('LIMIT') && this.chance(0.3)) out.push('LIMIT', this.pick(['0', '1', '2', '-1', 'x']));
      return out;
    };
    const r = this.rnd();
    if (r < 0.2) {
      const flags = this.chance(0.6) ? [] : this.some(() => this.pick(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR', 'ch']), 1, 2);
      const n = flags.includes('INCR') && this.chance(0.8) ? 1 : this.int(1, 4);
      const argv = ['ZADD', k(), ...flags];
      for (let i = 0; i < n; i++) argv.push(score(), m());
      return this.one(argv);
    }
    if (r < 0.24) {
      const count = this.pick(['1', '3', '-3', '0', '100', '-100', 'x']);
      return this.one(['ZRANDMEMBER', src(), count, ...(this.chance(0.4) ? ['WITHSCORES'] : [])], { k: 'random', count: Number(count) });
    }
    const gens: (() => string[])[] = [
      () => ['ZINCRBY', k(), score(), m()],
      () => ['ZREM', k(), ...this.some(m, 1, 3)],
      () => ['ZCARD', src()],
      () => ['ZSCORE', src(), m()],
      () => ['ZMSCORE', src(), ...this.some(m, 1, 3)],
      () => ['ZRANK', src(), m()],
      () => ['ZREVRANK', src(), m()],
      () => ['ZCOUNT', src(), this.pick(RANGE_SCORES), this.pick(RANGE_SCORES)],
      () => ['ZLEXCOUNT', lk(), this.pick(LEX), this.pick(LEX)],
      () => opts(['ZRANGE', src(), this.pick(IDX), this.pick(IDX)], [() => ['WITHSCORES'], () => ['REV'], limit]),
      () => opts(['ZRANGE', src(), this.pick(RANGE_SCORES), this.pick(RANGE_SCORES), 'BYSCORE'], [() => ['REV'], () => ['WITHSCORES'], limit]),
      () => opts(['ZRANGE', lk(), this.pick(LEX), this.pick(LEX), 'BYLEX'], [() => ['REV'], limit]),
      () => {
        const s = src();
        return opts(['ZRANGESTORE', s === 'z:big' || s === 'z:dst' ? 'z:dst' : this.pick(['z:dst', 'z:a']), s, this.pick(RANGE_SCORES), this.pick(RANGE_SCORES), 'BYSCORE'], [() => ['REV'], limit]);
      },
      () => opts(['ZRANGESTORE', this.pick(['z:dst', 'z:b']), lk(), this.pick(LEX), this.pick(LEX), 'BYLEX'], [() => ['REV'], limit]),
      () => opts(['ZREVRANGE', src(), this.pick(IDX), this.pick(IDX)], [() => ['WITHSCORES']]),
      () => opts(['ZRANGEBYSCORE', src(), this.pick(RANGE_SCORES), this.pick(RANGE_SCORES)], [() => ['WITHSCORES'], limit]),
      () => opts(['ZREVRANGEBYSCORE', src(), this.pick(RANGE_SCORES), this.pick(RANGE_SCORES)], [() => ['WITHSCORES'], limit]),
      () => opts(['ZRANGEBYLEX', lk(), this.pick(LEX), this.pick(LEX)], [limit]),
      () => opts(['ZREVRANGEBYLEX', lk(), this.pick(LEX), this.pick(LEX)], [limit]),
      () => ['ZREMRANGEBYRANK', k(), this.pick(IDX), this.pick(IDX)],
      () => ['ZREMRANGEBYSCORE', k(), this.pick(RANGE_SCORES), this.pick(RANGE_SCORES)],
      () => ['ZREMRANGEBYLEX', lk(), this.pick(LEX), this.pick(LEX)],
      () => ['ZPOPMIN', k(), ...(this.chance(0.5) ? [this.pick(['0', '1', '2', '-1', 'x', '10'])] : [])],
      () => ['ZPOPMAX', k(), ...(this.chance(0.5) ? [this.pick(['0', '1', '3', '-2'])] : [])],
      () => ['BZPOPMIN', ...this.some(k, 1, 2), this.chance(0.9) ? this.blockTimeout() : this.pick(BAD_TIMEOUTS)],
      () => ['BZPOPMAX', ...this.some(k, 1, 2), this.chance(0.9) ? this.blockTimeout() : this.pick(BAD_TIMEOUTS)],
      () => {
        const n = this.int(1, 2);
        return ['ZMPOP', String(n), ...this.some(k, n, n), this.pick(['MIN', 'MAX', 'min', 'LEFT']), ...(this.chance(0.4) ? ['COUNT', this.pick(['1', '2', '0', '-1', '10'])] : [])];
      },
      () => ['BZMPOP', this.blockTimeout(), '1', k(), this.pick(['MIN', 'MAX']), ...(this.chance(0.5) ? ['COUNT', this.pick(['1', '3'])] : [])],
      () => numkeys('ZUNIONSTORE', [this.pick(['z:dst', 'z:a'])], ['WEIGHTS', 'AGGREGATE']),
      () => numkeys('ZINTERSTORE', [this.pick(['z:dst', 'z:b'])], ['WEIGHTS', 'AGGREGATE']),
      () => numkeys('ZDIFFSTORE', ['z:dst'], []),
      () => numkeys('ZUNION', [], ['WEIGHTS', 'AGGREGATE', 'WITHSCORES']),
      () => numkeys('ZINTER', [], ['WEIGHTS', 'AGGREGATE', 'WITHSCORES']),
      () => numkeys('ZDIFF', [], ['WITHSCORES']),
      () => numkeys('ZINTERCARD', [], ['LIMIT']),
    ];
    return this.one(this.pick(gens)());
  }

  /** Keys that expire within milliseconds: set, wait on both servers, then read. */
  private expiry(): Step[] {
    const key = this.pick([...STR_KEYS, ...HASH_KEYS, ...LIST_KEYS, ...SET_KEYS, ...ZSET_KEYS]);
    const ms = this.int(1, 10);
    const setters: (() => string[])[] = [
      () => ['PEXPIRE', key, String(ms)],
      () => ['SET', key, this.pick(VALUES), 'PX', String(ms)],
      () => ['PSETEX', key, String(ms), this.pick(VALUES)],
      () => ['GETEX', key, 'PX', String(ms)],
      () => ['SET', key, this.pick(VALUES), 'PXAT', String(Date.now() + ms)],
      () => ['PEXPIREAT', key, String(Date.now() + ms)],
    ];
    const steps: Step[] = [];
    if (this.chance(0.3)) {
      // WATCH a key that then expires: EXEC fails (Redis 7.0's isWatchedKeyExpired). A key
      // already expired when WATCHed does not fail it. The TTLs keep clear of the race.
      const before = this.chance(0.5);
      const ttl = before ? ms : 60;
      steps.push(this.cmd(['SET', key, 'w']));
      steps.push(this.cmd(['PEXPIRE', key, String(ttl)]));
      if (before) steps.push({ op: 'sleep', ms: ttl + 25 });
      steps.push(this.cmd(['WATCH', key]));
      if (!before) steps.push({ op: 'sleep', ms: ttl + 40 });
      steps.push(this.cmd(['MULTI']), this.cmd(['SET', 'str:a', 'from-tx']), this.cmd(['EXEC'], { k: 'exec', sub: [EXACT] }));
      steps.push(this.cmd(['EXISTS', key]));
      return steps;
    }
    steps.push(this.cmd(this.pick(setters)()));
    steps.push({ op: 'sleep', ms: ms + 25 });
    // Read it through a command of its own type, or generically.
    // DBSIZE only once the key was touched: it counts keys not yet reclaimed.
    steps.push(this.cmd(this.pick([['EXISTS', key], ['TYPE', key], ['GET', key], ['PTTL', key]])));
    steps.push(this.cmd(['EXISTS', key]));
    if (this.chance(0.3)) steps.push(this.cmd(['DBSIZE']));
    return steps;
  }

  private select(): Step[] {
    if (this.chance(0.15)) return [this.cmd(['SELECT', this.pick(['16', '-1', 'x', '', '1.5'])])];
    return [this.cmd(['SELECT', String(this.chance(0.6) ? 0 : this.int(1, 2))])];
  }

  private connection(): Step[] {
    return this.one(this.pick([['PING'], ['PING', this.pick(VALUES)], ['ECHO', this.pick(VALUES)], ['PING', 'a', 'b'], ['ECHO']]));
  }

  private errors(): Step[] {
    const gens: (() => string[])[] = [
      () => [this.pick(['FOOBAR', 'GETT', 'SETX', 'hsett', 'ZADDD', 'x']), ...this.some(() => this.pick(VALUES), 0, 3)],
      () => [this.pick(['OBJECT', 'CONFIG', 'CLIENT', 'COMMAND', 'MEMORY', 'PUBSUB', 'object']), this.pick(['FOO', 'bar', 'NOPE', '']), ...this.some(() => this.pick(VALUES), 0, 2)],
      () => [this.pick(['GET', 'SET', 'HSET', 'LPUSH', 'SADD', 'ZADD', 'EXPIRE', 'TYPE', 'INCR', 'RENAME', 'ZRANGE', 'LRANGE', 'MGET', 'OBJECT', 'CONFIG', 'SELECT', 'WATCH', 'EXEC', 'PING'])],
      () => ['GET', 'a', 'b'],
      () => ['INCRBY', this.pick(STR_KEYS), this.pick(['x', '1.5', '99999999999999999999', ''])],
      () => ['LPUSH', this.pick([...STR_KEYS, ...HASH_KEYS, ...SET_KEYS, ...ZSET_KEYS]), 'x'],
      () => ['HGET', this.pick([...STR_KEYS, ...LIST_KEYS, ...SET_KEYS]), 'f'],
      () => ['ZSCORE', this.pick([...STR_KEYS, ...LIST_KEYS, ...HASH_KEYS]), 'm'],
      () => ['EXEC'],
      () => ['DISCARD'],
      () => ['UNWATCH'],
    ];
    return [this.cmd(this.pick(gens)())];
  }

  private scans(): Step[] {
    const match = () => (this.chance(0.4) ? ['MATCH', this.pick(['*', 'f*', '?', '[a-f]*', '1*', 'h:*', '*a*'])] : []);
    const count = () => (this.chance(0.3) ? ['COUNT', this.pick(['1', '3', '10', '1000', '0', 'x'])] : []);
    const r = this.rnd();
    if (r < 0.3) {
      const type = this.chance(0.3) ? ['TYPE', this.pick(['string', 'hash', 'list', 'set', 'zset', 'stream', 'nosuch'])] : [];
      return [{ op: 'scan', argv: ['SCAN', '0', ...match(), ...count(), ...type], cursorAt: 1, pairs: false }];
    }
    const [cmd, keys, pairs] = this.pick<[string, string[], boolean]>([
      ['HSCAN', [...HASH_KEYS, 'h:big'], true],
      ['SSCAN', [...SET_KEYS, 'set:big'], false],
      ['ZSCAN', [...ZSET_KEYS, 'z:big'], true],
    ]);
    const key = this.chance(0.9) ? this.pick(keys) : this.pick(ALL_KEYS);
    if (this.chance(0.05)) return [this.cmd([cmd, key, this.pick(['x', '-1', '18446744073709551616'])])];
    return [{ op: 'scan', argv: [cmd, key, '0', ...match(), ...count()], cursorAt: 2, pairs }];
  }

  /** Big collections: hash tables and skiplists in Redis. */
  private big(): Step[] {
    const which = this.pick(['h:big', 'set:big', 'z:big', 'l:big']);
    const n = this.int(130, 600);
    const argv: string[] = [];
    if (which === 'h:big') {
      argv.push('HSET', which);
      for (let i = 0; i < n; i++) argv.push('field' + this.int(0, 1000), this.pick(VALUES));
    } else if (which === 'set:big') {
      argv.push('SADD', which);
      for (let i = 0; i < n; i++) argv.push(this.chance(0.95) ? String(this.int(-1000, 5000)) : this.pick(SHORT_VALUES));
    } else if (which === 'z:big') {
      argv.push('ZADD', which);
      for (let i = 0; i < n; i++) argv.push(String(this.int(0, 50)), 'm' + this.int(0, 2000));
    } else {
      argv.push('RPUSH', which);
      for (let i = 0; i < n; i++) argv.push(this.pick(VALUES));
    }
    const steps = [this.cmd(argv)];
    if (this.chance(0.3)) steps.unshift(this.cmd(['DEL', which]));
    return steps;
  }

  /**
   * MULTI/EXEC/DISCARD with optional WATCH, a second client that may touch a watched key
   * first, commands queued (some rejected at queue time, some failing at run time), and
   * blocking commands, which answer at once inside a transaction.
   */
  private transaction(): Step[] {
    const steps: Step[] = [];
    const watched: string[] = [];
    if (this.chance(0.5)) {
      watched.push(...this.some(() => this.pick(ALL_KEYS), 1, 2));
      steps.push(this.cmd(['WATCH', ...watched]));
      if (this.chance(0.4)) {
        // The other client writes a watched key (in db 0: it never SELECTs) or another key.
        const key = this.chance(0.7) ? this.pick(watched) : this.pick(ALL_KEYS);
        steps.push(this.cmd(this.pick([['SET', key, 'other'], ['DEL', key], ['EXPIRE', key, '1000'], ['PERSIST', key], ['GET', key]]), EXACT, 1));
      }
      if (this.chance(0.1)) steps.push(this.cmd(['UNWATCH']));
    }
    steps.push(this.cmd(['MULTI']));
    const sub: Mode[] = [];
    const n = this.int(0, 5);
    let aborted = false;
    for (let i = 0; i < n; i++) {
      const r = this.rnd();
      if (r < 0.04) {
        steps.push(this.cmd(['MULTI'])); // nested: an error, not queued, no abort
        continue;
      }
      if (r < 0.08) {
        steps.push(this.cmd(['WATCH', 'str:a'])); // inside MULTI: an error, not queued
        continue;
      }
      if (r < 0.11) {
        steps.push(this.cmd(this.pick([['NOSUCHCMD', 'x'], ['GET'], ['SET', 'k']]))); // rejected: EXEC aborts
        aborted = true;
        continue;
      }
      if (r < 0.2) {
        const t = this.pick(['0', '-0', '-0.001', '0.01', '-0.0001', '0.0', '-1', 'x']);
        steps.push(this.cmd(this.pick([['BLPOP', this.pick(LIST_KEYS), t], ['BZPOPMIN', this.pick(ZSET_KEYS), t], ['BZPOPMAX', 'nokey', t], ['BLMOVE', 'nokey', 'l:a', 'LEFT', 'LEFT', t], ['BRPOP', 'nokey', t], ['BLMPOP', t, '1', 'nokey', 'LEFT'], ['BZMPOP', t, '1', 'nokey', 'MIN']])));
        sub.push(EXACT);
        continue;
      }
      // A command from any family, taken whole (no pauses, scans or random replies inside).
      let s: Step[];
      for (;;) {
        s = this.pick([() => this.strings(), () => this.hashes(), () => this.lists(), () => this.sets(), () => this.zsets(), () => this.keys(), () => this.bitmaps()])();
        if (s.length === 1 && s[0].op === 'cmd' && s[0].mode.k !== 'random' && !/^(B[LRZ]|BRPOP|SELECT|SWAPDB|FLUSH|MULTI|EXEC|WATCH)/i.test(s[0].argv[0])) break;
      }
      const c = s[0] as Extract<Step, { op: 'cmd' }>;
      steps.push(this.cmd(c.argv));
      sub.push(c.mode);
    }
    if (this.chance(0.1)) steps.push(this.cmd(['DISCARD']));
    else steps.push(this.cmd(['EXEC'], aborted ? EXACT : { k: 'exec', sub }));
    return steps;
  }
}
