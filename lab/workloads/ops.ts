/**
 * Operation kinds a workload can mix, how each builds its command, and what it writes.
 *
 * Payload bytes written (the `bytes_written` column) = for each successful write, the bytes
 * of its key plus its data arguments as sent (value, member, field, score, increment),
 * excluding the command name, options (EX, WITHSCORES), WAIT and RESP framing. A write that
 * sends no data (INCR, RPOP) counts its key only.
 */

export type Family = 'string' | 'hash' | 'zset' | 'list';

export interface OpContext {
  key: string;
  /** A random value of the profile's size range (ASCII, so length = bytes). */
  value(): string;
  /** A member/field name of the profile's member space. */
  member(): string;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  ttlSeconds: number;
  rangeSize: number;
}

export interface BuiltCommand {
  cmd: string;
  args: string[];
  bytes: number;
}

export interface OpSpec {
  name: string;
  write: boolean;
  family: Family;
  build(c: OpContext): BuiltCommand;
}

const op = (name: string, write: boolean, family: Family, build: (c: OpContext) => BuiltCommand): OpSpec => ({ name, write, family, build });

export const OPS: Record<string, OpSpec> = {
  get: op('get', false, 'string', (c) => ({ cmd: 'GET', args: [c.key], bytes: 0 })),
  set: op('set', true, 'string', (c) => {
    const v = c.value();
    return { cmd: 'SET', args: c.ttlSeconds > 0 ? [c.key, v, 'EX', String(c.ttlSeconds)] : [c.key, v], bytes: c.key.length + v.length };
  }),
  del: op('del', true, 'string', (c) => ({ cmd: 'DEL', args: [c.key], bytes: c.key.length })),
  incr: op('incr', true, 'string', (c) => ({ cmd: 'INCR', args: [c.key], bytes: c.key.length })),
  incrby: op('incrby', true, 'string', (c) => {
    const n = String(1 + c.int(100));
    return { cmd: 'INCRBY', args: [c.key, n], bytes: c.key.length + n.length };
  }),
  hget: op('hget', false, 'hash', (c) => ({ cmd: 'HGET', args: [c.key, c.member()], bytes: 0 })),
  hset: op('hset', true, 'hash', (c) => {
    const f = c.member();
    const v = c.value();
    return { cmd: 'HSET', args: [c.key, f, v], bytes: c.key.length + f.length + v.length };
  }),
  zadd: op('zadd', true, 'zset', (c) => {
    const s = String(c.int(1_000_000));
    const m = c.member();
    return { cmd: 'ZADD', args: [c.key, s, m], bytes: c.key.length + s.length + m.length };
  }),
  zincrby: op('zincrby', true, 'zset', (c) => {
    const s = String(1 + c.int(10));
    const m = c.member();
    return { cmd: 'ZINCRBY', args: [c.key, s, m], bytes: c.key.length + s.length + m.length };
  }),
  zrange: op('zrange', false, 'zset', (c) => ({ cmd: 'ZRANGE', args: [c.key, '0', String(c.rangeSize - 1), 'WITHSCORES'], bytes: 0 })),
  zrevrange: op('zrevrange', false, 'zset', (c) => ({ cmd: 'ZREVRANGE', args: [c.key, '0', String(c.rangeSize - 1), 'WITHSCORES'], bytes: 0 })),
  lpush: op('lpush', true, 'list', (c) => {
    const v = c.value();
    return { cmd: 'LPUSH', args: [c.key, v], bytes: c.key.length + v.length };
  }),
  rpop: op('rpop', true, 'list', (c) => ({ cmd: 'RPOP', args: [c.key], bytes: c.key.length })),
};

export const OP_NAMES = Object.keys(OPS);

export function isWriteOp(name: string): boolean {
  return OPS[name]?.write ?? false;
}
