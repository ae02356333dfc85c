import { describe, expect, it } from 'vitest';
import { Backlog } from '../../../engine/replication/backlog.js';
import { ReplicationState, NULL_REPLID } from '../../../engine/replication/primary.js';
import { ReplicaLink, type LinkAction } from '../../../engine/replication/link.js';
import { encodeCommand } from '../../../engine/resp/encoder.js';

let ids = 0;
/** Feed effects and take what the replicas would be sent ('' when nothing). */
function feed(s: ReplicationState, effects: { db: number; argv: string[] }[]): string {
  s.feedEffects(effects);
  return s.takePending()?.toString('latin1') ?? '';
}
const newId = () => (++ids).toString(16).padStart(40, '0');
const cfg = () => ({ backlogSize: 64, pingPeriodSec: 10, timeoutSec: 60 });

describe('Backlog', () => {
  it('keeps the newest bytes across wrap-around and serves any covered offset', () => {
    const b = new Backlog(10, 1);
    let all = '';
    for (let i = 0; i < 30; i++) {
      const s = 'abcdefghijklmnopq'.slice(0, (i * 7) % 6 + 1);
      b.append(i % 2 ? s : Buffer.from(s, 'latin1'));
      all += s;
      expect(b.lastOffset).toBe(all.length);
      expect(b.histlen).toBe(Math.min(10, all.length));
      for (let off = b.firstOffset; off <= all.length + 1; off++) {
        expect(b.from(off).toString('latin1')).toBe(all.slice(off - 1));
      }
      expect(b.covers(b.firstOffset - 1)).toBe(all.length < 10 ? false : false);
      expect(b.covers(all.length + 2)).toBe(false);
    }
  });

  it('an append larger than the buffer keeps only its tail; resize keeps the newest bytes', () => {
    const b = new Backlog(4, 11);
    b.append('0123456789');
    expect(b.firstOffset).toBe(17);
    expect(b.from(17).toString()).toBe('6789');
    b.resize(8);
    b.append('ab');
    expect(b.from(17).toString()).toBe('6789ab');
    b.resize(3);
    expect(b.firstOffset).toBe(20);
    expect(b.from(20).toString()).toBe('9ab');
  });
});

describe('ReplicationState (primary side)', () => {
  it('counts no offset until a replica needs a backlog, then starts a new history', () => {
    const s = new ReplicationState({ ...cfg(), backlogSize: 1000 }, newId);
    const id0 = s.replid;
    expect(feed(s, [{ db: 0, argv: ['SET', 'a', '1'] }])).toBe('');
    expect(s.offset).toBe(0);
    s.addReplica(1, '127.0.0.1', 0);
    const d = s.psync(1, '?', -1, 0);
    expect(d.kind).toBe('full');
    expect(s.replid).not.toBe(id0);
    if (d.kind === 'full') expect(d.reply).toBe(`+FULLRESYNC ${s.replid} 0\r\n`);
    const out = feed(s, [{ db: 2, argv: ['SET', 'a', '1'] }, { db: 2, argv: ['DEL', 'b'] }, { db: 0, argv: ['INCR', 'c'] }]);
    expect(out).toBe(encodeCommand(['SELECT', '2']) + encodeCommand(['SET', 'a', '1']) + encodeCommand(['DEL', 'b']) + encodeCommand(['SELECT', '0']) + encodeCommand(['INCR', 'c']));
    expect(s.offset).toBe(out.length);
    expect(s.backlog!.firstOffset).toBe(1);
  });

  it('PSYNC continues only inside the backlog and the ID (or ID2 up to its offset)', () => {
    const s = new ReplicationState(cfg(), newId);
    s.addReplica(1, 'x', 0);
    s.psync(1, '?', -1, 0);
    const first = feed(s, [{ db: 0, argv: ['SET', 'k', 'v'] }]);
    s.addReplica(2, 'y', 0);
    s.replicas.get(2)!.capaPsync2 = true;
    const c = s.psync(2, s.replid, 1, 0);
    expect(c.kind).toBe('continue');
    if (c.kind === 'continue') {
      expect(c.reply).toBe(`+CONTINUE ${s.replid}\r\n`);
      expect(c.data.toString('latin1')).toBe(first);
    }
    // Past the end, before the start, or an unknown ID: full.
    s.addReplica(3, 'z', 0);
    expect(s.psync(3, s.replid, s.offset + 2, 0).kind).toBe('full');
    s.addReplica(4, 'z', 0);
    expect(s.psync(4, newId(), 1, 0).kind).toBe('full');
    // Overflow the 64-byte backlog: offset 1 is gone.
    for (let i = 0; i < 10; i++) feed(s, [{ db: 0, argv: ['SET', 'k' + i, 'v'] }]);
    s.addReplica(5, 'z', 0);
    expect(s.psync(5, s.replid, 1, 0).kind).toBe('full');
    s.addReplica(6, 'z', 0);
    expect(s.psync(6, s.replid, s.offset + 1, 0).kind).toBe('continue');

    // Promotion: the old ID is valid up to offset+1, not beyond.
    const old = s.replid;
    const at = s.offset;
    s.shiftReplid();
    expect(s.replid2).toBe(old);
    expect(s.secondReplidOffset).toBe(at + 1);
    feed(s, [{ db: 0, argv: ['SET', 'new', '1'] }]);
    s.addReplica(7, 'z', 0);
    expect(s.psync(7, old, at + 1, 0).kind).toBe('continue');
    s.addReplica(8, 'z', 0);
    expect(s.psync(8, old, at + 2, 0).kind).toBe('full');
    expect(NULL_REPLID).toHaveLength(40);
  });

  it('stream bytes wait for takePending; a PSYNC with bytes not yet in the backlog is a bug', () => {
    const s = new ReplicationState({ ...cfg(), backlogSize: 1000 }, newId);
    s.addReplica(1, 'a', 0);
    s.psync(1, '?', -1, 0);
    s.feedEffects([{ db: 0, argv: ['SET', 'a', '1'] }]);
    s.feedEffects([{ db: 0, argv: ['SET', 'b', '2'] }]);
    expect(s.offset).toBe(s.backlog!.lastOffset + encodeCommand(['SET', 'a', '1']).length * 2 + encodeCommand(['SELECT', '0']).length);
    s.addReplica(2, 'b', 0);
    expect(() => s.psync(2, s.replid, 1, 0)).toThrow(/invariant/);
    expect(s.takePending()!.length).toBe(s.offset);
    expect(s.takePending()).toBeNull();
    expect(s.psync(2, s.replid, 1, 0).kind).toBe('continue');
  });

  it('WAIT: waiters are satisfied by ACKs of online replicas only', () => {
    const s = new ReplicationState(cfg(), newId);
    s.addReplica(1, 'a', 0);
    s.addReplica(2, 'b', 0);
    s.psync(1, '?', -1, 0);
    s.psync(2, '?', -1, 0);
    s.bulkStarted(1);
    s.bulkStarted(2);
    feed(s, [{ db: 0, argv: ['SET', 'k', 'v'] }]);
    const t = s.addWaiter(s.offset, 2);
    expect(s.replconf(1, ['ACK', String(s.offset)], 1000)).toEqual({ reply: 'none' });
    // Replica 1 has not finished its snapshot transfer: not counted.
    expect(s.satisfiedWaiters()).toEqual([]);
    s.bulkDone(1, 1000);
    s.bulkDone(2, 1000);
    expect(s.countAcks(s.offset)).toBe(1);
    s.replconf(2, ['ACK', String(s.offset - 1)], 1000);
    expect(s.satisfiedWaiters()).toEqual([]);
    s.replconf(2, ['ACK', String(s.offset)], 1000);
    expect(s.satisfiedWaiters()).toEqual([{ token: t, count: 2 }]);
    expect(s.waiting).toBe(0);
    // ACKs never go backwards.
    s.replconf(2, ['ACK', '1'], 1000);
    expect(s.replicas.get(2)!.ackOffset).toBe(s.offset);
    // min-replicas-max-lag: whole seconds since the last ACK.
    expect(s.goodReplicas(3000, 1)).toBe(0);
    expect(s.goodReplicas(2999, 1)).toBe(2);
    expect(s.replconf(1, ['foo', 'bar'], 0)).toEqual({ error: 'ERR Unrecognized REPLCONF option: foo' });
  });

  it('PINGs every period and drops replicas silent for repl-timeout', () => {
    const s = new ReplicationState({ backlogSize: 100, pingPeriodSec: 2, timeoutSec: 5 }, newId);
    s.addReplica(1, 'a', 0);
    s.psync(1, '?', -1, 0);
    s.bulkStarted(1);
    s.bulkDone(1, 0);
    expect(s.tick(2000).ping).toBe(true);
    expect(s.takePending()?.toString()).toBe(encodeCommand(['PING']));
    expect(s.tick(3000).ping).toBe(false);
    expect(s.tick(4000).ping).toBe(true);
    expect(s.offset).toBe(2 * encodeCommand(['PING']).length);
    expect(s.tick(5000).timedOut).toEqual([]);
    expect(s.tick(5001).timedOut).toEqual([1]);
  });
});

/** Drive a link through the handshake; returns the actions of each step. */
function handshake(link: ReplicaLink): string[] {
  const sent: string[] = [];
  const take = (as: LinkAction[]) => {
    for (const a of as) if (a.kind === 'send') sent.push(a.data);
    return as;
  };
  take(link.tick(0));
  take(link.connected(0));
  take(link.data(Buffer.from('+PONG\r\n'), 0));
  take(link.data(Buffer.from('+OK\r\n+OK\r\n'), 0));
  return sent;
}

function applied(actions: LinkAction[]): { commands: string[][]; raw: string } {
  const commands: string[][] = [];
  let raw = '';
  for (const a of actions) {
    if (a.kind === 'apply') {
      commands.push(...a.commands);
      raw += a.raw.toString('latin1');
    }
  }
  return { commands, raw };
}

const linkCfg = { host: 'h', port: 1, listeningPort: 7002, masterauth: '', masteruser: '', timeoutSec: 60 };

describe('ReplicaLink (replica side)', () => {
  it('handshakes as Redis 7 does, with AUTH when masterauth is set', () => {
    const sent = handshake(new ReplicaLink(linkCfg, null));
    expect(sent).toEqual([
      encodeCommand(['PING']),
      encodeCommand(['REPLCONF', 'listening-port', '7002']) + encodeCommand(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']),
      encodeCommand(['PSYNC', '?', '-1']),
    ]);
    const l2 = new ReplicaLink({ ...linkCfg, masterauth: 'pw' }, { replid: 'a'.repeat(40), offset: 99 });
    l2.tick(0);
    l2.connected(0);
    const a = l2.data(Buffer.from('-NOAUTH Authentication required.\r\n'), 0);
    expect(a[0]).toEqual({ kind: 'send', data: encodeCommand(['AUTH', 'pw']) + encodeCommand(['REPLCONF', 'listening-port', '7002']) + encodeCommand(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']) });
    const b = l2.data(Buffer.from('+OK\r\n+OK\r\n+OK\r\n'), 0);
    expect(b).toEqual([{ kind: 'send', data: encodeCommand(['PSYNC', 'a'.repeat(40), '100']) }]);
    // A refused AUTH drops the link.
    const l3 = new ReplicaLink({ ...linkCfg, masterauth: 'bad' }, null);
    l3.tick(0);
    l3.connected(0);
    l3.data(Buffer.from('+PONG\r\n'), 0);
    expect(l3.data(Buffer.from('-WRONGPASS invalid username-password pair\r\n'), 0).some((x) => x.kind === 'close')).toBe(true);
    expect(l3.state).toBe('connect');
  });

  it('counts exact bytes per command whatever the chunking; MULTI is applied whole; GETACK acks before itself', () => {
    const stream =
      encodeCommand(['SELECT', '1']) +
      encodeCommand(['SET', 'a', 'x\r\ny']) +
      encodeCommand(['MULTI']) +
      encodeCommand(['INCR', 'n']) +
      encodeCommand(['SADD', 's', 'm']) +
      encodeCommand(['EXEC']) +
      encodeCommand(['PING']) +
      encodeCommand(['REPLCONF', 'GETACK', '*']) +
      encodeCommand(['DEL', 'a']);
    const getackAt = stream.indexOf('*3\r\n$8\r\nREPLCONF');
    const rdbPayload = 'REDIS-not-parsed-here';
    const pre = `+FULLRESYNC ${'b'.repeat(40)} 500\r\n\n\n$${rdbPayload.length}\r\n${rdbPayload}`;
    for (const step of [1, 2, 3, 7, 1000]) {
      const link = new ReplicaLink(linkCfg, null);
      handshake(link);
      const all = pre + stream;
      const actions: LinkAction[] = [];
      const seenOffsets: number[] = [];
      for (let i = 0; i < all.length; i += step) {
        const as = link.data(Buffer.from(all.slice(i, i + step), 'latin1'), 0);
        actions.push(...as);
        for (const a of as) if (a.kind === 'apply') seenOffsets.push(link.reploff);
        // Never inside a MULTI block.
        expect(applied(as).commands.filter((c) => c[0] === 'INCR').length === 1 ? applied(as).commands.some((c) => c[0] === 'SADD') : true).toBe(true);
      }
      const load = actions.find((a) => a.kind === 'load');
      expect(load && load.kind === 'load' && load.rdb.toString()).toBe(rdbPayload);
      const { commands, raw } = applied(actions);
      expect(commands).toEqual([['SELECT', '1'], ['SET', 'a', 'x\r\ny'], ['INCR', 'n'], ['SADD', 's', 'm'], ['DEL', 'a']]);
      expect(raw).toBe(stream);
      expect(link.reploff).toBe(500 + stream.length);
      const acks = actions.filter((a) => a.kind === 'send').map((a) => (a as { data: string }).data);
      // The first ACK right after loading, then the GETACK's, without its own bytes.
      expect(acks).toEqual([encodeCommand(['REPLCONF', 'ACK', '500']), encodeCommand(['REPLCONF', 'ACK', String(500 + getackAt)])]);
      expect(Math.max(...seenOffsets)).toBe(500 + stream.length);
    }
  });

  it('reads an EOF-marked (diskless) payload and continues partially after a drop', () => {
    const link = new ReplicaLink(linkCfg, null);
    handshake(link);
    const mark = 'c'.repeat(40);
    const body = 'RDBBYTES' + 'c'.repeat(39);
    const acts = link.data(Buffer.from(`+FULLRESYNC ${'d'.repeat(40)} 10\r\n$EOF:${mark}\r\n${body}`, 'latin1'), 0);
    expect(acts.some((a) => a.kind === 'load')).toBe(false);
    const done = link.data(Buffer.from(mark), 0);
    const load = done.find((a) => a.kind === 'load');
    expect(load && load.kind === 'load' && load.rdb.toString()).toBe(body);
    link.data(Buffer.from(encodeCommand(['SET', 'k', 'v']) + encodeCommand(['MULTI']) + encodeCommand(['SET', 'half', '1'])), 0);
    const afterSet = 10 + encodeCommand(['SET', 'k', 'v']).length;
    // The half-received MULTI is not counted: PSYNC asks for it again.
    expect(link.reploff).toBe(afterSet);
    expect(link.closed(1000)).toEqual([{ kind: 'link-down' }]);
    expect(link.tick(1500).some((a) => a.kind === 'connect')).toBe(true);
    const sent = handshake2(link);
    expect(sent).toContain(encodeCommand(['PSYNC', 'd'.repeat(40), String(afterSet + 1)]));
    const cont = link.data(Buffer.from(`+CONTINUE ${'e'.repeat(40)}\r\n` + encodeCommand(['DEL', 'k'])), 2000);
    expect(cont[1]).toEqual({ kind: 'continue', replid: 'e'.repeat(40) });
    expect(applied(cont).commands).toEqual([['DEL', 'k']]);
    expect(link.state).toBe('connected');
  });

  it('times out a silent primary and ACKs once a second', () => {
    const link = new ReplicaLink({ ...linkCfg, timeoutSec: 5 }, null);
    handshake(link);
    link.data(Buffer.from(`+FULLRESYNC ${'b'.repeat(40)} 0\r\n$3\r\nabc`), 0);
    expect(link.tick(500)).toEqual([]);
    expect(link.tick(1000)).toEqual([{ kind: 'send', data: encodeCommand(['REPLCONF', 'ACK', '0']) }]);
    expect(link.tick(5001).some((a) => a.kind === 'close')).toBe(true);
    expect(link.state).toBe('connect');
  });
});

function handshake2(link: ReplicaLink): string[] {
  const sent: string[] = [];
  for (const a of link.connected(1500)) if (a.kind === 'send') sent.push(a.data);
  for (const a of link.data(Buffer.from('+PONG\r\n+OK\r\n+OK\r\n'), 1500)) if (a.kind === 'send') sent.push(a.data);
  return sent;
}
