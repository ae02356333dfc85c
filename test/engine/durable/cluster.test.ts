/**
 * Durable mode with real processes: 3 `memlab lognode` + 3 `memlab server --mode durable`
 * on loopback. Faults are real signals to the PIDs these tests spawned.
 */
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecords } from '../../../engine/log/node/storage.js';
import { DurableCluster, isErr, logStats, readAll, RespError, sleep, until, WriteLoad, type RespValue } from './cluster.js';

const LONG = 180_000;

describe('durable cluster', () => {
  let c: DurableCluster;
  beforeAll(async () => {
    c = await DurableCluster.start({ leaseMs: 1000 });
  }, LONG);
  afterAll(async () => {
    await c?.stop();
  }, LONG);

  it(
    'acknowledges ioredis writes, and the replicas converge to the primary',
    async () => {
      const p = await c.primary();
      const r = new Redis({ host: '127.0.0.1', port: p.port, maxRetriesPerRequest: 0 });
      r.on('error', () => {});
      try {
        const pipe = r.pipeline();
        for (let i = 0; i < 500; i++) pipe.set(`io:${i}`, `v${i}\u00ff`);
        pipe.incrby('io:counter', 5).hset('io:h', 'f', 'x').rpush('io:l', 'a', 'b').sadd('io:s', 'm').zadd('io:z', 1, 'a');
        const res = await pipe.exec();
        expect(res!.every(([e]) => e === null)).toBe(true);
        expect(await r.get('io:17')).toBe('v17\u00ff');
        expect(await r.incr('io:counter')).toBe(6);
        expect(await r.wait(2, 0)).toBe(2);
        expect(await r.call('ROLE')).toEqual(['master', expect.any(Number), []]);
      } finally {
        r.disconnect();
      }
      const digest = await c.converge();
      expect(digest).not.toBe('0'.repeat(40));
      const f = c.engines.find((e) => e !== p)!;
      const info = await c.info(f);
      expect(info).toMatchObject({ role: 'slave', log_role: 'follower', log_known_writer: p.id, log_lag: '0' });
      // It reads the log from the replica of its own AZ (--log-local), which keeps up.
      expect(info.log_read_from).toBe(`l${c.engines.indexOf(f) + 1}`);
      const fc = await c.connect(f);
      // Followers read only for connections that accept stale data.
      expect(((await fc.call(['GET', 'io:17'])) as RespError).message).toMatch(new RegExp(`^TRYAGAIN this node follows the log \\(the primary is ${p.id}\\)`));
      expect(await fc.call(['READONLY'])).toBe('OK');
      // ioredis sent UTF-8; the raw client reads bytes as latin1.
      expect(await fc.call(['GET', 'io:17'])).toBe(Buffer.from('v17\u00ff').toString('latin1'));
      const w = await fc.call(['SET', 'io:x', '1']);
      expect(isErr(w) && w.message).toMatch(/^READONLY/);
      const role = (await fc.call(['ROLE'])) as RespValue[];
      expect(role.slice(0, 2)).toEqual(['slave', p.id]);
    },
    LONG,
  );

  it(
    'never shows a replica half of a MULTI/EXEC entry',
    async () => {
      const p = await c.primary();
      const f = c.engines.find((e) => e !== p)!;
      const pc = await c.connect(p);
      const fc = await c.connect(f);
      expect(await fc.call(['READONLY'])).toBe('OK');
      let stop = false;
      let reads = 0;
      const bad: string[] = [];
      const poll = (async () => {
        while (!stop) {
          const v = (await fc.call(['MGET', 'tx:a', 'tx:b', 'tx:c'])) as (string | null)[];
          reads++;
          if (v[0] !== v[1] || v[1] !== v[2]) bad.push(JSON.stringify(v));
        }
      })();
      for (let i = 0; i < 150; i++) {
        const replies = await Promise.all([pc.call(['MULTI']), pc.call(['INCR', 'tx:a']), pc.call(['INCR', 'tx:b']), pc.call(['INCR', 'tx:c']), pc.call(['EXEC'])]);
        expect(replies[4]).toEqual([i + 1, i + 1, i + 1]);
      }
      await until('the replica to apply the last transaction', async () => (await fc.call(['GET', 'tx:c'])) === '150');
      stop = true;
      await poll;
      expect(bad).toEqual([]);
      expect(reads).toBeGreaterThan(20);
    },
    LONG,
  );

  it(
    'holds replies while no majority of log replicas can persist them, and releases them after',
    async () => {
      const p = await c.primary();
      const pc = await c.connect(p);
      expect(await pc.call(['SET', 'hold:before', '1'])).toBe('OK');
      const [, l2, l3] = c.logs;
      l2.signal('SIGSTOP');
      l3.signal('SIGSTOP');
      try {
        const t0 = Date.now();
        let answered: RespValue | undefined;
        const write = pc.call(['SET', 'hold:k', 'v']).then((v) => (answered = v));
        const read = pc.call(['GET', 'hold:k']);
        const untouched = await (await c.connect(p)).call(['GET', 'hold:before']);
        // A key without a pending write is answered at once, even now.
        expect(untouched).toBe('1');
        await sleep(700);
        expect(answered).toBeUndefined();
        l2.signal('SIGCONT');
        l3.signal('SIGCONT');
        expect(await write).toBe('OK');
        expect(await read).toBe('v');
        expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
      } finally {
        l2.signal('SIGCONT');
        l3.signal('SIGCONT');
      }
    },
    LONG,
  );

  it(
    'keeps writing with one log replica down; a replica restarted with a torn last record cuts it and rejoins',
    async () => {
      const l3 = c.logs[2];
      await l3.kill();
      const p = await c.primary();
      const pc = await c.connect(p);
      for (let i = 0; i < 50; i++) expect(await pc.call(['SET', `one-down:${i}`, String(i)])).toBe('OK');
      // n3 reads "its AZ's" l3: with l3 down it reads from the others in turn and keeps up.
      const n3 = c.engines[2];
      if (n3 !== p) {
        await c.converge();
        expect((await c.info(n3)).log_read_from).toBe('all');
      }
      // Tear l3's last record: cut its file in the middle of it.
      const file = path.join(c.logDir('l3'), 'log.dat');
      // The file runs ahead of its records with zeros: tear at the end of the records.
      const size = decodeRecords(readFileSync(file)).good;
      expect(statSync(file).size).toBeGreaterThan(size);
      truncateSync(file, size - 7);
      l3.output = '';
      l3.start();
      await until('l3 to recover', async () => /ready on/.test(l3.output));
      expect(l3.output).toMatch(/cut a torn or corrupt tail of .*log\.dat at byte \d+: \d+ bytes dropped \(record torn/);
      for (let i = 0; i < 50; i++) expect(await pc.call(['SET', `rejoin:${i}`, String(i)])).toBe('OK');
      // l3 caught up: with l2 gone, commits need it.
      const st = await until('l3 to catch up', async () => {
        const s = await logStats(l3);
        const l1 = await logStats(c.logs[0]);
        return (s.last as { index: number }).index === (l1.last as { index: number }).index ? s : null;
      });
      expect((st.last as { index: number }).index).toBeGreaterThan(0);
      c.logs[1].signal('SIGSTOP');
      try {
        for (let i = 0; i < 20; i++) expect(await pc.callTimeout(['SET', `needs-l3:${i}`, String(i)], 5000)).toBe('OK');
      } finally {
        c.logs[1].signal('SIGCONT');
      }
    },
    LONG,
  );

  it(
    'with two log replicas down, answers no write as failed that may still commit',
    async () => {
      const load = new WriteLoad(c, 4, 'two-down');
      await sleep(500);
      const [, l2, l3] = c.logs;
      const p0 = await c.primary();
      const direct = await c.connect(p0);
      await l2.kill();
      await l3.kill();
      // Past the lease, before the commit deadline (2 leases): a new write is refused, unexecuted.
      await sleep(1500);
      const refused = await direct.callTimeout(['SET', 'two-down:refused', 'x'], 5000);
      expect(refused instanceof RespError && refused.message).toMatch(/^(TRYAGAIN|READONLY)/);
      // Past the deadline: the held writes are answered "unknown" (they may yet commit).
      await sleep(2000);
      const stuckAt = load.outcomes.size;
      l2.start();
      l3.start();
      await c.primary(60000);
      await sleep(500);
      await load.stop();
      expect(load.count('ok')).toBeGreaterThan(0);
      expect(load.outcomes.size).toBeGreaterThan(stuckAt);
      const p = await c.primary();
      const vals = await readAll(p, [...load.outcomes.keys()]);
      const lost = load.acked.filter((k) => vals.get(k) !== k);
      // A definite error must mean the write never happened.
      const ghost = [...load.outcomes].filter(([k, o]) => o === 'fail' && vals.get(k) !== null).map(([k]) => k);
      expect({ lost, ghost }).toEqual({ lost: [], ghost: [] });
      expect(load.errors.get('UNKNOWN') ?? 0).toBeGreaterThan(0);
      expect(await (await c.connect(p)).call(['GET', 'two-down:refused'])).toBeNull();
    },
    LONG,
  );

  it(
    'takes over after kill -9 of the primary under write load and loses no acknowledged write',
    async () => {
      const old = await c.primary();
      const load = new WriteLoad(c, 8, 'kill9');
      await until('some acknowledged writes', async () => load.count('ok') > 200);
      const killedAt = Date.now();
      await old.kill();
      const next = await c.primary(60000, old);
      const takeover = Date.now() - killedAt;
      await until('writes on the new primary', async () => load.count('ok') > 400, 30000);
      await load.stop();
      expect(next).not.toBe(old);
      expect(takeover).toBeGreaterThan(c.leaseMs);
      const vals = await readAll(next, [...load.outcomes.keys()]);
      const lost = load.acked.filter((k) => vals.get(k) !== k);
      const ghost = [...load.outcomes].filter(([k, o]) => o === 'fail' && vals.get(k) !== null).map(([k]) => k);
      expect({ lost, ghost }).toEqual({ lost: [], ghost: [] });
      // The old primary comes back as a follower, rebuilt from the log alone, and converges.
      old.start();
      await until(`${old.id} to follow`, async () => (await c.info(old)).log_role === 'follower');
      await c.converge(60000);
      const txa = await readAll(next, ['tx:a', 'tx:b', 'tx:c']);
      expect(new Set(txa.values()).size).toBe(1);
    },
    LONG,
  );

  it(
    'gives an old primary paused past its lease no write and no stale read after it resumes',
    async () => {
      const old = await c.primary();
      const oc = await c.connect(old);
      expect(await oc.call(['SET', 'pause:x', 'old'])).toBe('OK');
      old.signal('SIGSTOP');
      let resumed = false;
      try {
        const next = await c.primary(60000, old);
        const nc = await c.connect(next);
        expect(await nc.call(['SET', 'pause:x', 'new'])).toBe('OK');
        // Sent while it is stopped: it reads them the moment it resumes.
        const read = oc.callTimeout(['GET', 'pause:x'], 20000);
        const write = oc.callTimeout(['SET', 'pause:y', 'from-old'], 20000);
        old.signal('SIGCONT');
        resumed = true;
        const [r, w] = await Promise.all([read, write]);
        expect(r === 'new' || r instanceof RespError, `read on the resumed old primary: ${JSON.stringify(r)}`).toBe(true);
        expect(w).toBeInstanceOf(RespError);
        expect((w as RespError).message).toMatch(/^(TRYAGAIN|READONLY|UNKNOWN)/);
        expect(await nc.call(['GET', 'pause:y'])).toBeNull();
        await until(`${old.id} to be fenced and follow`, async () => (await c.info(old)).log_role === 'follower');
        expect(old.output).toMatch(/fenced|campaign/);
        await c.converge(60000);
      } finally {
        if (!resumed) old.signal('SIGCONT');
      }
    },
    LONG,
  );
});

describe('durable cluster with snapshots', () => {
  let c: DurableCluster;
  beforeAll(async () => {
    c = await DurableCluster.start({ leaseMs: 1000, snapshotEvery: 25 });
  }, LONG);
  afterAll(async () => {
    await c?.stop();
  }, LONG);

  it(
    'trims the log behind snapshots; nodes rebuilt from snapshot + tail match, and a corrupt snapshot is refused',
    async () => {
      const p = await c.primary();
      const pc = await c.connect(p);
      for (let i = 0; i < 300; i++) expect(await pc.call(['SET', `s:${i % 120}`, String(i)])).toBe('OK');
      expect(await pc.call(['DEL', 's:7'])).toBe(1);
      const digest = await c.converge(60000);
      // The replicas trimmed below a snapshot.
      const base = await until('a trimmed log', async () => {
        const st = await logStats(c.logs[0]);
        return (st.base as { index: number }).index > 0 ? (st.base as { index: number }).index : null;
      });
      expect(base).toBeGreaterThan(0);
      const f = c.engines.find((e) => e !== p)!;
      await f.kill();
      f.output = '';
      f.start();
      await until(`${f.id} to start`, async () => /ready to accept/.test(f.output));
      expect(f.output).toMatch(/loaded snapshot .*snap-\d+-\d+-n\d\.rdb at log index \d+/);
      expect(await c.converge(60000)).toBe(digest);
      // Corrupt every copy of the newest snapshot: the next node refuses it and uses an older one.
      const newest = readdirNewest(c.snapshotDir!);
      for (const file of newest.files) {
        const b = readFileSync(file);
        b[Math.floor(b.length / 2)] ^= 0xff;
        writeFileSync(file, b);
      }
      await f.kill();
      f.output = '';
      f.start();
      await until(`${f.id} to start`, async () => /ready to accept/.test(f.output));
      expect(f.output).toMatch(/refused: snapshot checksum mismatch|refused: snapshot/);
      const m = /loaded snapshot .*snap-(\d+)-/.exec(f.output);
      expect(m, f.output).not.toBeNull();
      expect(Number(m![1])).toBeLessThan(newest.index);
      expect(await c.converge(60000)).toBe(digest);
    },
    LONG,
  );
});


function readdirNewest(dir: string): { index: number; files: string[] } {
  const all = readdirSync(dir)
    .map((n) => ({ n, m: /^snap-(\d+)-/.exec(n) }))
    .filter((x) => x.m)
    .map((x) => ({ file: path.join(dir, x.n), index: Number(x.m![1]) }));
  const index = Math.max(...all.map((x) => x.index));
  return { index, files: all.filter((x) => x.index === index).map((x) => x.file) };
}
