import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32c } from '../../../engine/log/node/crc32c.js';
import { decodeBody, encodeFrame, FrameReader, type WireMsg } from '../../../engine/log/node/codec.js';
import { decodeRecords, encodeRecords, LogFile, PREALLOC } from '../../../engine/log/node/storage.js';
import { parseLogList } from '../../../engine/log/node/transport.js';
import { decodeEffects, EffectEncoder, encodeEffects } from '../../../engine/durable/effects.js';
import type { PersistOp } from '../../../engine/log/replica.js';
import { rng } from '../../helpers/rng.js';

const allBytes = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

describe('crc32c', () => {
  it('matches the RFC 3720 / iSCSI test vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });
  it('continues across parts and ranges', () => {
    const b = Buffer.from('The quick brown fox jumps over the lazy dog, twice over.');
    for (const cut of [0, 1, 7, 8, 9, 30, b.length]) expect(crc32c(b, crc32c(b, 0, 0, cut), cut)).toBe(crc32c(b));
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });
});

describe('effects payload', () => {
  it('round-trips binary arguments and db numbers', () => {
    const effects = [
      { db: 0, argv: ['SET', 'k\r\n\0', allBytes] },
      { db: 15, argv: ['MULTI'] },
      { db: 15, argv: ['SADD', '', 'x'.repeat(70000)] },
      { db: 15, argv: ['EXEC'] },
    ];
    expect(decodeEffects(encodeEffects(effects))).toEqual(effects);
    const enc = new EffectEncoder();
    enc.add(effects.slice(0, 1));
    enc.add(effects.slice(1));
    expect(enc.count).toBe(4);
    expect(decodeEffects(enc.take())).toEqual(effects);
    expect(enc.size).toBe(0);
  });
  it('refuses a truncated payload loudly', () => {
    const b = encodeEffects([{ db: 0, argv: ['SET', 'a', 'b'] }]);
    expect(() => decodeEffects(b.subarray(0, b.length - 1))).toThrow(/invariant: effect payload truncated/);
  });
});

describe('frames', () => {
  it('carry entries with raw payloads, no-ops and the other fields', () => {
    const payload = Buffer.from(allBytes, 'latin1');
    const msg: WireMsg = {
      type: 'append',
      from: 'n1',
      epoch: 3,
      prevIndex: 9,
      prevEpoch: 2,
      entries: [
        { index: 10, epoch: 3, payload: null },
        { index: 11, epoch: 3, payload },
        { index: 12, epoch: 3, payload: Buffer.alloc(0) },
      ],
      commitIndex: 8,
      sentAt: 1234.5678,
      reset: true,
    };
    const frame = encodeFrame(msg);
    expect(frame.readUInt32LE(0)).toBe(frame.length - 4);
    const back = decodeBody(frame.subarray(4)) as typeof msg;
    expect(back).toEqual(msg);
    expect(Buffer.compare(back.entries[1].payload!, payload)).toBe(0);
    const hb = decodeBody(encodeFrame({ ...msg, entries: [] }).subarray(4)) as typeof msg;
    expect(hb.entries).toEqual([]);
  });
  it('reassemble from arbitrary chunking', () => {
    const msgs: WireMsg[] = [];
    for (let i = 0; i < 20; i++) {
      msgs.push({ type: 'readReply', from: 'l1', reqId: i, fromIndex: i, prevEpoch: 1, entries: [{ index: i, epoch: 1, payload: Buffer.alloc(i * 37, i) }], commitIndex: i, promisedEpoch: 1, mark: null });
      msgs.push({ type: 'promise', from: 'n2', epoch: i, campaign: `n2@x#${i}` });
    }
    const all = Buffer.concat(msgs.map(encodeFrame));
    for (const size of [1, 3, 17, 4096]) {
      const r = new FrameReader();
      const got: WireMsg[] = [];
      for (let o = 0; o < all.length; o += size) for (const b of r.push(all.subarray(o, o + size))) got.push(decodeBody(b));
      expect(got).toEqual(msgs);
    }
  });
  it('refuses an impossible frame length', () => {
    const r = new FrameReader();
    const b = Buffer.alloc(4);
    b.writeUInt32LE(0xffffffff, 0);
    expect(() => r.push(b)).toThrow(/exceeds/);
  });
});

describe('log list', () => {
  it('parses ids and defaults', () => {
    expect(parseLogList('a=127.0.0.1:1,b=h:2')).toEqual([
      { id: 'a', host: '127.0.0.1', port: 1 },
      { id: 'b', host: 'h', port: 2 },
    ]);
    expect(parseLogList('127.0.0.1:7101, 127.0.0.1:7102').map((p) => p.id)).toEqual(['l1', 'l2']);
    expect(() => parseLogList('x')).toThrow(/host:port/);
    expect(() => parseLogList('a=h:1,a=h:2')).toThrow(/duplicate/);
  });
});

const allZeroFrom = (b: Buffer, from: number) => b.subarray(from).every((x) => x === 0);

describe('log file', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'memlab-logfile-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const entry = (index: number, epoch: number, text: string | null) => ({ index, epoch, payload: text === null ? null : Buffer.from(text, 'latin1') });
  const persist = (f: LogFile, ops: PersistOp<Buffer>[]) => new Promise<void>((r) => f.persist(ops, r));

  it('recovers promise, entries, truncation and trim', async () => {
    const dir = tmp();
    const { file } = LogFile.open(dir);
    await persist(file, [{ op: 'promise', epoch: 1, to: 'n1@a#1' }, { op: 'append', entries: [entry(1, 1, null), entry(2, 1, 'two'), entry(3, 1, allBytes)] }]);
    await persist(file, [{ op: 'truncate', from: 3 }, { op: 'promise', epoch: 2, to: null }, { op: 'append', entries: [entry(3, 2, 'three'), entry(4, 2, 'four')] }]);
    await persist(file, [{ op: 'trim', index: 2, epoch: 1 }]);
    expect(file.fsyncMs.count).toBe(3);
    file.close();
    const { recovery } = LogFile.open(dir);
    expect(recovery.cut).toBeNull();
    expect(recovery.state.promisedEpoch).toBe(2);
    expect(recovery.state.promisedTo).toBeNull();
    expect(recovery.state.base).toEqual({ index: 2, epoch: 1 });
    expect(recovery.state.entries.map((e) => [e.index, e.epoch, e.payload?.toString('latin1')])).toEqual([
      [3, 2, 'three'],
      [4, 2, 'four'],
    ]);
  });

  it('cuts a torn last record and keeps everything before it', async () => {
    const dir = tmp();
    const { file } = LogFile.open(dir);
    await persist(file, [{ op: 'append', entries: [entry(1, 1, 'a'), entry(2, 1, 'b')] }]);
    const good = file.bytes;
    await persist(file, [{ op: 'append', entries: [entry(3, 1, 'c'.repeat(100))] }]);
    file.close();
    const f = path.join(dir, 'log.dat');
    expect(statSync(f).size).toBeGreaterThan(file.bytes); // zeros run ahead of the records
    truncateSync(f, file.bytes - 30);
    const { file: again, recovery } = LogFile.open(dir);
    expect(recovery.cut).toMatchObject({ at: good, reason: expect.stringMatching(/torn/) });
    expect(recovery.state.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(statSync(f).size).toBe(good);
    // The cut is durable and the file appendable again: the next record follows the good prefix.
    await persist(again, [{ op: 'append', entries: [entry(3, 2, 'c2')] }]);
    again.close();
    const third = LogFile.open(dir);
    expect(third.recovery.cut).toBeNull();
    expect(third.recovery.state.entries.map((e) => `${e.index}@${e.epoch}`)).toEqual(['1@1', '2@1', '3@2']);
  });

  it('cuts at a record whose CRC does not match', async () => {
    const dir = tmp();
    const { file } = LogFile.open(dir);
    await persist(file, [{ op: 'append', entries: [entry(1, 1, 'hello'), entry(2, 1, 'world')] }]);
    file.close();
    const f = path.join(dir, 'log.dat');
    const b = readFileSync(f);
    b[file.bytes - 2] ^= 0x40; // flip a bit inside entry 2's payload
    writeFileSync(f, b);
    const { recovery } = LogFile.open(dir);
    expect(recovery.cut?.reason).toMatch(/CRC32C mismatch/);
    expect(recovery.state.entries.map((e) => e.payload!.toString())).toEqual(['hello']);
  });

  it('writes zeros ahead of the records; recovery ends at them without a cut and drops stale bytes past the end', async () => {
    const dir = tmp();
    const f = path.join(dir, 'log.dat');
    const { file } = LogFile.open(dir);
    await persist(file, [{ op: 'append', entries: [entry(1, 1, 'a')] }]);
    expect(statSync(f).size).toBe(file.bytes + PREALLOC);
    // Cross the preallocated end a few times: each crossing extends the zeros again.
    const big = 'x'.repeat(PREALLOC / 3);
    for (let i = 2; i <= 8; i++) await persist(file, [{ op: 'append', entries: [entry(i, 1, big)] }]);
    expect(statSync(f).size).toBeGreaterThanOrEqual(file.bytes + 8);
    expect(allZeroFrom(readFileSync(f), file.bytes)).toBe(true);
    const end = file.bytes;
    file.close();
    const clean = LogFile.open(dir);
    expect(clean.recovery.cut).toBeNull();
    expect(clean.recovery.bytes).toBe(end);
    expect(clean.recovery.state.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(statSync(f).size).toBe(end); // truncated to the records; zeros come back with the next persist
    clean.file.close();
    // A crash can leave a later record on disk behind a header that never landed. It was never
    // acknowledged; it must not survive behind the next record written at the same place.
    const stale = encodeRecords([{ op: 'append', entries: [entry(9, 1, 'nine'), entry(10, 1, 'ten')] }]);
    const b = Buffer.concat([readFileSync(f), stale, Buffer.alloc(64)]);
    b.fill(0, end, end + 8); // entry 9's header lost
    writeFileSync(f, b);
    const torn = LogFile.open(dir);
    expect(torn.recovery.cut).toMatchObject({ at: end, reason: expect.stringMatching(/impossible/) });
    expect(statSync(f).size).toBe(end);
    await persist(torn.file, [{ op: 'append', entries: [entry(9, 2, 'nine') ] }]);
    torn.file.close();
    const after = LogFile.open(dir);
    expect(after.recovery.cut).toBeNull();
    expect(after.recovery.state.entries.map((e) => `${e.index}@${e.epoch}`).slice(-2)).toEqual(['8@1', '9@2']);
    after.file.close();
  });

  it('a crash during any write recovers the synced records plus at most a whole-record prefix of the torn batch, never more (200 seeds)', async () => {
    const f = (dir: string) => path.join(dir, 'log.dat');
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const dir = tmp();
      const { file } = LogFile.open(dir);
      // A synced history: a few batches of entries of random sizes.
      let index = 0;
      const batch = (epoch: number) =>
        Array.from({ length: 1 + Math.floor(r() * 4) }, () => entry(++index, epoch, 'v'.repeat(Math.floor(r() * 3000)) + seed));
      for (let b = Math.floor(r() * 4); b >= 0; b--) await persist(file, [{ op: 'append', entries: batch(1) }]);
      const synced = index;
      const end = file.bytes;
      file.close();
      // The torn batch: its records land sector by sector, any subset, in any order.
      const torn = encodeRecords([{ op: 'append', entries: batch(1) }]);
      const disk = readFileSync(f(dir));
      const image = Buffer.concat([disk, Buffer.alloc(Math.max(0, end + torn.length - disk.length))]);
      for (let off = 0; off < torn.length; off += 512) if (r() < 0.6) torn.copy(image, end + off, off, Math.min(off + 512, torn.length));
      writeFileSync(f(dir), image);
      const again = LogFile.open(dir);
      const got = again.recovery.state.entries.map((e) => e.index);
      expect(got.slice(0, synced), `seed ${seed}`).toEqual(Array.from({ length: synced }, (_, i) => i + 1));
      // Whatever of the torn batch survived is a prefix of it, each record whole (its CRC held).
      expect(got, `seed ${seed}`).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
      expect(got.length, `seed ${seed}`).toBeLessThanOrEqual(index);
      expect(statSync(f(dir)).size, `seed ${seed}`).toBe(again.recovery.bytes);
      // A new writer's entries follow; nothing of the torn batch past the cut comes back.
      const next = got.length + 1;
      await persist(again.file, [{ op: 'append', entries: [entry(next, 2, 'after')] }]);
      again.file.close();
      const third = LogFile.open(dir);
      expect(third.recovery.cut, `seed ${seed}`).toBeNull();
      expect(third.recovery.state.entries.map((e) => `${e.index}@${e.epoch}`).slice(-1), `seed ${seed}`).toEqual([`${next}@2`]);
      expect(third.recovery.state.entries.length, `seed ${seed}`).toBe(next);
      third.file.close();
    }
  });

  it('compacts once trimmed data dominates, keeping the live state', async () => {
    const dir = tmp();
    const { file } = LogFile.open(dir, { compactBytes: 10_000 });
    const entries = Array.from({ length: 100 }, (_, i) => entry(i + 1, 1, 'x'.repeat(200)));
    await persist(file, [{ op: 'promise', epoch: 1, to: 'c' }, { op: 'append', entries }]);
    const before = file.bytes;
    await persist(file, [{ op: 'trim', index: 90, epoch: 1 }]);
    expect(file.compactions).toBe(1);
    expect(file.bytes).toBeLessThan(before / 5);
    await persist(file, [{ op: 'append', entries: [entry(101, 1, 'tail')] }]);
    file.close();
    const { recovery } = LogFile.open(dir);
    expect(recovery.state.base).toEqual({ index: 90, epoch: 1 });
    expect(recovery.state.promisedEpoch).toBe(1);
    expect(recovery.state.promisedTo).toBe('c');
    expect(recovery.state.entries.map((e) => e.index)).toEqual([91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101]);
  });

  it('encodes records that decode to the same ops', () => {
    const ops: PersistOp<Buffer>[] = [
      { op: 'promise', epoch: 7, to: 'née' },
      { op: 'reset', index: 5, epoch: 3 },
      { op: 'append', entries: [entry(6, 7, allBytes), entry(7, 7, null)] },
    ];
    const d = decodeRecords(encodeRecords(ops));
    expect(d.bad).toBeNull();
    expect(d.records).toBe(4);
    expect(d.ops).toEqual(ops);
  });
});
