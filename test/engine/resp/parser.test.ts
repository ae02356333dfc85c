import { describe, expect, it } from 'vitest';
import { ProtocolError, RequestParser, splitArgs } from '../../../engine/resp/parser.js';

function parseAll(p: RequestParser): string[][] {
  const out: string[][] = [];
  for (let c = p.next(); c; c = p.next()) out.push(c);
  return out;
}

const FRAMES = Buffer.from(
  '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n' + // value with CRLF inside
    '*1\r\n$4\r\nPING\r\n' +
    'GET   "quoted key" \'it\\\'s\'\r\n' + // inline with quotes
    '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n' + // empty bulk
    '*0\r\n' + // empty multibulk is skipped
    '\r\n' + // empty inline is skipped
    '*2\r\n$4\r\nECHO\r\n$4\r\n\x00\xff\x80\n\r\n', // binary
  'latin1',
);
const EXPECTED = [
  ['SET', 'key', 'va\r\nl'],
  ['PING'],
  ['GET', 'quoted key', "it's"],
  ['ECHO', ''],
  ['ECHO', '\x00\xff\x80\n'],
];

describe('RequestParser', () => {
  it('parses a pipeline in one chunk', () => {
    const p = new RequestParser();
    p.feed(FRAMES);
    expect(parseAll(p)).toEqual(EXPECTED);
  });

  it('gives the same commands for every split of the stream into two chunks', () => {
    for (let cut = 0; cut <= FRAMES.length; cut++) {
      const p = new RequestParser();
      const got: string[][] = [];
      p.feed(FRAMES.subarray(0, cut));
      got.push(...parseAll(p));
      p.feed(FRAMES.subarray(cut));
      got.push(...parseAll(p));
      expect(got, `split at ${cut}`).toEqual(EXPECTED);
    }
  });

  it('gives the same commands when fed one byte at a time', () => {
    const p = new RequestParser();
    const got: string[][] = [];
    for (let i = 0; i < FRAMES.length; i++) {
      p.feed(FRAMES.subarray(i, i + 1));
      got.push(...parseAll(p));
    }
    expect(got).toEqual(EXPECTED);
  });

  it('assembles large bulks delivered in many chunks', () => {
    const big = Buffer.alloc(300_000, 'x');
    const frame = Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${big.length}\r\n`), big, Buffer.from('\r\n*1\r\n$4\r\nPING\r\n')]);
    const p = new RequestParser();
    const got: string[][] = [];
    for (let i = 0; i < frame.length; i += 7001) {
      p.feed(frame.subarray(i, i + 7001));
      got.push(...parseAll(p));
    }
    expect(got.length).toBe(2);
    expect(got[0][1].length).toBe(big.length);
    expect(got[1]).toEqual(['PING']);
  });

  it.each([
    ['*abc\r\n', 'Protocol error: invalid multibulk length'],
    ['*2\r\nxx\r\n', "Protocol error: expected '$', got 'x'"],
    ['*1\r\n$-5\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$3\r\nabcde\r\n', 'Protocol error: bulk string is not terminated by CRLF'],
    ['*2000000\r\n', 'Protocol error: invalid multibulk length'],
    ['GET "unbalanced\r\n', 'Protocol error: unbalanced quotes in request'],
  ])('rejects %j with %s', (input, message) => {
    const p = new RequestParser();
    p.feed(Buffer.from(input, 'latin1'));
    expect(() => parseAll(p)).toThrow(new ProtocolError(message));
  });

  it('rejects bulk lengths above proto-max-bulk-len', () => {
    const p = new RequestParser({ maxBulkLen: 1000 });
    p.feed(Buffer.from('*1\r\n$1001\r\n'));
    expect(() => p.next()).toThrow('Protocol error: invalid bulk length');
  });

  it('rejects an inline request longer than 64 KiB without a newline', () => {
    const p = new RequestParser();
    p.feed(Buffer.alloc(70 * 1024, 'a'));
    expect(() => p.next()).toThrow('Protocol error: too big inline request');
  });

  it('rejects a query buffer above client-query-buffer-limit', () => {
    const p = new RequestParser({ queryBufferLimit: 1024 * 1024 });
    p.feed(Buffer.from('*1\r\n$2000000\r\n'));
    expect(p.next()).toBeNull();
    p.feed(Buffer.alloc(1024 * 1024 + 10, 'a'));
    expect(() => p.next()).toThrow(/client-query-buffer-limit/);
  });

  it('applies stricter limits before authentication, as Redis does', () => {
    const p = new RequestParser();
    p.authenticated = false;
    p.feed(Buffer.from('*11\r\n'));
    expect(() => p.next()).toThrow('Protocol error: invalid multibulk length');
    const q = new RequestParser();
    q.authenticated = false;
    q.feed(Buffer.from('*2\r\n$4\r\nAUTH\r\n$16385\r\n'));
    expect(() => q.next()).toThrow('Protocol error: invalid bulk length');
  });

  it('never throws anything but ProtocolError on random garbage', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = ['*', '$', '\r', '\n', '1', '2', '-', 'a', '"', "'", ' ', '\\', 'x', '0'];
    for (let round = 0; round < 3000; round++) {
      const p = new RequestParser();
      const len = Math.floor(rnd() * 40);
      let s = '';
      for (let i = 0; i < len; i++) s += rnd() < 0.8 ? alphabet[Math.floor(rnd() * alphabet.length)] : String.fromCharCode(Math.floor(rnd() * 256));
      p.feed(Buffer.from(s, 'latin1'));
      try {
        parseAll(p);
      } catch (e) {
        expect(e, JSON.stringify(s)).toBeInstanceOf(ProtocolError);
      }
    }
  });
});

describe('splitArgs (inline commands)', () => {
  it('handles escapes and quotes like sdssplitargs', () => {
    expect(splitArgs('set "a\\x41\\n" \'b c\'')).toEqual(['set', 'aA\n', 'b c']);
    expect(splitArgs('  ')).toEqual([]);
    expect(splitArgs('"abc"def')).toBeNull();
    expect(splitArgs("'abc")).toBeNull();
  });
});
