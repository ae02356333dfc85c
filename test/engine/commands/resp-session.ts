import { RawConnection } from '../../helpers/raw.js';
import { encodeCommand, replyEnd } from '../../helpers/resp-bytes.js';

/**
 * Raw RESP sessions for differential tests: send a command, get the exact bytes of the next
 * reply (RESP2 or RESP3), so replies from the engine and from redis-server can be compared.
 */

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
