import net from 'node:net';

/**
 * A raw TCP connection for protocol tests: write exact bytes, read exact bytes back.
 * Data is latin1 (one char per byte).
 */
export class RawConnection {
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Wait until at least `n` bytes arrived (or the peer closed), then take them. */
  async read(n: number, timeoutMs = 5000): Promise<string> {
    const until = Date.now() + timeoutMs;
    while (this.buf.length < n && !this.closed) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${n} bytes, have ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    const out = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return out;
  }

  /** Wait until `text` has been received in full; returns everything up to and including it. */
  async readUntil(text: string, timeoutMs = 5000): Promise<string> {
    const until = Date.now() + timeoutMs;
    while (!this.buf.includes(text)) {
      if (this.closed || Date.now() > until) throw new Error(`did not receive ${JSON.stringify(text)}; have ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    const i = this.buf.indexOf(text) + text.length;
    const out = this.buf.slice(0, i);
    this.buf = this.buf.slice(i);
    return out;
  }

  /** Resolves when the server closes the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > until) throw new Error('connection was not closed by the server');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  get pending(): string {
    return this.buf;
  }

  close(): void {
    this.socket.destroy();
  }
}
