/**
 * Opens generated reports in headless Chromium (Debian's package, playwright-core drives it)
 * from file:// URLs: every chart rendered with visible marks, nothing logged as an error,
 * nothing fetched, and a screenshot saved.
 *
 * For the README: MEMLAB_EXAMPLE_RUN=results/<run> also screenshots that run's report into
 * results/<run>/report.png and its latency chart into results/<run>/latency.png.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../../lab/bench/runner.js';
import { writeReport } from '../../../lab/reports/report.js';
import { workloadFrom } from '../../../lab/workloads/profile.js';
import { startEngine } from '../../helpers/engine.js';
import { tmpDir, writeBenchRun, writeChaosRun } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`skipping the browser tests: ${CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)`);

interface ChartCheck {
  id: string;
  width: number;
  height: number;
  /** Drawn data-mark elements with a non-empty box. */
  marks: number;
  /** clip-path references that do not resolve inside the same SVG. */
  badClips: string[];
}

interface PageCheck {
  charts: ChartCheck[];
  consoleErrors: string[];
  pageErrors: string[];
  /** Requests to anything but the report file itself. */
  requests: string[];
  screenshot: string;
}

let context: BrowserContext | undefined;
let profileDir: string;

beforeAll(async () => {
  if (!haveChromium) return;
  profileDir = mkdtempSync(path.join(os.tmpdir(), 'memlab-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

async function openReport(file: string, shotDir: string, extra?: (page: import('playwright-core').Page) => Promise<void>): Promise<PageCheck> {
  const page = await context!.newPage();
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  try {
    await page.goto(url, { waitUntil: 'load' });
    const charts = await page.evaluate(() =>
      [...document.querySelectorAll('figure.chart')].map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        let marks = 0;
        for (const el of svg ? [...svg.querySelectorAll('g.role-mark > path, g.role-mark > line, g.role-mark > text, g.role-mark > rect')] : []) {
          const r = (el as SVGGraphicsElement).getBoundingClientRect();
          // Rules are lines: one of width or height is 0.
          const inside = box && r.right >= box.left && r.left <= box.right && r.bottom >= box.top && r.top <= box.bottom;
          if ((r.width > 0 || r.height > 0) && inside) marks++;
        }
        const badClips: string[] = [];
        for (const el of svg ? [...svg.querySelectorAll('[clip-path]')] : []) {
          const id = /url\(#([^)]+)\)/.exec(el.getAttribute('clip-path') ?? '')?.[1];
          const target = id ? document.getElementById(id) : null;
          if (!target || !svg!.contains(target)) badClips.push(id ?? '?');
        }
        return { id: f.getAttribute('data-chart') ?? '', width: box?.width ?? 0, height: box?.height ?? 0, marks, badClips };
      }),
    );
    const screenshot = path.join(shotDir, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    if (extra) await extra(page);
    return { charts, consoleErrors, pageErrors, requests, screenshot };
  } finally {
    await page.close();
  }
}

function expectRendered(check: PageCheck, ids: string[]): void {
  expect(check.charts.map((c) => c.id)).toEqual(ids);
  for (const c of check.charts) {
    expect(c.width, c.id).toBeGreaterThan(100);
    expect(c.height, c.id).toBeGreaterThan(100);
    expect(c.marks, c.id).toBeGreaterThan(0);
    expect(c.badClips, c.id).toEqual([]);
  }
  expect(check.consoleErrors).toEqual([]);
  expect(check.pageErrors).toEqual([]);
  expect(check.requests).toEqual([]);
  const png = readFileSync(check.screenshot);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(statSync(check.screenshot).size).toBeGreaterThan(20_000);
}

describe.skipIf(!haveChromium)('reports in headless Chromium', () => {
  it('a synthetic bench run with a fault: every chart renders, no errors, no requests', async () => {
    const root = tmpDir();
    const dir = writeBenchRun(root, {
      id: '20260102-030405-browser',
      modes: [
        { mode: 'plain', throughput: 10_000, baseUs: 200 },
        { mode: 'wait', throughput: 6_000, baseUs: 700 },
        { mode: 'durable', throughput: 8_000, baseUs: 1200 },
      ],
      faults: [{ atS: 1.5, event: 'kill', target: 'n1' }],
    });
    const r = await writeReport(dir);
    const check = await openReport(r.file, root);
    expectRendered(check, ['latency', 'throughput', 'p99-time']);
    console.log(`screenshot: ${check.screenshot}`);
  });

  it('a synthetic chaos run', async () => {
    const root = tmpDir();
    const dir = writeChaosRun(root, '20260103-000000-browser', [
      { mode: 'plain', scenario: 'crash-primary', acknowledged: 4000, lost: 120, p50: 1400, max: 2100, linearizable: 'no' },
      { mode: 'wait', scenario: 'crash-primary', acknowledged: 3800, lost: 20, p50: 1500, max: 2300, linearizable: 'no' },
      { mode: 'durable', scenario: 'crash-primary', acknowledged: 3500, lost: 0, p50: 900, max: 1300, linearizable: 'yes' },
      { mode: 'durable', scenario: 'pause-primary', acknowledged: 3300, lost: 0, p50: 1000, max: 1200, linearizable: 'yes' },
    ]);
    const r = await writeReport(dir);
    const check = await openReport(r.file, root);
    expectRendered(check, ['loss', 'unavailability', 'latency', 'p99-time']);
  });

  it('the report a real bench run wrote', { timeout: 60_000 }, async () => {
    const engine = await startEngine();
    const out = tmpDir();
    try {
      const result = await runBench({
        workload: workloadFrom({ name: 'browser-test', ops: { get: 70, set: 20, incr: 10 }, keys: { count: 500 }, connections: 4, duration: '1500ms', warmup: '200ms' }),
        target: `redis://127.0.0.1:${engine.port}`,
        outDir: out,
        workers: 1,
        progress: 'none',
        log: () => {},
      });
      const check = await openReport(path.join(result.dir!, 'report.html'), out);
      expectRendered(check, ['latency', 'throughput', 'p99-time']);
    } finally {
      await engine.stop();
    }
  });

  const example = process.env.MEMLAB_EXAMPLE_RUN;
  if (!example) console.log('skipping the README screenshot: set MEMLAB_EXAMPLE_RUN=results/<run> to write its latency.png (the charts are checked above)');
  it.runIf(example)('screenshots the example run for the README (MEMLAB_EXAMPLE_RUN)', async () => {
    const dir = path.resolve(example!);
    const check = await openReport(path.join(dir, 'report.html'), dir, async (page) => {
      await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
      await page.locator('figure.chart[data-chart="latency"]').screenshot({ path: path.join(dir, 'latency.png') });
    });
    expectRendered(check, check.charts.map((c) => c.id));
    expect(existsSync(path.join(dir, 'latency.png'))).toBe(true);
  });
});
