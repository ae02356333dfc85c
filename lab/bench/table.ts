/** The end-of-run table: one column per mode, so plain, wait and durable sit side by side. */
import type { ModeResult } from './types.js';

const ms = (us: number) => (us / 1000).toFixed(3);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (n: number | null | undefined) => (n == null ? '-' : n < 1 ? `$${n.toFixed(4)}` : `$${n.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 })}`);
const bytes = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);

export function formatTable(modes: ModeResult[]): string {
  if (modes.length === 0) return '(no results)\n';
  const rows: [string, ...string[]][] = [];
  const add = (label: string, f: (m: ModeResult) => string) => rows.push([label, ...modes.map(f)]);
  add('throughput ops/s', (m) => int(m.all.throughput));
  const ops = [...new Set(modes.flatMap((m) => m.ops.map((o) => o.op)))];
  for (const op of ops) {
    const get = (m: ModeResult) => m.ops.find((o) => o.op === op);
    add(`${op} ops/s`, (m) => int(get(m)?.throughput ?? 0));
    add(`${op} p50 ms`, (m) => (get(m)?.count ? ms(get(m)!.latencyUs.p50) : '-'));
    add(`${op} p99 ms`, (m) => (get(m)?.count ? ms(get(m)!.latencyUs.p99) : '-'));
    add(`${op} p99.9 ms`, (m) => (get(m)?.count ? ms(get(m)!.latencyUs.p999) : '-'));
    add(`${op} max ms`, (m) => (get(m)?.count ? ms(get(m)!.latencyUs.max) : '-'));
  }
  if (modes.some((m) => m.all.acked + m.all.underAcked > 0)) add('writes acked / under-acked', (m) => `${int(m.all.acked)} / ${int(m.all.underAcked)}`);
  add('errors', (m) => int(m.all.errors));
  add('payload written', (m) => bytes(m.all.bytesWritten));
  if (modes.some((m) => m.logBytes !== undefined)) add('log bytes', (m) => (m.logBytes === undefined ? '-' : bytes(m.logBytes)));
  add('client cpu', (m) => `${m.client.cpuPct}%${m.client.saturated ? ' (saturated)' : ''}`);
  if (modes.some((m) => m.cost)) {
    add('nodes x type', (m) => (m.cost ? `${m.cost.nodes} x ${m.cost.nodeType}` : '-'));
    add('$ per million writes', (m) => usd(m.cost?.costPerMillionWritesUsd));
    add('$ per GB written', (m) => usd(m.cost?.costPerGbUsd));
    add('$ per month', (m) => usd(m.cost?.monthlyCostUsd));
  }
  const header = ['', ...modes.map((m) => m.mode)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  return out.join('\n') + '\n';
}
