/**
 * Achieved versus configured round trip of a lab cluster's links (docs/cluster.md):
 * for each RTT, `memlab up --mode plain --rtt R --jitter 0`, then PING through every
 * (AZ, node) link from a client address of the source AZ (what `memlab status` does),
 * summarised per link kind (cross-AZ, same-AZ).
 *
 *   node dist/bench/cluster-latency.js [--rtts 0.5,1,2,5] [--count 300] [--jitter 0]
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { up } from '../lab/cluster/index.js';
import type { LinkStatus } from '../lab/cluster/status.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}

const rtts = arg('--rtts', '0.5,1,2,5').split(',').map(Number);
const count = Number(arg('--count', '300'));
const jitter = Number(arg('--jitter', '0'));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const loadBefore = os.loadavg();
const rows: string[] = [];
for (const rtt of rtts) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-latency-'));
  const c = await up({ mode: 'plain', rttMs: rtt, jitterMs: jitter, net: 'proxy', statePath: path.join(dir, 'state.json'), log: () => {} });
  try {
    const st = await c.status({ probe: true, count, warmup: 30 });
    for (const kind of ['cross', 'same'] as const) {
      const links = st.links.filter((l: LinkStatus) => (kind === 'cross') === l.crossAz && l.achieved);
      const p50s = links.map((l) => l.achieved!.p50);
      const p99s = links.map((l) => l.achieved!.p99);
      const cfg = kind === 'cross' ? rtt : 0;
      rows.push(
        `| ${rtt} | ${kind}-AZ (${links.length} links) | ${cfg} | ${pct(p50s, 50).toFixed(3)} (${Math.min(...p50s).toFixed(3)}–${Math.max(...p50s).toFixed(3)}) | ${pct(p99s, 50).toFixed(3)} (${Math.min(...p99s).toFixed(3)}–${Math.max(...p99s).toFixed(3)}) |`,
      );
    }
  } finally {
    await c.down();
  }
}
const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
process.stdout.write(`load average before ${la(loadBefore)}, after ${la(os.loadavg())}; ${os.cpus().length} cores; ${count} round trips per link, jitter ${jitter} ms\n\n`);
process.stdout.write('| configured RTT (ms) | link kind | configured on the link (ms) | achieved p50, median of links (min–max) | achieved p99, median of links (min–max) |\n|---|---|---|---|---|\n');
process.stdout.write(rows.join('\n') + '\n');
