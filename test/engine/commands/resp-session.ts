import { RawConnection } from '../../helpers/raw.js';

/**
 * Raw RESP sessions for differential tests: send a command, get the exact bytes of the next
 * reply (RESP2 or RESP3), so replies from the engine and from redis-server can be compared.
 */

/** End offset of the complete RESP value starting at `pos`, or -1 if more bytes are needed. */
export function replyEnd(buf: string, pos = 0): number {
  if (pos >= buf.length) return -1;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return -1;
  const type = buf[pos];
  const head = buf.slice(pos + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      return after;
    case '$':
    case '=':
    case '!': {
      const n = Number(head);
      if (n < 0) return after;
      return buf.length >= after + n + 2 ? after + n + 2 : -1;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      let n = Number(head);
      if (n < 0) return after;
      if (type === '%' || type === '|') n *= 2;
      let p = after;
      for (let i = 0; i < n; i++) {
        p = replyEnd(buf, p);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      throw new Error(`not RESP at ${pos}: ${JSON.stringify(buf.slice(pos, pos + 40))}`);
  }
}

export function encodeCommand(argv: string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const a of argv) out += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return out;
}

export class Session {
  private constructor(readonly conn: RawConnection) {}

  static async open(port: number): Promise<Session> {
    return new Session(await RawConnection.connect(port));
  }

  /** The next complete reply (or pushed message), as raw bytes. */
  async next(timeoutMs = 3000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const end = replyEnd(this.conn.pending);
      if (end >= 0) return this.conn.read(end);
      if (this.conn.closed) throw new Error(`connection closed; have ${JSON.stringify(this.conn.pending)}`);
      if (Date.now() > until) throw new Error(`no complete reply; have ${JSON.stringify(this.conn.pending)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** True if nothing arrives within `ms`. */
  async silent(ms = 100): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.conn.pending.length === 0;
  }

  send(argv: string[]): void {
    this.conn.write(encodeCommand(argv));
  }

  async call(...argv: string[]): Promise<string> {
    this.send(argv);
    return this.next();
  }

  close(): void {
    this.conn.close();
  }
}

/**
 * Run the same command list on two servers (one connection each) and return both reply lists.
 */
export async function runBoth(ports: [number, number], commands: string[][]): Promise<[string[], string[]]> {
  const out: [string[], string[]] = [[], []];
  for (let k = 0; k < 2; k++) {
    const s = await Session.open(ports[k]);
    for (const c of commands) out[k].push(await s.call(...c));
    s.close();
  }
  return out;
}
