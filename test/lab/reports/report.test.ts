import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runBench } from '../../../lab/bench/runner.js';
import { loadPricing } from '../../../lab/cost/pricing.js';
import { createHistogram, recordUs } from '../../../lab/metrics/hdr.js';
import { formatHlog } from '../../../lab/metrics/hlog.js';
import { parseCsv } from '../../../lab/reports/csv.js';
import { mergeAll, percentileSpectrum, readHlog } from '../../../lab/reports/hlog-read.js';
import { uniqueIds, writeReport } from '../../../lab/reports/report.js';
import { workloadFrom } from '../../../lab/workloads/profile.js';
import { startEngine } from '../../helpers/engine.js';
import { tmpDir, writeBenchRun, writeChaosRun } from './fixtures.js';
import { dataMarks, expectSelfContained, figures, markLabels } from './html.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(REPO, 'dist/cli/main.js');

describe('hlog reading and the percentile spectrum', () => {
  it('reads tagged and untagged intervals back into the histograms that were written', () => {
    const dir = tmpDir();
    const a = createHistogram();
    const b = createHistogram();
    for (let i = 1; i <= 100; i++) recordUs(a, i);
    for (let i = 1; i <= 50; i++) recordUs(b, 1000 + i);
    const file = path.join(dir, 'x.hlog');
    writeFileSync(file, formatHlog(1_700_000_000_000, [
      { startSec: 0, lengthSec: 1, histogram: a, tag: 'get' },
      { startSec: 1, lengthSec: 1, histogram: b, tag: 'set' },
      { startSec: 1, lengthSec: 1, histogram: a, tag: 'get' },
    ]));
    const d = readHlog(file);
    expect(d.startTimeMs).toBe(1_700_000_000_000);
    expect(d.intervals).toBe(3);
    expect(d.byTag.get('get')!.totalCount).toBe(200);
    expect(d.byTag.get('set')!.totalCount).toBe(50);
    expect(d.byTag.get('set')!.maxValue).toBe(1050);
    expect(mergeAll(d).totalCount).toBe(250);
  });

  it('follows HdrHistogram ticks up to 1 in N and ends at the max', () => {
    const h = createHistogram();
    for (let i = 1; i <= 10_000; i++) recordUs(h, i);
    const s = percentileSpectrum(h);
    expect(s[0]).toMatchObject({ percentile: 0, oneIn: 1, valueUs: 1 });
    for (let i = 1; i < s.length; i++) {
      expect(s[i].oneIn).toBeGreaterThan(s[i - 1].oneIn);
      expect(s[i].valueUs).toBeGreaterThanOrEqual(s[i - 1].valueUs);
    }
    const at = (p: number) => s.find((x) => Math.abs(x.percentile - p) < 1e-9)!;
    // 5 ticks per half distance: 0, 10, ..., 50, 55, ..., 75, ..., 90 are ticks.
    expect(s.slice(0, 6).map((x) => Math.round(x.percentile * 1e6) / 1e6)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(at(50).valueUs).toBeGreaterThanOrEqual(5000);
    expect(at(50).valueUs).toBeLessThanOrEqual(5000 * (1 + 1 / 1024));
    expect(at(90).valueUs).toBeGreaterThanOrEqual(9000);
    expect(at(90).valueUs).toBeLessThanOrEqual(9000 * (1 + 1 / 1024));
    const last = s[s.length - 1];
    expect(last.oneIn).toBe(10_000);
    expect(last.valueUs).toBe(h.maxValue);
    expect(s.every((x) => x.oneIn <= 10_000)).toBe(true);
  });
});

describe('uniqueIds', () => {
  it('prefixes ids and the url(#...) references to them, nothing else', () => {
    const svg = '<svg><clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)" data-x="clip1"></g><use href="#clip1"/></svg>';
    expect(uniqueIds(svg, 'a-')).toBe('<svg><clipPath id="a-clip1"><rect/></clipPath><g clip-path="url(#a-clip1)" data-x="clip1"></g><use href="#a-clip1"/></svg>');
  });
});

describe('writeReport on a synthetic bench run', () => {
  const root = tmpDir();
  const dir = writeBenchRun(root, {
    id: '20260102-030405-synthetic',
    modes: [
      { mode: 'plain', throughput: 10_000, baseUs: 200 },
      { mode: 'wait', throughput: 6_000, baseUs: 700 },
    ],
    faults: [{ atS: 1.2, event: 'pause', target: 'n1' }],
  });

  it('writes one self-contained page with every chart as an SVG with data marks', async () => {
    const r = await writeReport(dir);
    expect(r.file).toBe(path.join(dir, 'report.html'));
    expect(r.problems).toEqual([]);
    expect(r.charts).toEqual(['latency', 'throughput', 'p99-time']);
    const html = readFileSync(r.file, 'utf8');
    expectSelfContained(html);
    const figs = figures(html);
    expect([...figs.keys()]).toEqual(r.charts);
    for (const [id, fig] of figs) {
      expect(fig, id).toMatch(/<svg[^>]*\swidth="\d+"[^>]*\sheight="\d+"/);
      expect(Object.keys(dataMarks(fig)).length, id).toBeGreaterThan(0);
    }
  });

  it('charts the numbers of the run', async () => {
    const html = readFileSync((await writeReport(dir)).file, 'utf8');
    const figs = figures(html);
    // Latency: one line per mode in each facet (get, set, all).
    expect(dataMarks(figs.get('latency')!).line).toBe(6);
    const lat = markLabels(figs.get('latency')!, 'line');
    expect(lat.some((l) => /mode: plain/.test(l))).toBe(true);
    expect(lat.some((l) => /mode: wait/.test(l))).toBe(true);
    // Throughput: stacked get/set bars per mode, the total written on top.
    const bars = markLabels(figs.get('throughput')!, 'rect');
    expect(bars).toContain('mode: plain; Sum of ops: 9k; op: get');
    expect(bars).toContain('mode: wait; Sum of ops: 600; op: set');
    expect(markLabels(figs.get('throughput')!, 'text').map((l) => /label: ([\d,]+)/.exec(l)![1])).toEqual(['10,000', '6,000']);
    // p99 over time: a rule per mode at the fault, labelled once.
    const p99 = figs.get('p99-time')!;
    expect(dataMarks(p99).rule).toBe(1);
    expect(markLabels(p99, 'rule').filter((l) => /second: 1\.2/.test(l))).toHaveLength(2);
    expect(p99).toContain('>pause n1</text>');
  });

  it('shows the cost table, results, warnings, the command (escaped) and the machine', async () => {
    const html = readFileSync((await writeReport(dir)).file, 'utf8');
    const summary = parseCsv(readFileSync(path.join(dir, 'summary.csv'), 'utf8'));
    const waitSet = summary.find((r) => r.mode === 'wait' && r.op === 'set')!;
    const results = /<table class="results">([\s\S]*?)<\/table>/.exec(html)![1];
    const waitSetRow = [...results.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1]).find((r) => r.startsWith('<td>wait</td><td>set</td>'))!;
    const p99Ms = Number(waitSet.p99_us) / 1000;
    expect(p99Ms).toBeGreaterThan(10);
    expect(waitSetRow).toContain(`<td class="n">${p99Ms.toFixed(1)}</td>`);
    const cost = /<table class="cost">([\s\S]*?)<\/table>/.exec(html)![1];
    expect(cost).toContain('$479.61');
    expect(cost).toContain('3 × cache.r7g.large');
    expect(cost).toContain('no (estimate)');
    expect(html).toContain('2 operations failed: ERR 2');
    expect(html).toContain('--label &lt;synthetic&gt;');
    const machine = JSON.parse(readFileSync(path.join(dir, 'machine.json'), 'utf8'));
    expect(machine.cores).toBe(os.availableParallelism());
    expect(machine.node).toBe(process.version);
    expect(html).toContain(`>${process.version}</td>`);
    expect(html).toContain(os.release());
  });
});

describe('writeReport on other runs', () => {
  it('a chaos run: loss table, loss and unavailability charts, per-scenario facets with fault markers', async () => {
    const dir = writeChaosRun(tmpDir(), '20260103-000000-chaos', [
      { mode: 'plain', scenario: 'crash-primary', acknowledged: 4000, lost: 120, p50: 1400, max: 2100, linearizable: 'no' },
      { mode: 'durable', scenario: 'crash-primary', acknowledged: 3500, lost: 0, p50: 900, max: 1300, linearizable: 'yes' },
      { mode: 'plain', scenario: 'cut-off', acknowledged: 3900, lost: 300, p50: 2000, max: 2600, linearizable: 'no' },
      { mode: 'durable', scenario: 'cut-off', acknowledged: 3000, lost: 0, p50: 1100, max: 1500, linearizable: 'yes' },
    ]);
    const r = await writeReport(dir);
    expect(r.problems).toEqual([]);
    expect(r.charts).toEqual(['loss', 'unavailability', 'latency', 'p99-time']);
    const html = readFileSync(r.file, 'utf8');
    expectSelfContained(html);
    const loss = /<table class="loss">([\s\S]*?)<\/table>/.exec(html)![1];
    const rows = [...loss.matchAll(/<tr([^>]*)>([\s\S]*?)<\/tr>/g)].slice(1);
    expect(rows).toHaveLength(4);
    const row = (scenario: string, mode: string) => rows.find((m) => m[2].startsWith(`<td>${scenario}</td><td>${mode}</td>`))!;
    expect(row('crash-primary', 'plain')[1]).toContain('bad');
    expect(row('crash-primary', 'plain')[2]).toContain('>3.00%</td>');
    expect(row('crash-primary', 'plain')[2]).toContain('>no (1 rounds not)</td>');
    expect(row('crash-primary', 'durable')[1]).not.toContain('bad');
    const figs = figures(html);
    for (const [id, fig] of figs) expect(Object.keys(dataMarks(fig)).length, id).toBeGreaterThan(0);
    expect(markLabels(figs.get('loss')!, 'rect')).toContain('scenario: cut-off; lossPct: 7.69; mode: plain');
    // Two scenarios x two modes x two rounds: one line each.
    expect(dataMarks(figs.get('p99-time')!).line).toBe(8);
    expect(markLabels(figs.get('p99-time')!, 'rule').filter((l) => l === 'second: 2.1; mode: durable')).toHaveLength(4);
    expect(figs.get('p99-time')!).toContain('>kill n1</text>');
    expect(figs.get('p99-time')!).toContain('>failover n2</text>');
    expect(figs.get('latency')!).toMatch(/>crash-primary<\/text>[\s\S]*>cut-off<\/text>/);
  });

  it('a chaos run without .hlog files: latency curves from the round histories', async () => {
    const dir = writeChaosRun(tmpDir(), '20260103-000000-hist', [
      { mode: 'plain', scenario: 'kill-primary', acknowledged: 10, lost: 0, p50: 1000, max: 1000, linearizable: 'yes' },
    ]);
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'plain-kill-primary.hlog'));
    writeFileSync(
      path.join(dir, 'rounds.csv'),
      'run,mode,scenario,round,history\n20260103-000000-hist,plain,kill-primary,1,history/plain-kill-primary-1.jsonl\n',
    );
    const ops = [
      ...Array.from({ length: 99 }, (_, i) => ({ id: i, client: 1, key: 'k', f: 'write', value: String(i), invoke: i * 1000, complete: i * 1000 + 500, result: 'ok' })),
      { id: 99, client: 1, key: 'k', f: 'write', value: 'x', invoke: 200_000, complete: 230_000, result: 'ok' },
      { id: 100, client: 2, key: 'k', f: 'write', value: 'y', invoke: 300_000, result: 'unknown' },
      // The read-back after failover is not workload latency.
      { id: 101, client: 3, key: 'k', f: 'read', invoke: 400_000, complete: 900_000, result: 'ok', output: 'x', final: true },
    ];
    writeFileSync(path.join(dir, 'history', 'plain-kill-primary-1.jsonl'), ops.map((o) => JSON.stringify(o)).join('\n') + '\n');
    const r = await writeReport(dir);
    expect(r.problems).toEqual([]);
    expect(r.charts).toContain('latency');
    const fig = figures(readFileSync(r.file, 'utf8')).get('latency')!;
    expect(fig).toContain('round histories');
    // 100 ok workload ops: 99 of 0.5 ms and one of 30 ms (the max), at 1 in 100.
    const points = markLabels(fig, 'symbol');
    expect(points[0]).toBe('oneIn: 1; ms: 0.5; mode: plain');
    expect(points[points.length - 1]).toBe('oneIn: 100; ms: 30; mode: plain');
  });

  it('a run with only summary.csv gets the sections it can have, and no machine claimed', async () => {
    const dir = writeBenchRun(tmpDir(), { id: '20260104-000000-bare', modes: [{ mode: 'plain', throughput: 5000, baseUs: 100 }] });
    for (const f of ['timeseries.csv', 'plain.hlog', 'plain-get.hlog', 'plain-set.hlog', 'summary.json', 'command.txt', 'profile.yaml']) {
      (await import('node:fs')).rmSync(path.join(dir, f));
    }
    const r = await writeReport(dir, { recordMachine: false });
    expect(r.charts).toEqual(['throughput']);
    expect(r.problems).toEqual([]);
    expect(existsSync(path.join(dir, 'machine.json'))).toBe(false);
    const html = readFileSync(r.file, 'utf8');
    expect(html).toContain('machine: not recorded with this run');
    expect(html).toContain('(no command.txt)');
  });

  it('a file that does not parse is reported in the page, the rest still renders', async () => {
    const dir = writeBenchRun(tmpDir(), { id: '20260105-000000-broken', modes: [{ mode: 'plain', throughput: 5000, baseUs: 100 }] });
    writeFileSync(path.join(dir, 'plain-get.hlog'), '0.000,1.000,HISTbroken\n');
    const r = await writeReport(dir);
    expect(r.problems).toEqual([expect.stringMatching(/^plain-get\.hlog: .*expected 4 fields/)]);
    expect(r.charts).toEqual(['latency', 'throughput', 'p99-time']);
    expect(readFileSync(r.file, 'utf8')).toMatch(/<div class="error">.*plain-get\.hlog/);
  });

  it('refuses a directory that is not a run', async () => {
    await expect(writeReport(tmpDir(), { recordMachine: false })).rejects.toThrow(/not a run directory/);
  });
});

describe('a real bench run writes its report', () => {
  it('runBench against an engine started here ends with report.html made from its files', { timeout: 60_000 }, async () => {
    const engine = await startEngine();
    const out = tmpDir();
    try {
      const result = await runBench({
        workload: workloadFrom({
          name: 'report-test',
          ops: { get: 80, set: 20 },
          keys: { count: 500 },
          values: { min: 16, max: 64 },
          connections: 4,
          duration: '1500ms',
          warmup: '200ms',
        }),
        target: `redis://127.0.0.1:${engine.port}`,
        outDir: out,
        pricing: loadPricing('aws-us-east-1').pricing,
        workers: 1,
        progress: 'none',
        log: () => {},
      });
      const dir = result.dir!;
      const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
      expect(existsSync(path.join(dir, 'machine.json'))).toBe(true);
      expectSelfContained(html);
      const figs = figures(html);
      expect([...figs.keys()]).toEqual(['latency', 'throughput', 'p99-time']);
      for (const [id, fig] of figs) expect(Object.keys(dataMarks(fig)).length, id).toBeGreaterThan(0);
      const total = Math.round(result.modes[0].all.throughput).toLocaleString('en-US');
      expect(markLabels(figs.get('throughput')!, 'text')[0]).toContain(`label: ${total}`);
      // The spectrum's last point is the max the bench measured.
      const maxMs = result.modes[0].all.latencyUs.max / 1000;
      const allLine = markLabels(figs.get('latency')!, 'symbol').filter((l) => /mode: plain/.test(l));
      expect(allLine.some((l) => l.includes(`ms: ${Number(maxMs.toFixed(3))}`) || l.includes(`ms: ${maxMs}`))).toBe(true);
      expect(html).toContain(`redis://127.0.0.1:${engine.port}`);
    } finally {
      await engine.stop();
    }
  });
});

function memlab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('memlab report', () => {
  it('rewrites RUN_DIR/report.html and prints its path; a missing run is an input error', async () => {
    const dir = writeBenchRun(tmpDir(), { id: '20260106-000000-cli', modes: [{ mode: 'durable', throughput: 3000, baseUs: 900 }] });
    const r = await memlab(['report', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(path.join(dir, 'report.html'));
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('memlab bench — 20260106-000000-cli');
    expect(existsSync(path.join(dir, 'machine.json'))).toBe(false);
    const missing = await memlab(['report', path.join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope: no such run directory/);
  });
});
