/**
 * Durable-mode snapshots in a directory all engine nodes share (on one machine: the lab's
 * stand-in for S3). A file `snap-<index>-<epoch>-<node>.rdb` is an RDB with AUX
 * memlab-log-index/epoch and a CRC64, written atomically (temp file, fsync, rename, fsync
 * of the directory). Readers refuse a snapshot whose checksum or position does not hold
 * and fall back to the next newest.
 *
 * Writing and checking are asynchronous and chunked: a follower keeps reading the log (and
 * seeing the writer's lease renewals) while it snapshots, so a big keyspace does not make
 * it campaign against a healthy writer. `trim-point` (JSON) records the newest trim point a
 * follower validated, for the writer, which must never stall on reading snapshots.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { encodeRdbChunks, decodeRdb, AUX_LOG_EPOCH, AUX_LOG_INDEX, type DecodedRdb } from '../store/rdb.js';
import { Crc64 } from '../store/crc64.js';
import type { Server } from '../server/server.js';
import type { Position } from '../log/types.js';

const NAME = /^snap-(\d+)-(\d+)-([^/]+)\.rdb$/;
const MARKER = 'trim-point';

export interface SnapshotRef {
  file: string;
  at: Position;
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class SnapshotStore {
  /** name|size|mtime -> valid? Files are immutable once renamed; a changed one is checked again. */
  private readonly verified = new Map<string, boolean>();

  constructor(
    readonly dir: string,
    private readonly node: string,
    private readonly log: (m: string) => void = () => {},
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Snapshot files, newest (highest index) first. */
  list(): SnapshotRef[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: SnapshotRef[] = [];
    for (const n of names) {
      const m = NAME.exec(n);
      if (m) out.push({ file: path.join(this.dir, n), at: { index: Number(m[1]), epoch: Number(m[2]) } });
    }
    return out.sort((a, b) => b.at.index - a.at.index || b.at.epoch - a.at.epoch);
  }

  fileFor(at: Position): string {
    return path.join(this.dir, `snap-${String(at.index).padStart(16, '0')}-${at.epoch}-${this.node}.rdb`);
  }

  /**
   * Write the keyspace as the snapshot at `at`, yielding between chunks. The caller keeps
   * the keyspace unchanged until the promise settles.
   */
  async save(server: Server, at: Position): Promise<string> {
    const file = this.fileFor(at);
    const tmp = path.join(this.dir, `temp-${process.pid}-${randomBytes(4).toString('hex')}.rdb`);
    const fh = await fs.promises.open(tmp, 'w', 0o644);
    try {
      const chunks = encodeRdbChunks(server.dbs, { [AUX_LOG_INDEX]: at.index, [AUX_LOG_EPOCH]: at.epoch }, { checksum: true, compress: false, chunkSize: 1 << 20 });
      for (const c of chunks) {
        for (let off = 0; off < c.length; ) off += (await fh.write(c, off, c.length - off)).bytesWritten;
      }
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => {});
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    await fh.close();
    fs.renameSync(tmp, file);
    fsyncDir(this.dir);
    return file;
  }

  /** Decode and check one snapshot: checksum, and the position in its AUX against its name. */
  load(ref: SnapshotRef): DecodedRdb | null {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(ref.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`snapshot ${ref.file} unreadable: ${(e as Error).message}`);
      return null;
    }
    try {
      const snap = decodeRdb(buf, { requireChecksum: true });
      const idx = Number(snap.aux.get(AUX_LOG_INDEX));
      const ep = Number(snap.aux.get(AUX_LOG_EPOCH));
      if (idx !== ref.at.index || ep !== ref.at.epoch) throw new Error(`its AUX says ${idx}@${ep}, its name ${ref.at.index}@${ref.at.epoch}`);
      return snap;
    } catch (e) {
      this.log(`snapshot ${ref.file} refused: ${(e as Error).message}`);
      return null;
    }
  }

  /** The newest snapshot that loads, at or above `minIndex`. */
  newest(minIndex = 0): { ref: SnapshotRef; snap: DecodedRdb } | null {
    for (const ref of this.list()) {
      if (ref.at.index < minIndex) break;
      const snap = this.load(ref);
      if (snap) return { ref, snap };
    }
    return null;
  }

  /** Whether a snapshot's CRC64 holds, read in chunks (cached per file version). */
  async valid(ref: SnapshotRef): Promise<boolean> {
    let key: string;
    let size: number;
    try {
      const st = fs.statSync(ref.file);
      size = st.size;
      key = `${ref.file}|${st.size}|${st.mtimeMs}`;
    } catch {
      return false;
    }
    const hit = this.verified.get(key);
    if (hit !== undefined) return hit;
    let ok = false;
    let why = 'too short';
    if (size > 17) {
      const fh = await fs.promises.open(ref.file, 'r');
      try {
        const crc = new Crc64();
        const buf = Buffer.allocUnsafe(1 << 20);
        let pos = 0;
        while (pos < size - 8) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - 8 - pos), pos);
          if (bytesRead === 0) break;
          crc.update(buf, 0, bytesRead);
          pos += bytesRead;
        }
        const tail = Buffer.alloc(8);
        await fh.read(tail, 0, 8, size - 8);
        const stored = tail.readBigUInt64LE(0);
        ok = pos === size - 8 && stored !== 0n && stored === crc.value;
        why = `checksum mismatch: stored ${stored.toString(16)}, computed ${crc.value.toString(16)}`;
      } finally {
        await fh.close();
      }
    }
    if (!ok) this.log(`snapshot ${ref.file} refused: ${why}`);
    this.verified.set(key, ok);
    return ok;
  }

  /**
   * Where the log may be trimmed: the second-newest valid snapshot (one spare, so a
   * snapshot found corrupt later still leaves a valid one at or above the trim point).
   */
  async trimPoint(): Promise<Position | null> {
    // Distinct positions: two followers snapshotting the same index are one copy, not a spare.
    let newest: Position | null = null;
    for (const ref of this.list()) {
      if (newest && ref.at.index === newest.index) continue;
      if (!(await this.valid(ref))) continue;
      if (newest) return ref.at;
      newest = ref.at;
    }
    return null;
  }

  /** Record a validated trim point for the writer (atomic replace). */
  writeMarker(at: Position): void {
    const tmp = path.join(this.dir, `${MARKER}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(at));
    fs.renameSync(tmp, path.join(this.dir, MARKER));
  }

  readMarker(): Position | null {
    try {
      const p = JSON.parse(fs.readFileSync(path.join(this.dir, MARKER), 'utf8')) as Position;
      return Number.isSafeInteger(p.index) && Number.isSafeInteger(p.epoch) ? p : null;
    } catch {
      return null;
    }
  }

  /** Delete snapshots below `index` (the log is trimmed at or above it: nobody needs them). */
  prune(index: number): void {
    for (const ref of this.list()) {
      if (ref.at.index >= index) continue;
      fs.rmSync(ref.file, { force: true });
    }
    // Stale temp files of crashed writers.
    for (const n of fs.readdirSync(this.dir)) {
      if (!n.startsWith('temp-')) continue;
      const f = path.join(this.dir, n);
      try {
        if (Date.now() - fs.statSync(f).mtimeMs > 600_000) fs.rmSync(f, { force: true });
      } catch {
        // raced with its writer or another pruner
      }
    }
  }
}
