import net from 'node:net';
import { encodeCommand, replyEnd } from '../../helpers/resp-bytes.js';

/**
 * Raw RESP for the whole-engine differential test: a connection that sends commands and
 * hands back each reply's exact bytes (RESP2 or RESP3), a parser from those bytes to a tree,
 * and the comparisons the test allows besides byte equality.
 */

/** One raw connection; `call` resolves with the next reply's bytes (latin1 string). */
export class Conn {
  private buf = '';
  private waiting: { resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  private closedErr: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.drain();
    });
    const fail = (e: Error) => {
      this.closedErr = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    socket.on('error', (e) => fail(e));
    socket.on('close', () => fail(new Error(`connection closed; unparsed ${JSON.stringify(this.buf.slice(0, 200))}`)));
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.off('error', reject);
        resolve(new Conn(s));
      });
      s.once('error', reject);
    });
  }

  private drain(): void {
    while (this.waiting.length) {
      const end = replyEnd(this.buf);
      if (end < 0) return;
      const r = this.buf.slice(0, end);
      this.buf = this.buf.slice(end);
      this.waiting.shift()!.resolve(r);
    }
  }

  /** Send a command; resolves with its reply's bytes, rejects after `timeoutMs`. */
  call(argv: readonly string[], timeoutMs = 10_000): Promise<string> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(argv)} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(encodeCommand(argv), 'latin1');
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A parsed reply: its type char, its text (simple types) or items (aggregates), its bytes. */
export interface Node {
  t: string;
  s: string | null;
  items: Node[] | null;
  raw: string;
}

export function parseReply(buf: string): Node {
  const [n, end] = parseAt(buf, 0);
  if (end !== buf.length) throw new Error(`trailing bytes after reply: ${JSON.stringify(buf.slice(end, end + 40))}`);
  return n;
}

function parseAt(buf: string, pos: number): [Node, number] {
  const eol = buf.indexOf('\r\n', pos);
  const t = buf[pos];
  const head = buf.slice(pos + 1, eol);
  const after = eol + 2;
  if (t === '$' || t === '=' || t === '!') {
    const n = Number(head);
    if (n < 0) return [{ t, s: null, items: null, raw: buf.slice(pos, after) }, after];
    return [{ t, s: buf.slice(after, after + n), items: null, raw: buf.slice(pos, after + n + 2) }, after + n + 2];
  }
  if (t === '*' || t === '~' || t === '>' || t === '%' || t === '|') {
    let n = Number(head);
    if (n < 0) return [{ t, s: null, items: null, raw: buf.slice(pos, after) }, after];
    if (t === '%' || t === '|') n *= 2;
    const items: Node[] = [];
    let p = after;
    for (let i = 0; i < n; i++) {
      const [item, next] = parseAt(buf, p);
      items.push(item);
      p = next;
    }
    return [{ t, s: null, items, raw: buf.slice(pos, p) }, p];
  }
  return [{ t, s: head, items: null, raw: buf.slice(pos, after) }, after];
}

/**
 * How two replies are compared. Everything is byte for byte unless the step says otherwise;
 * each relaxation is one Redis documents as unspecified:
 *  - unordered: a reply whose element order is hash-table order (KEYS, SUNION, big hashes);
 *    `pairs` groups a flat RESP2 field/value array into pairs first;
 *  - hashOrder: exact, unless the real server holds `key` in a hash table (OBJECT ENCODING
 *    hashtable), then unordered;
 *  - random: SPOP/SRANDMEMBER/HRANDFIELD/ZRANDMEMBER/RANDOMKEY: same shape; when a positive
 *    count asked for more than the collection holds, the same elements;
 *  - ttl: an integer within `tol` (TTL, PTTL, EXPIRETIME: both servers read their own clock);
 *  - exec: an EXEC reply compared element-wise with the queued commands' modes.
 */
export type Mode =
  | { k: 'exact' }
  | { k: 'unordered'; pairs?: boolean }
  | { k: 'hashOrder'; key: string; pairs?: boolean }
  | { k: 'random'; count?: number }
  | { k: 'ttl'; tol: number }
  | { k: 'exec'; sub: Mode[] };

export const EXACT: Mode = { k: 'exact' };

function isAggregate(n: Node): boolean {
  return n.items !== null;
}

function elements(n: Node, pairs: boolean): string[] {
  const items = n.items!;
  if (n.t === '%' || (pairs && n.t === '*' && items.every((i) => !isAggregate(i)))) {
    const out: string[] = [];
    for (let i = 0; i < items.length; i += 2) out.push(items[i].raw + items[i + 1].raw);
    return out.sort();
  }
  return items.map((i) => i.raw).sort();
}

function sameShape(a: Node, b: Node): boolean {
  if (a.t !== b.t) return false;
  if ((a.items === null) !== (b.items === null)) return false;
  if (a.t === '-' && a.raw !== b.raw) return false;
  if (a.items === null) return (a.s === null) === (b.s === null);
  if (a.items.length !== b.items!.length) return false;
  for (let i = 0; i < a.items.length; i++) if (!sameShape(a.items[i], b.items![i])) return false;
  return true;
}

/**
 * Compare engine reply `e` with redis reply `r` under `mode`. `hashtable` tells, for
 * hashOrder, whether redis holds the key in a hash table. Returns null if they agree, or
 * why they do not.
 */
export function compare(e: string, r: string, mode: Mode, hashtable = false): string | null {
  if (e === r) return null;
  const a = parseReply(e);
  const b = parseReply(r);
  return compareNodes(a, b, mode, hashtable);
}

function compareNodes(a: Node, b: Node, mode: Mode, hashtable: boolean): string | null {
  if (a.raw === b.raw) return null;
  switch (mode.k) {
    case 'exact':
      return 'replies differ';
    case 'hashOrder':
    case 'unordered': {
      if (mode.k === 'hashOrder' && !hashtable) return 'replies differ (redis holds the key in a listpack/intset: order is defined)';
      if (a.t !== b.t || !isAggregate(a) || !isAggregate(b)) return 'replies differ';
      const x = elements(a, mode.pairs ?? false);
      const y = elements(b, mode.pairs ?? false);
      if (x.length !== y.length) return `different element counts ${x.length} / ${y.length}`;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return 'different elements (order ignored)';
      return null;
    }
    case 'random': {
      if (!sameShape(a, b)) return 'different shape';
      // A positive count larger than the collection returns all of it: same elements.
      if (mode.count !== undefined && mode.count > 0 && a.items && a.items.length < mode.count) {
        const x = a.items.map((i) => i.raw).sort();
        const y = b.items!.map((i) => i.raw).sort();
        for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return 'different elements for a count above the size';
      }
      return null;
    }
    case 'ttl': {
      if (a.t !== ':' || b.t !== ':') return 'replies differ';
      const x = Number(a.s);
      const y = Number(b.s);
      // Negative replies (-1 no TTL, -2 no key) must match exactly.
      if (x < 0 || y < 0) return 'replies differ';
      return Math.abs(x - y) <= mode.tol ? null : `ttl values ${x} and ${y} differ by more than ${mode.tol}`;
    }
    case 'exec': {
      if (a.t !== '*' || b.t !== '*' || !a.items || !b.items) return 'replies differ';
      if (a.items.length !== b.items.length) return 'EXEC replies have different lengths';
      if (a.items.length !== mode.sub.length) return 'replies differ';
      for (let i = 0; i < a.items.length; i++) {
        const sub = mode.sub[i];
        // Key encodings are not queried inside a transaction: hash order counts as unordered.
        const why = compareNodes(a.items[i], b.items[i], sub.k === 'hashOrder' ? { k: 'unordered', pairs: sub.pairs } : sub, hashtable);
        if (why) return `EXEC element ${i}: ${why}`;
      }
      return null;
    }
  }
}

/** A printable form of a binary string. */
export function show(s: string, max = 400): string {
  const j = JSON.stringify(s);
  return j.length > max ? j.slice(0, max) + '…' : j;
}
