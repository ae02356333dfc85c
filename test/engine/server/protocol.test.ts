import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../../helpers/engine.js';
import { RawConnection } from '../../helpers/raw.js';

let engine: TestEngine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => engine.stop());

describe('server protocol handling', () => {
  it('answers a pipeline in order, split at every byte boundary', async () => {
    const req = '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n';
    const expected = '+OK\r\n$2\r\nv1\r\n+PONG\r\n';
    for (let cut = 1; cut < req.length; cut++) {
      const c = await RawConnection.connect(engine.port);
      c.write(req.slice(0, cut));
      await new Promise((r) => setImmediate(r));
      c.write(req.slice(cut));
      expect(await c.read(expected.length)).toBe(expected);
      c.close();
    }
  });

  it('replies -ERR Protocol error and closes the connection on malformed RESP, and stays up', async () => {
    const c = await RawConnection.connect(engine.port);
    c.write('*1\r\n$x\r\n');
    expect(await c.readUntil('\r\n')).toBe('-ERR Protocol error: invalid bulk length\r\n');
    await c.waitClosed();
    const d = await RawConnection.connect(engine.port);
    d.write('PING\r\n');
    expect(await d.read(7)).toBe('+PONG\r\n');
    d.close();
  });

  it('refuses bulk lengths above proto-max-bulk-len', async () => {
    const c = await RawConnection.connect(engine.port);
    c.write('*2\r\n$4\r\nECHO\r\n$999999999999\r\n');
    expect(await c.readUntil('\r\n')).toBe('-ERR Protocol error: invalid bulk length\r\n');
    await c.waitClosed();
  });

  it('survives random garbage on many connections', async () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 50; i++) {
      const c = await RawConnection.connect(engine.port);
      let s = '';
      for (let j = 0; j < 200; j++) s += String.fromCharCode(Math.floor(rnd() * 256));
      c.write(s);
      await new Promise((r) => setTimeout(r, 5));
      c.close();
    }
    const ok = engine.client();
    expect(await ok.ping()).toBe('PONG');
  });

  it('keeps binary keys and values intact', async () => {
    const r = engine.client();
    const key = Buffer.from([0, 1, 2, 255, 13, 10]);
    const val = Buffer.from([255, 254, 0, 128, 10, 13]);
    await r.set(key, val);
    expect(Buffer.compare((await r.getBuffer(key))!, val)).toBe(0);
  });

  it('speaks RESP3 after HELLO 3', async () => {
    const c = await RawConnection.connect(engine.port);
    c.write('HELLO 3\r\n');
    const hello = await c.readUntil('modules\r\n*0\r\n');
    expect(hello.startsWith('%7\r\n')).toBe(true);
    c.write('GET nosuchkey\r\n');
    expect(await c.read(3)).toBe('_\r\n');
    c.close();
  });
});
