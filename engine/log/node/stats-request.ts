/** Ask one log replica for its counters: a `stats` request on a fresh connection, answered by `statsReply`. */
import net from 'node:net';
import { decodeBody, encodeFrame, FrameReader } from './codec.js';

export interface StatsRequest {
  /** The replica's id, for the timeout's message. */
  id: string;
  host: string;
  port: number;
  /** Who asks (the request's `from`). */
  from: string;
  timeoutMs: number;
  /** Start the fsync samples afresh after answering (the next request sees only what follows). */
  resetSamples?: boolean;
}

export function requestStats(req: StatsRequest): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: req.host, port: req.port });
    const r = new FrameReader();
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no stats from ${req.id}`));
    }, req.timeoutMs);
    s.on('connect', () => s.write(encodeFrame({ type: 'stats', from: req.from, resetSamples: req.resetSamples || undefined })));
    s.on('data', (d: Buffer) => {
      for (const b of r.push(d)) {
        const m = decodeBody(b);
        if (m.type === 'statsReply') {
          clearTimeout(t);
          s.destroy();
          resolve(m.stats);
        }
      }
    });
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}
