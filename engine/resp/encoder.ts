import {
  BoolReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NullArray,
  PushReply,
  RawReply,
  type Reply,
  SetReply,
  SimpleString,
  VerbatimReply,
} from './reply.js';

export type Protocol = 2 | 3;

/** Byte length of a binary string: one char per byte by construction. */
function bulk(s: string): string {
  return '$' + s.length + '\r\n' + s + '\r\n';
}

/** Simple strings and errors may not contain CR or LF; Redis replaces them with spaces. */
function line(s: string): string {
  return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 ? s : s.replace(/[\r\n]/g, ' ');
}

/**
 * Encode a reply as a binary string (latin1: one char per byte) ready for
 * `socket.write(out, 'latin1')`. V8 concatenation builds ropes, so appending is cheap.
 */
export function encode(r: Reply, proto: Protocol): string {
  if (typeof r === 'string') return bulk(r);
  if (typeof r === 'number') {
    if (!Number.isInteger(r)) throw new Error(`invariant: integer reply is not an integer: ${r}`);
    return ':' + r + '\r\n';
  }
  if (r === null) return proto === 3 ? '_\r\n' : '$-1\r\n';
  if (typeof r === 'bigint') return ':' + r.toString() + '\r\n';
  if (Array.isArray(r)) {
    let out = '*' + r.length + '\r\n';
    for (let i = 0; i < r.length; i++) out += encode(r[i], proto);
    return out;
  }
  if (r instanceof RawReply) return proto === 3 ? r.resp3 : r.resp2;
  if (r instanceof SimpleString) return '+' + line(r.value) + '\r\n';
  if (r instanceof ErrorReply) return '-' + line(r.message) + '\r\n';
  if (r instanceof NullArray) return proto === 3 ? '_\r\n' : '*-1\r\n';
  if (r instanceof MapReply) {
    let out = proto === 3 ? '%' + r.entries.length + '\r\n' : '*' + r.entries.length * 2 + '\r\n';
    for (const [k, v] of r.entries) out += encode(k, proto) + encode(v, proto);
    return out;
  }
  if (r instanceof SetReply) {
    let out = (proto === 3 ? '~' : '*') + r.items.length + '\r\n';
    for (const item of r.items) out += encode(item, proto);
    return out;
  }
  if (r instanceof DoubleReply) return proto === 3 ? ',' + r.text + '\r\n' : bulk(r.text);
  if (r instanceof BoolReply) return proto === 3 ? (r.value ? '#t\r\n' : '#f\r\n') : r.value ? ':1\r\n' : ':0\r\n';
  if (r instanceof VerbatimReply) {
    if (proto === 2) return bulk(r.text);
    const body = r.format + ':' + r.text;
    return '=' + body.length + '\r\n' + body + '\r\n';
  }
  if (r instanceof PushReply) {
    let out = (proto === 3 ? '>' : '*') + r.items.length + '\r\n';
    for (const item of r.items) out += encode(item, proto);
    return out;
  }
  throw new Error(`invariant: unknown reply value ${String(r)}`);
}

/** Encode a command as a RESP array of bulk strings (replication stream, log effects). */
export function encodeCommand(argv: readonly string[]): string {
  let out = '*' + argv.length + '\r\n';
  for (let i = 0; i < argv.length; i++) out += '$' + argv[i].length + '\r\n' + argv[i] + '\r\n';
  return out;
}
