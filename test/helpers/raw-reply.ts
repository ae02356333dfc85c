import type { RawConnection } from './raw.js';
import { encodeCommand } from './resp-bytes.js';

/** Replies parsed off a raw socket, keeping the RESP2/RESP3 type tags that ioredis drops. */

/** A reply with its type tag: bulk strings as plain strings, the rest tagged. */
export type Tagged = string | { t: string; v?: string; items?: Tagged[] };

export async function readTagged(c: RawConnection): Promise<Tagged> {
  const line = await c.readUntil('\r\n');
  const t = line[0];
  const body = line.slice(1, -2);
  if (t === '$') {
    const n = Number(body);
    return n < 0 ? { t: '$-1' } : (await c.read(n + 2)).slice(0, n);
  }
  if (t === '*' || t === '~' || t === '%' || t === '>') {
    const n = Number(body);
    if (n < 0) return { t: t + '-1' };
    const items: Tagged[] = [];
    for (let i = 0; i < (t === '%' ? 2 * n : n); i++) items.push(await readTagged(c));
    return { t, items };
  }
  return { t, v: body };
}

/** Send one command and read its reply. */
export async function rawCall(c: RawConnection, args: string[]): Promise<Tagged> {
  c.write(encodeCommand(args));
  return readTagged(c);
}

/** Bulk strings replaced by '?': what two random replies must share. */
export function shape(x: Tagged): unknown {
  if (typeof x === 'string') return '?';
  return x.items ? { t: x.t, items: x.items.map(shape) } : x;
}

/** A reply as a tree that also keeps its exact bytes (`raw`), for byte-for-byte comparison. */
export interface Node {
  raw: string;
  t: string;
  v: string | null | Node[];
}

export async function readNode(c: RawConnection): Promise<Node> {
  const line = await c.readUntil('\r\n');
  const t = line[0];
  const body = line.slice(1, -2);
  if (t === '$') {
    const n = Number(body);
    if (n < 0) return { raw: line, t, v: null };
    const data = await c.read(n + 2);
    return { raw: line + data, t, v: data.slice(0, n) };
  }
  if (t === '*' || t === '%' || t === '~' || t === '>') {
    const n = Number(body) * (t === '%' ? 2 : 1);
    if (n < 0) return { raw: line, t, v: null };
    const items: Node[] = [];
    let raw = line;
    for (let i = 0; i < n; i++) {
      const it = await readNode(c);
      items.push(it);
      raw += it.raw;
    }
    return { raw, t, v: items };
  }
  return { raw: line, t, v: body };
}

/** Pipeline `cmds` in one write and read one reply for each. */
export async function runPipeline(c: RawConnection, cmds: string[][]): Promise<Node[]> {
  c.write(cmds.map(encodeCommand).join(''));
  const out: Node[] = [];
  for (let i = 0; i < cmds.length; i++) out.push(await readNode(c));
  return out;
}
