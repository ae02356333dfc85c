import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64, Crc64 } from '../../../engine/store/crc64.js';
import { lzfCompress, lzfDecompress } from '../../../engine/store/lzf.js';
import { decodeRdb, encodeRdb, encodeRdbChunks, RdbError, AUX_LOG_EPOCH, AUX_LOG_INDEX, type RdbDb } from '../../../engine/store/rdb.js';
import { datasetDigest } from '../../../engine/store/digest.js';
import { Deque } from '../../../engine/store/deque.js';
import { SortedSet } from '../../../engine/store/sorted-set.js';
import type { Value } from '../../../engine/store/value.js';
import { loadRdbFile } from '../../../engine/commands/persistence.js';
import { startEngine } from '../../helpers/engine.js';
import { haveRedisServer, startRealRedis, type RealRedis } from '../../helpers/redis-server.js';
import { rng } from '../../helpers/rng.js';

// ---- random datasets ------------------------------------------------------------------

function randInt(r: () => number, n: number): number {
  return Math.floor(r() * n);
}

function randBinary(r: () => number, max: number): string {
  const b = Buffer.allocUnsafe(randInt(r, max + 1));
  for (let i = 0; i < b.length; i++) b[i] = randInt(r, 256);
  return b.toString('latin1');
}

const INTISH = ['0', '1', '-1', '127', '-128', '128', '-129', '32767', '-32768', '32768', '2147483647', '-2147483648', '2147483648', '9223372036854775807', '-0', '007', '+5', '1.5', ' 3'];

/** A string that exercises the writer's encodings: ints, binary, compressible, long. */
function randString(r: () => number): string {
  const k = randInt(r, 10);
  if (k < 3) return INTISH[randInt(r, INTISH.length)];
  if (k < 6) return randBinary(r, 24);
  if (k < 8) return 'ab\x00\xff'.repeat(5 + randInt(r, 200));
  if (k < 9) return randBinary(r, 3000);
  return '';
}

const SCORES = [0, -0, 1, -1, 0.1, 1 / 3, -2.5, 1e300, -1e-300, 5e-324, Infinity, -Infinity, 9007199254740993, 2 ** 53];

function randValue(r: () => number): Value {
  const t = randInt(r, 5);
  const n = 1 + randInt(r, r() < 0.2 ? 300 : 6);
  if (t === 0) return randString(r);
  if (t === 1) {
    const d = new Deque<string>();
    for (let i = 0; i < n; i++) d.pushBack(randString(r));
    return d;
  }
  if (t === 2) {
    const s = new Set<string>();
    for (let i = 0; i < n; i++) s.add(r() < 0.5 ? String(randInt(r, 1e6) - 5e5) : randString(r));
    return s;
  }
  if (t === 3) {
    const h = new Map<string, string>();
    for (let i = 0; i < n; i++) h.set(randString(r), randString(r));
    return h;
  }
  const z = new SortedSet();
  for (let i = 0; i < n; i++) z.set(randString(r), r() < 0.5 ? SCORES[randInt(r, SCORES.length)] : (r() - 0.5) * 10 ** randInt(r, 20));
  return z;
}

function randomDataset(seed: number, opts: { dbs?: number; keys?: number; pastTtls?: boolean } = {}): RdbDb[] {
  const r = rng(seed);
  const out: RdbDb[] = [];
  const now = Date.now();
  for (let id = 0; id < (opts.dbs ?? 16); id++) {
    const db: RdbDb = { id, data: new Map(), expires: new Map() };
    const keys = randInt(r, (opts.keys ?? 40) + 1);
    for (let i = 0; i < keys; i++) {
      const key = r() < 0.3 ? `k:${i}` : randBinary(r, 20);
      db.data.set(key, randValue(r));
      if (r() < 0.3) db.expires.set(key, now + 3_600_000 + randInt(r, 1e9));
      else if (opts.pastTtls && r() < 0.1) db.expires.set(key, now - 1000);
    }
    // Drop keys that collided into an empty-string key set by accident: nothing special.
    out.push(db);
  }
  return out;
}

function scoreText(s: number): string {
  return Object.is(s, -0) ? '-0' : String(s);
}

/** A comparable form of a dataset: order-insensitive for sets, hashes and db key order. */
function canon(dbs: Iterable<{ id: number; data: ReadonlyMap<string, Value>; expires: ReadonlyMap<string, number> }>): unknown {
  const out: unknown[] = [];
  for (const db of [...dbs].sort((a, b) => a.id - b.id)) {
    if (db.data.size === 0) continue;
    const keys = [...db.data.keys()].sort();
    out.push([
      db.id,
      keys.map((k) => {
        const v = db.data.get(k)!;
        let body: unknown;
        if (typeof v === 'string') body = ['string', v];
        else if (v instanceof Deque) body = ['list', v.toArray()];
        else if (v instanceof Set) body = ['set', [...v].sort()];
        else if (v instanceof Map) body = ['hash', [...v].sort((a, b) => (a[0] < b[0] ? -1 : 1))];
        else body = ['zset', [...v.entries()].map(([m, s]) => [m, scoreText(s)])];
        return [k, body, db.expires.get(k) ?? -1];
      }),
    ]);
  }
  return out;
}

// ---- CRC64 and LZF --------------------------------------------------------------------

describe('crc64', () => {
  it('matches Redis crc64.c test vector', () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
    expect(crc64(Buffer.alloc(0))).toBe(0n);
  });

  it('slicing-by-8 equals a bit-by-bit reference at any offset and length', () => {
    const r = rng(7);
    const data = Buffer.from(randBinary(r, 0) + Array.from({ length: 777 }, () => String.fromCharCode(randInt(r, 256))).join(''), 'latin1');
    const P = 0x95ac9329ac4bc9b5n;
    const ref = (b: Buffer, s: number, e: number) => {
      let c = 0n;
      for (let i = s; i < e; i++) {
        c ^= BigInt(b[i]);
        for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ P : c >> 1n;
      }
      return c;
    };
    for (const [s, e] of [[0, 777], [3, 700], [1, 9], [5, 6], [0, 8], [13, 13]]) expect(crc64(data, s, e)).toBe(ref(data, s, e));
    // Incremental updates in odd pieces give the same value.
    const inc = new Crc64();
    for (let i = 0; i < data.length; i += 37) inc.update(data, i, Math.min(data.length, i + 37));
    expect(inc.value).toBe(ref(data, 0, data.length));
  });
});

describe('lzf', () => {
  it('round-trips repetitive and random data, and refuses incompressible input', () => {
    const r = rng(3);
    const cases = [Buffer.from('abcabcabcabcabcabcabcabcabcabcabc'), Buffer.from('x'.repeat(100_000)), Buffer.from('hello world '.repeat(999) + randBinary(r, 5000), 'latin1')];
    for (const input of cases) {
      const out = Buffer.alloc(input.length);
      const n = lzfCompress(input, out);
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(input.length);
      expect(lzfDecompress(out, 0, n, input.length).equals(input)).toBe(true);
    }
    const random = Buffer.from(Array.from({ length: 2000 }, () => randInt(r, 256)));
    expect(lzfCompress(random, Buffer.alloc(random.length - 4))).toBe(0);
  });

  it('decodes a liblzf stream with literal runs and an overlapping back reference', () => {
    // "aaaaaaaaaa": literal 'a', then a back reference of length 9 at offset 0 (overlapping).
    const data = Buffer.from([0x00, 0x61, 0xe0, 0x00, 0x00]);
    expect(lzfDecompress(data, 0, data.length, 10).toString()).toBe('a'.repeat(10));
    expect(() => lzfDecompress(data, 0, data.length, 11)).toThrow(/11 announced/);
    expect(() => lzfDecompress(Buffer.from([0x20, 0x05]), 0, 2, 3)).toThrow(/before the start/);
  });
});

// ---- the format -----------------------------------------------------------------------

describe('encodeRdb / decodeRdb', () => {
  it('writes a tiny snapshot byte for byte', () => {
    const db: RdbDb = { id: 0, data: new Map<string, Value>([['a', '123'], ['b', 'x']]), expires: new Map([['a', 1_700_000_000_123]]) };
    const db2: RdbDb = { id: 3, data: new Map<string, Value>([['l', new Deque(['-1', 'hey'])]]), expires: new Map() };
    const buf = encodeRdb([db, db2], { [AUX_LOG_INDEX]: 42 }, { defaultAux: false });
    const ts = Buffer.alloc(8);
    ts.writeBigInt64LE(1_700_000_000_123n);
    const body = Buffer.concat([
      Buffer.from('REDIS0010', 'latin1'),
      Buffer.from([0xfa, 16]),
      Buffer.from('memlab-log-index'),
      Buffer.from([0xc0, 42]), // AUX value 42: int8-encoded
      Buffer.from([0xfe, 0, 0xfb, 2, 1]), // SELECTDB 0, RESIZEDB 2 keys / 1 expire
      Buffer.from([0xfc]),
      ts,
      Buffer.from([0x00, 1, 0x61, 0xc0, 123]), // string 'a' = int8 123
      Buffer.from([0x00, 1, 0x62, 1, 0x78]), // string 'b' = 'x'
      Buffer.from([0xfe, 3, 0xfb, 1, 0]),
      Buffer.from([0x01, 1, 0x6c, 2, 0xc0, 0xff, 3]), // list 'l': int8 -1, 'hey'
      Buffer.from('hey'),
      Buffer.from([0xff]),
    ]);
    const crc = Buffer.alloc(8);
    crc.writeBigUInt64LE(crc64(body));
    expect(buf.toString('hex')).toBe(Buffer.concat([body, crc]).toString('hex'));
    const back = decodeRdb(buf);
    expect(back.version).toBe(10);
    expect([...back.aux]).toEqual([[AUX_LOG_INDEX, '42']]);
    expect(canon(back.dbs)).toEqual(canon([db, db2]));
  });

  it('uses int8/16/32 encodings only where Redis would', () => {
    const enc = (s: string) => encodeRdb([{ id: 0, data: new Map([['k', s]]), expires: new Map() }], {}, { defaultAux: false, checksum: false });
    const tail = (s: string) => enc(s).subarray(9 + 5 + 3, -9).toString('hex'); // after header, SELECTDB/RESIZEDB, type+key
    expect(tail('-128')).toBe('c080');
    expect(tail('300')).toBe('c12c01');
    expect(tail('-2147483648')).toBe('c200000080');
    expect(tail('2147483648')).toBe('0a' + Buffer.from('2147483648').toString('hex'));
    expect(tail('007')).toBe('03' + Buffer.from('007').toString('hex'));
    expect(tail('-0')).toBe('02' + Buffer.from('-0').toString('hex'));
    // A 20000-byte string needs the 32-bit length form; a 100-byte one the 14-bit form.
    expect(tail('y'.repeat(100)).slice(0, 4)).toBe('4064');
    expect(tail('y'.repeat(20000)).slice(0, 10)).toBe('8000004e20');
  });

  for (const compress of [false, true]) {
    it(`round-trips random datasets of every type over 16 dbs (compress=${compress})`, () => {
      for (let seed = 1; seed <= 8; seed++) {
        const dbs = randomDataset(seed, { pastTtls: true });
        const buf = encodeRdb(dbs, { [AUX_LOG_INDEX]: 1000 + seed, [AUX_LOG_EPOCH]: 7 }, { compress });
        const back = decodeRdb(buf, { requireChecksum: true });
        expect(canon(back.dbs)).toEqual(canon(dbs));
        expect(datasetDigest(back.dbs)).toBe(datasetDigest(dbs));
        expect(back.aux.get(AUX_LOG_INDEX)).toBe(String(1000 + seed));
        expect(back.aux.get(AUX_LOG_EPOCH)).toBe('7');
        expect(back.aux.get('redis-ver')).toBe('7.0.15');
      }
    });
  }

  it('compression shrinks compressible data', () => {
    const dbs: RdbDb[] = [{ id: 0, data: new Map([['k', 'abc'.repeat(10_000)]]), expires: new Map() }];
    const plain = encodeRdb(dbs);
    const packed = encodeRdb(dbs, {}, { compress: true });
    expect(packed.length).toBeLessThan(plain.length / 10);
    expect(decodeRdb(packed).dbs[0].data.get('k')).toBe('abc'.repeat(10_000));
  });

  it('streams in chunks that concatenate to the same bytes', () => {
    const dbs = randomDataset(99);
    const whole = encodeRdb(dbs, { 'used-mem': 0 }, { now: 1e12 });
    const chunks = [...encodeRdbChunks(dbs, { 'used-mem': 0 }, { now: 1e12, chunkSize: 512 })];
    expect(chunks.length).toBeGreaterThan(10);
    expect(Buffer.concat(chunks).equals(whole)).toBe(true);
    expect(canon(decodeRdb(Buffer.concat(chunks)).dbs)).toEqual(canon(dbs));
  });

  it('refuses corrupted snapshots with a checksum error', () => {
    const buf = encodeRdb(randomDataset(5, { dbs: 3, keys: 15 }));
    const r = rng(11);
    for (let i = 0; i < 200; i++) {
      const bad = Buffer.from(buf);
      const at = 9 + randInt(r, buf.length - 9);
      bad[at] ^= 1 << randInt(r, 8);
      let err: unknown = null;
      try {
        decodeRdb(bad);
      } catch (e) {
        err = e;
      }
      expect(err, `flip at byte ${at}`).toBeInstanceOf(RdbError);
      expect((err as RdbError).message).toMatch(/^snapshot (checksum mismatch: |truncated|has .* trailing)/);
    }
    const flipped = Buffer.from(buf);
    flipped[buf.length - 20] ^= 0x10;
    expect(() => decodeRdb(flipped)).toThrow(/^snapshot checksum mismatch: stored 0x[0-9a-f]{16}, computed 0x[0-9a-f]{16}/);
  });

  it('refuses truncated snapshots at every cut point', () => {
    const buf = encodeRdb(randomDataset(6, { dbs: 2, keys: 8 }));
    for (let cut = 0; cut < buf.length; cut++) {
      expect(() => decodeRdb(buf.subarray(0, cut)), `cut at ${cut}`).toThrow(RdbError);
    }
    expect(() => decodeRdb(buf.subarray(0, buf.length - 3))).toThrow(/^snapshot truncated/);
    expect(() => decodeRdb(Buffer.from('NOTANRDBFILE'))).toThrow(/not an RDB file/);
    expect(() => decodeRdb(Buffer.concat([buf, Buffer.from('x')]))).toThrow(/trailing data/);
  });

  it('accepts a zero checksum like Redis, unless a checksum is required', () => {
    const dbs = randomDataset(8, { dbs: 2 });
    const buf = encodeRdb(dbs, {}, { checksum: false });
    expect(buf.subarray(-8).equals(Buffer.alloc(8))).toBe(true);
    expect(canon(decodeRdb(buf).dbs)).toEqual(canon(dbs));
    expect(() => decodeRdb(buf, { requireChecksum: true })).toThrow(/checksum mismatch: .*without a checksum/);
  });

  it('reads old encodings: ziplist hash, zset and quicklist (RDB 9), intset, string scores', () => {
    // Ziplist: zlbytes, zltail, zllen, entries (prevlen, encoding, data), 0xff.
    const ziplist = (entries: Buffer[]) => {
      const parts: Buffer[] = [];
      let prev = 0;
      for (const e of entries) {
        parts.push(Buffer.concat([Buffer.from([prev]), e]));
        prev = e.length + 1;
      }
      const body = Buffer.concat(parts);
      const head = Buffer.alloc(10);
      head.writeUInt32LE(10 + body.length + 1, 0);
      head.writeUInt32LE(10 + body.length - prev, 4);
      head.writeUInt16LE(entries.length, 8);
      return Buffer.concat([head, body, Buffer.from([0xff])]);
    };
    const zstr = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
    const zint16 = (n: number) => {
      const b = Buffer.alloc(3);
      b[0] = 0xc0;
      b.writeInt16LE(n, 1);
      return b;
    };
    const zimm = (n: number) => Buffer.from([0xf1 + n]);
    const zint64 = (n: bigint) => {
      const b = Buffer.alloc(9);
      b[0] = 0xe0;
      b.writeBigInt64LE(n, 1);
      return b;
    };
    const rdbStr = (b: Buffer) => Buffer.concat([Buffer.from([0x40 | (b.length >> 8), b.length & 0xff]), b]);
    const intset = Buffer.alloc(8 + 3 * 8);
    intset.writeUInt32LE(8, 0);
    intset.writeUInt32LE(3, 4);
    intset.writeBigInt64LE(-5n, 8);
    intset.writeBigInt64LE(7n, 16);
    intset.writeBigInt64LE(9007199254740993n, 24);
    const body = Buffer.concat([
      Buffer.from('REDIS0009', 'latin1'),
      Buffer.from([0xfe, 0]),
      Buffer.from([13, 1, 0x68]), // HASH_ZIPLIST 'h'
      rdbStr(ziplist([zstr('f1'), zint16(-300), zstr('f2'), zstr('v\x00')])),
      Buffer.from([12, 1, 0x7a]), // ZSET_ZIPLIST 'z'
      rdbStr(ziplist([zstr('m1'), zimm(3), zstr('m2'), zstr('2.5')])),
      Buffer.from([14, 1, 0x6c, 2]), // QUICKLIST 'l' with two ziplist nodes
      rdbStr(ziplist([zstr('a'), zint64(-9223372036854775808n)])),
      rdbStr(ziplist([zimm(12)])),
      Buffer.from([11, 1, 0x73]), // SET_INTSET 's'
      rdbStr(intset),
      Buffer.from([3, 2, 0x7a, 0x32, 2]), // ZSET (string scores) 'z2'
      Buffer.from([1, 0x61, 254, 1, 0x62, 3]),
      Buffer.from('1.5'),
      Buffer.from([0xfd, 0x00, 0x94, 0x35, 0x77]), // EXPIRETIME in seconds (2000000000) for the next key
      Buffer.from([0, 1, 0x74, 1, 0x74]),
      Buffer.from([0xff]),
    ]);
    const crc = Buffer.alloc(8);
    crc.writeBigUInt64LE(crc64(body));
    const got = decodeRdb(Buffer.concat([body, crc]));
    expect(got.version).toBe(9);
    const d = got.dbs[0].data;
    expect([...(d.get('h') as Map<string, string>)]).toEqual([['f1', '-300'], ['f2', 'v\x00']]);
    expect([...(d.get('z') as SortedSet).entries()]).toEqual([['m2', 2.5], ['m1', 3]]);
    expect((d.get('l') as Deque<string>).toArray()).toEqual(['a', '-9223372036854775808', '12']);
    expect([...(d.get('s') as Set<string>)].sort()).toEqual(['-5', '7', '9007199254740993']);
    expect([...(d.get('z2') as SortedSet).entries()]).toEqual([['b', 1.5], ['a', Infinity]]);
    expect(got.dbs[0].expires.get('t')).toBe(2_000_000_000_000);
  });

  it('refuses module and stream values and unknown types clearly', () => {
    const mk = (type: number) => {
      const body = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([0xfe, 0, type, 1, 0x6b, 0, 0xff])]);
      const crc = Buffer.alloc(8);
      crc.writeBigUInt64LE(crc64(body));
      return Buffer.concat([body, crc]);
    };
    expect(() => decodeRdb(mk(15))).toThrow(/stream at key 'k'.*does not support streams/);
    expect(() => decodeRdb(mk(19))).toThrow(/stream/);
    expect(() => decodeRdb(mk(7))).toThrow(/module value at key 'k'/);
    expect(() => decodeRdb(mk(42))).toThrow(/unknown value type 42/);
  });
});

// ---- against Debian's redis-server ------------------------------------------------------

const haveRedis = haveRedisServer();
if (!haveRedis) console.log('skipping real redis-server RDB tests: redis-server is not installed');

describe.skipIf(!haveRedis)('RDB interop with redis-server 7.0', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memlab-rdb-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a snapshot saved by the engine loads into redis-server with the same DEBUG DIGEST', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'e2r-'));
    const engine = await startEngine({ dir, dbfilename: 'memlab.rdb' });
    let real: RealRedis | null = null;
    try {
      // Future TTLs only: a redis primary drops already-expired keys when it loads.
      const dbs = randomDataset(2024, { keys: 60 });
      for (const d of dbs) {
        for (const [k, v] of d.data) engine.server.dbs[d.id].set(k, v);
        for (const [k, at] of d.expires) engine.server.dbs[d.id].setExpire(k, at);
      }
      const c = engine.client();
      expect(await c.save()).toBe('OK');
      const ours = await c.call('DEBUG', 'DIGEST');
      expect(ours).not.toBe('0'.repeat(40));
      real = await startRealRedis(['--dir', dir, '--dbfilename', 'memlab.rdb', '--enable-debug-command', 'yes', '--logfile', path.join(dir, 'redis.log')]);
      const rc = real.client();
      expect(await rc.call('DEBUG', 'DIGEST')).toBe(ours);
      for (const d of dbs) {
        await rc.select(d.id);
        expect(await rc.dbsize()).toBe(d.data.size);
      }
      // Spot checks through redis's own commands, including a TTL.
      await rc.select(0);
      const withTtl = [...dbs[0].expires.keys()].find((k) => /^k:\d+$/.test(k));
      if (withTtl) expect(await rc.call('PEXPIRETIME', withTtl)).toBe(dbs[0].expires.get(withTtl));
    } finally {
      await real?.stop();
      await engine.stop();
    }
  });

  it('decodes what redis-server saves (listpacks, intsets, quicklists, LZF, ints) to the same digest', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'r2e-'));
    const real = await startRealRedis(['--dir', dir, '--dbfilename', 'real.rdb', '--enable-debug-command', 'yes', '--rdbcompression', 'yes', '--hash-max-listpack-value', '100000', '--zset-max-listpack-value', '100000']);
    try {
      const c = real.client();
      const r = rng(77);
      // Strings: int-encoded, embstr, raw, LZF-compressible, binary.
      await c.set('int', '12345');
      await c.set('bigint', '9223372036854775807');
      await c.set('neg', '-42');
      await c.set(Buffer.from([0, 255, 10, 13]), Buffer.from([1, 2, 3, 0]));
      await c.set('lzf', 'compress me '.repeat(500));
      await c.set('ttl', 'v', 'PX', 3_600_000);
      // Lists: one listpack node, many nodes, and plain nodes for big elements.
      await c.rpush('small-list', 'a', '1', '-70000', '5000000000', 'x'.repeat(70), 'y'.repeat(5000));
      for (let i = 0; i < 30; i++) await c.rpush('big-list', ...Array.from({ length: 100 }, (_, j) => (j % 3 === 0 ? String(i * 100 + j) : `e${i}-${j}-` + 'z'.repeat(j))));
      await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1000');
      await c.rpush('plain-list', 'small', 'P'.repeat(5000), 'tiny', 'Q'.repeat(3000));
      // Sets: intsets of every width, and a hashtable.
      await c.sadd('intset16', 1, 2, -3, 300);
      await c.sadd('intset32', 1, 100000, -100000);
      await c.sadd('intset64', 1, '9007199254740993', '-9223372036854775808');
      await c.sadd('strset', 'a', 'b', Buffer.from([0, 1, 2]));
      // Hashes: listpack with every int width and string length class; a hashtable.
      await c.hset('lp-hash', 'i7', '5', 'i13', '-4000', 'i16', '30000', 'i24', '8000000', 'i32', '-2000000000', 'i64', '-9000000000000000000', 's6', 'q', 's12', 'w'.repeat(200), 's32', 'v'.repeat(5000));
      const bigHash: string[] = [];
      for (let i = 0; i < 300; i++) bigHash.push(`f${i}`, randBinary(r, 30));
      await c.hset('ht-hash', ...bigHash);
      // Sorted sets: listpack (int and float scores) and skiplist.
      await c.zadd('lp-zset', 1, 'one', 2.5, 'two.5', -3, 'neg', 0.1, 'tenth', '-inf', 'ninf', 1e300, 'huge');
      const bigZ: (string | number)[] = [];
      for (let i = 0; i < 300; i++) bigZ.push(r() * 1000 - 500, `m${i}`);
      await c.zadd('sl-zset', ...bigZ);
      // Another db, and a ttl on an aggregate.
      await c.select(5);
      await c.hset('h5', 'a', '1');
      await c.pexpire('h5', 5_000_000);
      await c.select(0);
      const digest = await c.call('DEBUG', 'DIGEST');
      expect(await c.save()).toBe('OK');
      const file = path.join(dir, 'real.rdb');
      const snap = decodeRdb(fs.readFileSync(file), { requireChecksum: true });
      expect(datasetDigest(snap.dbs)).toBe(digest);
      expect(snap.aux.get('redis-ver')).toBe('7.0.15');
      const d0 = snap.dbs.find((d) => d.id === 0)!.data;
      expect(d0.get('lzf')).toBe('compress me '.repeat(500));
      expect((d0.get('plain-list') as Deque<string>).toArray()).toEqual(['small', 'P'.repeat(5000), 'tiny', 'Q'.repeat(3000)]);
      expect((d0.get('small-list') as Deque<string>).toArray()).toEqual(['a', '1', '-70000', '5000000000', 'x'.repeat(70), 'y'.repeat(5000)]);
      expect((d0.get('lp-hash') as Map<string, string>).get('i64')).toBe('-9000000000000000000');
      expect([...(d0.get('intset64') as Set<string>)].sort()).toEqual(['-9223372036854775808', '1', '9007199254740993']);

      // The engine loads the same file and reports the same DEBUG DIGEST.
      const engine = await startEngine({ dir, dbfilename: 'real.rdb' });
      try {
        const res = loadRdbFile(engine.server);
        expect(res?.keys).toBeGreaterThan(15);
        expect(await engine.client().call('DEBUG', 'DIGEST')).toBe(digest);
      } finally {
        await engine.stop();
      }

      // A stream makes the snapshot unloadable, and the error says why.
      await c.xadd('stream', '*', 'f', 'v');
      expect(await c.save()).toBe('OK');
      expect(() => decodeRdb(fs.readFileSync(file))).toThrow(/stream at key 'stream'/);
    } finally {
      await real.stop();
    }
  });
});
