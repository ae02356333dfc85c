/**
 * What one hop through the delay line costs beyond the delay itself: the proxy process
 * waking for the arrival, reading, writing, and the extra loopback leg to a process that
 * must wake in turn. None of it is visible to the line's own clock (a chunk's arrival is
 * timed after the wake-up), so it is measured from outside: ping-pong to an echo server
 * directly and through a zero-delay link, alternating, and half the difference of the
 * medians is the per-hop transit. Subtracting it from each delayed chunk centres the
 * achieved round trip on the configured one (the lateness tracker handles the clock's own
 * error).
 *
 * Client and echo server are two child processes, not this one: in-process, the proxy
 * would find each chunk without sleeping, and the wake-ups that make most of the cost on
 * a real cluster (every node is its own process) would not be measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { DelayLine } from './delay-line.js';

export interface TransitOptions {
  /** Round trips per path per pass. Default 100. */
  count?: number;
  /** Alternating passes per path. Default 3. */
  passes?: number;
  /** Address the calibration link and echo server listen on. Default 127.0.0.1. */
  host?: string;
  /** Give up after this long, ms (the transit is then 0). Default 10000. */
  timeoutMs?: number;
}

/** Never subtract more than this per hop, whatever a disturbed calibration says. */
export const MAX_TRANSIT_MS = 0.15;

// Both children are eval'd CommonJS (no imports), so they run from dist and under vitest alike.
const ECHO_SOURCE = `
const net = require('node:net');
const s = net.createServer({ noDelay: true }, (c) => { c.on('data', (d) => c.write(d)); c.on('error', () => {}); });
s.listen(0, process.argv[1], () => process.stdout.write(JSON.stringify(s.address().port) + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const PROBE_SOURCE = `
const net = require('node:net');
const [host, direct, via, count, passes] = process.argv.slice(1).map((a, i) => (i === 0 ? a : Number(a)));
const msg = Buffer.alloc(16, 97);
function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}
async function p50(port) {
  const s = await connect(port);
  const rtts = [];
  await new Promise((resolve) => {
    let got = 0, t0 = 0n, n = 0;
    const send = () => { got = 0; t0 = process.hrtime.bigint(); s.write(msg); };
    s.on('data', (d) => {
      got += d.length;
      if (got < msg.length) return;
      if (n++ >= 20) rtts.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (rtts.length >= count) resolve(); else send();
    });
    send();
  });
  s.destroy();
  rtts.sort((a, b) => a - b);
  return rtts[Math.floor(rtts.length / 2)];
}
(async () => {
  const out = { direct: [], via: [] };
  for (let i = 0; i < passes; i++) { out.direct.push(await p50(direct)); out.via.push(await p50(via)); }
  process.stdout.write(JSON.stringify(out) + '\\n');
})().catch((e) => { process.stderr.write(String(e) + '\\n'); process.exit(1); });
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Run `source` in a child node; resolves with its first stdout line. */
function firstLine(child: ChildProcess, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`transit calibration: ${what} gave no answer within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`transit calibration: ${what} exited (${code}) before answering`));
    });
  });
}

/** Measure the per-hop transit (ms, in [0, MAX_TRANSIT_MS]) of `line` on this machine now. */
export async function measureTransit(line: DelayLine, opts: TransitOptions = {}): Promise<number> {
  const host = opts.host ?? '127.0.0.1';
  const count = opts.count ?? 100;
  const passes = opts.passes ?? 3;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const children: ChildProcess[] = [];
  const run = (source: string, args: string[]) => {
    const c = spawn(process.execPath, ['-e', source, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(c);
    return c;
  };
  const id = `transit-calibration-${process.pid}-${Date.now()}`;
  try {
    const echoPort = Number(await firstLine(run(ECHO_SOURCE, [host]), 'the echo server', timeoutMs));
    const link = await line.addLink({ id, listen: { host, port: 0 }, target: { host, port: echoPort }, delayMs: 0, sourceAddress: 'any' });
    try {
      const probe = run(PROBE_SOURCE, [host, String(echoPort), String(link.listen.port), String(count), String(passes)]);
      const r = JSON.parse(await firstLine(probe, 'the ping-pong client', timeoutMs)) as { direct: number[]; via: number[] };
      const perHop = (median(r.via) - median(r.direct)) / 2;
      return Math.min(MAX_TRANSIT_MS, Math.max(0, perHop));
    } finally {
      await link.close();
    }
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
