import { describe, expect, it } from 'vitest';
import { encode, encodeCommand } from '../../../engine/resp/encoder.js';
import { BoolReply, DoubleReply, ErrorReply, MapReply, NULL_ARRAY, PushReply, SetReply, SimpleString, VerbatimReply } from '../../../engine/resp/reply.js';

describe('encode', () => {
  it.each([
    ['bulk', 'hi', '$2\r\nhi\r\n', '$2\r\nhi\r\n'],
    ['binary bulk counts bytes', '\xff\x00', '$2\r\n\xff\x00\r\n', '$2\r\n\xff\x00\r\n'],
    ['integer', 42, ':42\r\n', ':42\r\n'],
    ['int64 bigint', 9223372036854775807n, ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
    ['null', null, '$-1\r\n', '_\r\n'],
    ['null array', NULL_ARRAY, '*-1\r\n', '_\r\n'],
    ['simple', new SimpleString('OK'), '+OK\r\n', '+OK\r\n'],
    ['error', new ErrorReply('ERR bad\r\nthing'), '-ERR bad  thing\r\n', '-ERR bad  thing\r\n'],
    ['array', ['a', 1, null], '*3\r\n$1\r\na\r\n:1\r\n$-1\r\n', '*3\r\n$1\r\na\r\n:1\r\n_\r\n'],
    ['map', new MapReply([['k', 1]]), '*2\r\n$1\r\nk\r\n:1\r\n', '%1\r\n$1\r\nk\r\n:1\r\n'],
    ['set', new SetReply(['a']), '*1\r\n$1\r\na\r\n', '~1\r\n$1\r\na\r\n'],
    ['double', new DoubleReply(1.5, '1.5'), '$3\r\n1.5\r\n', ',1.5\r\n'],
    ['bool', BoolReply.TRUE, ':1\r\n', '#t\r\n'],
    ['verbatim', new VerbatimReply('txt', 'hi'), '$2\r\nhi\r\n', '=6\r\ntxt:hi\r\n'],
    ['push', new PushReply(['message', 'c', 'm']), '*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n', '>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n'],
  ])('%s', (_name, reply, resp2, resp3) => {
    expect(encode(reply as never, 2)).toBe(resp2);
    expect(encode(reply as never, 3)).toBe(resp3);
  });

  it('refuses a non-integer number as an integer reply', () => {
    expect(() => encode(1.5, 2)).toThrow(/invariant/);
  });

  it('encodes commands as arrays of bulk strings', () => {
    expect(encodeCommand(['SET', 'k', 'v'])).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
  });
});
