import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { RawConnection } from '../../helpers/raw.js';
import { EMPTY_DIGEST } from '../../../engine/store/digest.js';
import { AUX_LOG_EPOCH, AUX_LOG_INDEX, decodeRdb, RdbError } from '../../../engine/store/rdb.js';
import { loadRdbFile, setSnapshotAuxProvider } from '../../../engine/commands/persistence.js';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memlab-debug-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

async function engine(config: Record<string, string | number> = {}): Promise<TestEngine> {
  const e = await startEngine(config);
  engines.push(e);
  return e;
}

async function fill(e: TestEngine): Promise<void> {
  const c = e.client();
  await c.set('str', 'v');
  await c.set('num', '123');
  await c.call('SET', Buffer.from([0, 0xff, 0x80]), Buffer.from([1, 2, 0]));
  await c.rpush('list', 'a', 'b', 'c');
  await c.sadd('set', 'x', 'y', '1');
  await c.hset('hash', 'f', 'v', 'g', 'w');
  await c.zadd('zset', 1, 'a', 2.5, 'b', '-inf', 'c');
  await c.set('ttl', 'v', 'PX', 3_600_000);
  await c.select(7);
  await c.set('in7', 'yes');
  await c.select(0);
}

describe('DEBUG', () => {
  it('DIGEST and DIGEST-VALUE answer with 40 hex chars as status replies', async () => {
    const e = await engine();
    const raw = await RawConnection.connect(e.port);
    raw.write('DEBUG DIGEST\r\n');
    expect(await raw.readUntil('\r\n')).toBe(`+${EMPTY_DIGEST}\r\n`);
    raw.write('DEBUG DIGEST-VALUE\r\n');
    expect(await raw.readUntil('\r\n')).toBe('*0\r\n');
    raw.write('SET k v\r\nDEBUG DIGEST-VALUE k nokey\r\n');
    const reply = await raw.readUntil(`+${EMPTY_DIGEST}\r\n`);
    expect(reply).toMatch(/^\+OK\r\n\*2\r\n\+[0-9a-f]{40}\r\n\+0{40}\r\n$/);
    raw.write('DEBUG DIGEST\r\n');
    expect(await raw.readUntil('\r\n')).toMatch(/^\+(?!0{40})[0-9a-f]{40}\r\n$/);
    raw.close();
  });

  it('answers Redis errors for unknown subcommands and wrong arities', async () => {
    const c = (await engine()).client();
    await expect(c.call('DEBUG', 'JMAP')).rejects.toThrow("ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP.");
    await expect(c.call('DEBUG', 'DIGEST', 'x')).rejects.toThrow("ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP.");
    await expect(c.call('DEBUG', 'sleep')).rejects.toThrow("for 'sleep'. Try DEBUG HELP.");
    await expect(c.call('DEBUG')).rejects.toThrow("ERR wrong number of arguments for 'debug' command");
    await expect(c.call('DEBUG', 'RELOAD', 'foo')).rejects.toThrow('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
    const help = (await c.call('DEBUG', 'HELP')) as string[];
    expect(help[0]).toBe('DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toContain('DIGEST-VALUE <key> [<key> ...]');
  });

  it('SLEEP stalls the whole server, other connections included', async () => {
    const e = await engine();
    const a = e.client();
    const b = e.client();
    await Promise.all([a.ping(), b.ping()]);
    const t0 = Date.now();
    const sleeping = a.call('DEBUG', 'SLEEP', '0.3');
    await new Promise((r) => setTimeout(r, 30));
    await b.ping();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await sleeping).toBe('OK');
    // strtod semantics: no number is 0 seconds.
    const t1 = Date.now();
    expect(await a.call('DEBUG', 'SLEEP', 'abc')).toBe('OK');
    expect(Date.now() - t1).toBeLessThan(200);
  });

  it('RELOAD round-trips the dataset through RDB and keeps the digest', async () => {
    const e = await engine();
    await fill(e);
    const c = e.client();
    const before = await c.call('DEBUG', 'DIGEST');
    const big = Array.from({ length: 500 }, (_, i) => `e${i}`);
    await c.rpush('biglist', ...big);
    const withBig = await c.call('DEBUG', 'DIGEST');
    expect(withBig).not.toBe(before);
    expect(await c.call('DEBUG', 'RELOAD')).toBe('OK');
    expect(await c.call('DEBUG', 'DIGEST')).toBe(withBig);
    expect(await c.lrange('biglist', 0, -1)).toEqual(big);
    expect(await c.pttl('ttl')).toBeGreaterThan(3_000_000);
    expect(await c.zscore('zset', 'c')).toBe('-inf');
    await c.select(7);
    expect(await c.get('in7')).toBe('yes');
  });

  it('RELOAD on a primary drops keys whose TTL already passed, as loading an RDB does', async () => {
    const e = await engine();
    const c = e.client();
    await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await c.set('stays', '1');
    await c.set('gone', '1', 'PX', 50);
    await new Promise((r) => setTimeout(r, 120));
    expect(e.server.dbs[0].data.has('gone')).toBe(true); // no active expiry, never read
    await c.call('DEBUG', 'RELOAD');
    expect(e.server.dbs[0].data.has('gone')).toBe(false);
    expect(await c.get('stays')).toBe('1');
  });

  it('SET-ACTIVE-EXPIRE 0 stops background expiry and 1 restores it', async () => {
    const e = await engine({ hz: 100 });
    const c = e.client();
    expect(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toBe('OK');
    await c.set('k', 'v', 'PX', 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(e.server.dbs[0].data.has('k')).toBe(true);
    expect(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1')).toBe('OK');
    const until = Date.now() + 2000;
    while (e.server.dbs[0].data.has('k') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(e.server.dbs[0].data.has('k')).toBe(false);
  });
});

describe('SAVE / BGSAVE / LASTSAVE', () => {
  it('SAVE writes dir/dbfilename atomically and a fresh engine loads it to the same digest', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'save-'));
    const e = await engine({ dir, dbfilename: 'snap.rdb' });
    await fill(e);
    const c = e.client();
    const digest = await c.call('DEBUG', 'DIGEST');
    const t0 = Math.floor(Date.now() / 1000);
    expect(await c.save()).toBe('OK');
    expect(fs.readdirSync(dir)).toEqual(['snap.rdb']); // no temp file left behind
    expect(await c.lastsave()).toBeGreaterThanOrEqual(t0);
    expect(await c.info('persistence')).toContain('rdb_changes_since_last_save:0');
    const snap = decodeRdb(fs.readFileSync(path.join(dir, 'snap.rdb')), { requireChecksum: true });
    expect(snap.aux.get('redis-ver')).toBe('7.0.15');

    const fresh = await engine({ dir, dbfilename: 'snap.rdb' });
    const res = loadRdbFile(fresh.server);
    expect(res?.keys).toBe(9);
    expect(await fresh.client().call('DEBUG', 'DIGEST')).toBe(digest);
  });

  it('BGSAVE replies like Redis and saves; bad arguments are a syntax error', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'bgsave-'));
    const e = await engine({ dir });
    const c = e.client();
    await c.set('a', '1');
    expect(await c.bgsave()).toBe('Background saving started');
    expect(decodeRdb(fs.readFileSync(path.join(dir, 'dump.rdb'))).dbs[0].data.get('a')).toBe('1');
    expect(await c.call('BGSAVE', 'SCHEDULE')).toBe('Background saving started');
    await expect(c.call('BGSAVE', 'foo')).rejects.toThrow('ERR syntax error');
  });

  it('SAVE is refused inside MULTI and fails with ERR when the directory is gone', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'gone-'));
    const e = await engine({ dir });
    const c = e.client();
    await c.set('a', '1');
    const before = await c.lastsave();
    fs.rmSync(dir, { recursive: true });
    await expect(c.save()).rejects.toThrow(/^ERR$/);
    expect(await c.lastsave()).toBe(before);
    await c.multi({ pipeline: false });
    await expect(c.save()).rejects.toThrow('ERR Command not allowed inside a transaction');
    await c.discard();
  });

  it('RELOAD NOSAVE restores the saved file; NOFLUSH MERGE adds it to the live data', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'nosave-'));
    const e = await engine({ dir });
    const c = e.client();
    await c.set('a', 'saved');
    await c.save();
    await c.set('a', 'changed');
    await c.set('b', 'new');
    expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE')).toBe('OK');
    expect(await c.get('a')).toBe('saved');
    expect(await c.exists('b')).toBe(0);
    await c.set('b', 'new');
    await c.set('a', 'changed');
    // NOFLUSH without MERGE would clash on 'a': refused, nothing changes.
    await expect(c.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH')).rejects.toThrow('ERR Error trying to load the RDB dump, check server logs.');
    expect(await c.get('a')).toBe('changed');
    expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE')).toBe('OK');
    expect(await c.mget('a', 'b')).toEqual(['saved', 'new']);
  });

  it('snapshots carry the registered AUX fields (log position) and corrupt files are refused', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'aux-'));
    const e = await engine({ dir });
    setSnapshotAuxProvider(e.server, () => ({ [AUX_LOG_INDEX]: 987654321, [AUX_LOG_EPOCH]: 3 }));
    const c = e.client();
    await c.set('a', '1');
    await c.save();
    const file = path.join(dir, 'dump.rdb');
    const snap = decodeRdb(fs.readFileSync(file));
    expect(snap.aux.get(AUX_LOG_INDEX)).toBe('987654321');
    expect(snap.aux.get(AUX_LOG_EPOCH)).toBe('3');

    const fresh = await engine({ dir });
    expect(loadRdbFile(fresh.server, path.join(dir, 'absent.rdb'))).toBeNull();
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 12] ^= 0x40;
    fs.writeFileSync(file, bytes);
    expect(() => loadRdbFile(fresh.server)).toThrow(RdbError);
    expect(() => loadRdbFile(fresh.server)).toThrow(/snapshot checksum mismatch: .*dump\.rdb/);
    fs.writeFileSync(file, bytes.subarray(0, 30));
    expect(() => loadRdbFile(fresh.server)).toThrow(/snapshot truncated/);
    expect(fresh.server.dbs[0].size).toBe(0);
  });
});
