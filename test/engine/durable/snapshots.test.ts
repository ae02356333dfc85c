import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allCommands } from '../../../engine/commands/index.js';
import { Server } from '../../../engine/server/server.js';
import { Logger } from '../../../engine/server/logger.js';
import { SnapshotStore } from '../../../engine/durable/snapshots.js';
import { datasetDigest } from '../../../engine/store/digest.js';
import { installSnapshot } from '../../../engine/commands/persistence.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function server(): Server {
  return new Server(allCommands(), { logger: new Logger('t', 'nothing') });
}

function setKey(s: Server, k: string, v: string): void {
  const c = s.createClient(null);
  c.role = 'primary';
  s.applyEffect(c, ['SET', k, v]);
}

describe('snapshot store', () => {
  it('keeps one spare position: the trim point is the second-newest distinct valid position', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-snaps-'));
    dirs.push(dir);
    const logs: string[] = [];
    const a = new SnapshotStore(dir, 'n2', (m) => logs.push(m));
    const b = new SnapshotStore(dir, 'n3');
    const s = server();
    setKey(s, 'k', 'v10');
    const at10 = await a.save(s, { index: 10, epoch: 1 });
    await b.save(s, { index: 10, epoch: 1 });
    const d10 = datasetDigest(s.dbs);
    setKey(s, 'k', 'v20');
    await a.save(s, { index: 20, epoch: 2 });
    await b.save(s, { index: 20, epoch: 2 });
    // Two copies of 20 are not a spare: 10 is.
    expect(await a.trimPoint()).toEqual({ index: 10, epoch: 1 });
    for (const ref of a.list().filter((r) => r.at.index === 20)) {
      const buf = readFileSync(ref.file);
      buf[buf.length - 12] ^= 1;
      writeFileSync(ref.file, buf);
    }
    expect(await a.trimPoint()).toBeNull();
    const got = a.newest();
    expect(got?.ref.at).toEqual({ index: 10, epoch: 1 });
    expect(logs.some((l) => /snap-0+20-2-n\d\.rdb refused: .*checksum mismatch/.test(l))).toBe(true);
    const t = server();
    installSnapshot(t, got!.snap, { dropExpired: false });
    expect(datasetDigest(t.dbs)).toBe(d10);
    a.prune(10);
    expect(a.list().map((r) => r.at.index)).toEqual([20, 20, 10, 10]);
    a.prune(20);
    expect(a.list().map((r) => r.at.index)).toEqual([20, 20]);
    expect(at10).toMatch(/snap-0000000000000010-1-n2\.rdb$/);
  });

  it('refuses a snapshot whose AUX position disagrees with its name', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-snaps-'));
    dirs.push(dir);
    const logs: string[] = [];
    const st = new SnapshotStore(dir, 'n1', (m) => logs.push(m));
    const file = await st.save(server(), { index: 5, epoch: 1 });
    const renamed = file.replace('0000000000000005-1', '0000000000000007-1');
    writeFileSync(renamed, readFileSync(file));
    rmSync(file);
    expect(st.newest()).toBeNull();
    expect(logs.join('\n')).toMatch(/AUX says 5@1, its name 7@1/);
  });

  it('records the trim point for the writer', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-snaps-'));
    dirs.push(dir);
    const st = new SnapshotStore(dir, 'n1');
    expect(st.readMarker()).toBeNull();
    st.writeMarker({ index: 42, epoch: 3 });
    expect(new SnapshotStore(dir, 'n2').readMarker()).toEqual({ index: 42, epoch: 3 });
  });
});
