/**
 * Reply values produced by command handlers and turned into RESP2 or RESP3 by the encoder.
 *
 * Binary data throughout the engine is a "binary string": a JS string whose every char
 * code is one byte (latin1). It is lossless for arbitrary bytes, hashes fast as a Map key,
 * and costs one byte per char in V8's one-byte representation.
 *
 *   string         bulk string
 *   number|bigint  integer
 *   null           null bulk (RESP3 null)
 *   Reply[]        array
 *   others         the tagged classes below
 */
export type Reply =
  | string
  | number
  | bigint
  | null
  | Reply[]
  | SimpleString
  | ErrorReply
  | NullArray
  | MapReply
  | SetReply
  | DoubleReply
  | BoolReply
  | VerbatimReply
  | PushReply
  | RawReply;

export class SimpleString {
  constructor(readonly value: string) {}
}

export class ErrorReply {
  /** `message` starts with the error code, e.g. `ERR syntax error` or `WRONGTYPE ...`. */
  constructor(readonly message: string) {}
}

/** RESP2 `*-1`, RESP3 `_`: used where Redis replies with a null array (e.g. BLPOP timeout). */
export class NullArray {
  static readonly instance = new NullArray();
  private constructor() {}
}

/** RESP3 map; in RESP2 a flat array of alternating keys and values. */
export class MapReply {
  constructor(readonly entries: [Reply, Reply][]) {}
}

/** RESP3 set; in RESP2 an array. */
export class SetReply {
  constructor(readonly items: Reply[]) {}
}

/** RESP3 double; in RESP2 a bulk string holding `text`. */
export class DoubleReply {
  constructor(readonly value: number, readonly text: string) {}
}

/** RESP3 boolean; in RESP2 the integer 1 or 0. */
export class BoolReply {
  static readonly TRUE = new BoolReply(true);
  static readonly FALSE = new BoolReply(false);
  private constructor(readonly value: boolean) {}
}

/** RESP3 verbatim string (`=`); in RESP2 a bulk string. */
export class VerbatimReply {
  constructor(readonly format: string, readonly text: string) {}
}

/** RESP3 push (`>`); in RESP2 an array. Pub/Sub messages use it. */
export class PushReply {
  constructor(readonly items: Reply[]) {}
}

/** Already-encoded bytes, sent as they are (hot-path constants). */
export class RawReply {
  constructor(readonly resp2: string, readonly resp3: string = resp2) {}
}

export const OK = new RawReply('+OK\r\n');
export const QUEUED = new RawReply('+QUEUED\r\n');
export const PONG = new RawReply('+PONG\r\n');
export const NULL_ARRAY = NullArray.instance;

export function simple(s: string): SimpleString {
  return new SimpleString(s);
}

export function err(message: string): ErrorReply {
  return new ErrorReply(message);
}

export function isError(r: Reply): r is ErrorReply {
  return r instanceof ErrorReply;
}
