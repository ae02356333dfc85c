import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readHistory } from '../../../lab/checker/history.js';
import { CHAOS_COLUMNS, FAULTS_COLUMNS, ROUNDS_COLUMNS, TIMESERIES_COLUMNS } from '../../../lab/chaos/output.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(REPO, 'dist/cli/main.js');
// npm test compiles first: a missing build is a failure, not a skip.
if (!existsSync(CLI) || !existsSync(path.join(REPO, 'dist/lab/chaos/runner.js'))) throw new Error('dist/ is not built: run npx tsc -p .');
const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!haveRedis) console.log('skipping the local-backend end-to-end rounds: redis-server is not installed');

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

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'memlab-chaos-test-'));

function csv(file: string): { header: string[]; rows: Record<string, string>[] } {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const header = head.split(',');
  // Only `detail` (faults.csv) may hold commas, and then it is quoted: good enough for these files.
  const rows = lines.map((l) => {
    const cells = l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, ''));
    return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
  });
  return { header, rows };
}

describe('memlab check', () => {
  const dir = tmp();
  const write = (name: string, ops: object[]) => {
    const p = path.join(dir, name);
    writeFileSync(p, ops.map((o) => JSON.stringify(o)).join('\n') + '\n');
    return p;
  };
  const good = write('good.jsonl', [
    { id: 1, client: 1, key: 'k', f: 'write', value: 'a', invoke: 0, complete: 10, result: 'ok' },
    { id: 2, client: 2, key: 'k', f: 'write', value: 'b', invoke: 5, result: 'unknown' },
    { id: 3, client: 3, key: 'k', f: 'read', output: 'b', invoke: 20, complete: 30, result: 'ok' },
  ]);
  const bad = write('bad.jsonl', [
    { id: 1, client: 1, key: 'k', f: 'write', value: 'a', invoke: 0, complete: 10, result: 'ok' },
    { id: 2, client: 1, key: 'k', f: 'write', value: 'b', invoke: 20, complete: 30, result: 'ok' },
    { id: 3, client: 2, key: 'k', f: 'read', output: 'a', invoke: 40, complete: 50, result: 'ok' },
  ]);

  it('exits 0 on a linearizable history (with an unknown write)', async () => {
    const r = await memlab(['check', good]);
    expect(r.stdout).toMatch(/^linearizable: yes \(3 operations on 1 keys\)/);
    expect(r.code).toBe(0);
  });

  it('exits 1 on a stale read and shows the smallest failing window', async () => {
    const r = await memlab(['check', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/linearizable: NO — 1 of 1 keys/);
    expect(r.stdout).toMatch(/#3 client 2 read -> "a" \[40, 50\]/);
  });

  it('exits 2 on a file that is not a history, naming the line', async () => {
    const p = path.join(dir, 'junk.jsonl');
    writeFileSync(p, '{"id":1,"client":1,"key":"k","f":"write","invoke":0,"result":"ok"}\n');
    const r = await memlab(['check', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/junk\.jsonl:1: an ok operation needs 'complete' >= 'invoke'/);
    expect((await memlab(['check', path.join(dir, 'missing.jsonl')])).stderr).toMatch(/no such file/);
  });

  it('exits 3 when the search budget runs out', async () => {
    const r = await memlab(['check', good, '--max-steps', '1']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/linearizable: unknown/);
  });
});

describe('memlab chaos: input errors', () => {
  it('rejects unknown modes, scenarios and bad numbers with exit 2', async () => {
    expect((await memlab(['chaos', '--modes', 'strong'])).stderr).toMatch(/unknown mode 'strong'/);
    const r = await memlab(['chaos', '--scenario', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no chaos profile named 'nope'; available: /);
    expect((await memlab(['chaos', '--rounds', '0'])).stderr).toMatch(/--rounds must be a positive integer/);
    expect((await memlab(['chaos', '--scenario', 'kill-primary', '--duration', '2s'])).stderr).toMatch(/faults\.0\.at' is 3s, not inside the round/);
  });

  it('--list shows every scenario and where it does not apply', async () => {
    const r = await memlab(['chaos', '--list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kill-log-then-primary .*\[not in plain, wait\]$/m);
    expect(r.stdout).toMatch(/^crash-primary /m);
  });
});

/** A short scenario for the end-to-end rounds. */
function scenario(dir: string, name: string, faults: string): string {
  const p = path.join(dir, `${name}.yaml`);
  writeFileSync(p, `name: ${name}\nround: 4s\nsettleTimeout: 15s\nworkload: { clients: 4 }\nfaults:\n${faults}`);
  return p;
}

async function chaosRun(args: string[]): Promise<{ dir: string; stdout: string; stderr: string; code: number | null }> {
  const out = tmp();
  const r = await memlab(['chaos', '--out', out, '--rounds', '1', ...args]);
  const runs = existsSync(out) ? readdirSync(out) : [];
  return { ...r, dir: runs.length === 1 ? path.join(out, runs[0]) : '' };
}

function checkRunFiles(run: string, mode: string, name: string): Record<string, string> {
  const chaos = csv(path.join(run, 'chaos.csv'));
  expect(chaos.header).toEqual([...CHAOS_COLUMNS]);
  expect(csv(path.join(run, 'rounds.csv')).header).toEqual([...ROUNDS_COLUMNS]);
  expect(csv(path.join(run, 'faults.csv')).header).toEqual([...FAULTS_COLUMNS]);
  expect(csv(path.join(run, 'timeseries.csv')).header).toEqual([...TIMESERIES_COLUMNS]);
  const json = JSON.parse(readFileSync(path.join(run, 'chaos.json'), 'utf8')) as { rounds: unknown[]; startedAt: string };
  expect(json.rounds).toHaveLength(1);
  expect(readFileSync(path.join(run, 'command.txt'), 'utf8')).toMatch(/^memlab chaos /);
  const hist = path.join(run, 'history', `${mode}-${name}-1.jsonl`);
  const ops = readHistory(hist);
  expect(ops.some((o) => (o as { final?: boolean }).final)).toBe(true);
  const row = chaos.rows.find((r) => r.mode === mode && r.scenario === name)!;
  expect(row).toBeDefined();
  return row;
}

describe.skipIf(!haveRedis)('memlab chaos end to end, local backend (redis-server)', () => {
  it('a kill-primary round in plain mode: table, files, failover measured, history linearizable', { timeout: 90_000 }, async () => {
    const d = tmp();
    const s = scenario(d, 'kill-short', '  - { at: 1.5s, do: kill, target: primary }\n');
    const r = await chaosRun(['--backend', 'local', '--server', 'redis', '--modes', 'plain', '--scenario', s]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^plain\s+kill-short\s+1\s+[\d,]+\s+\d+/m);
    const row = checkRunFiles(r.dir, 'plain', 'kill-short');
    expect(Number(row.acknowledged)).toBeGreaterThan(100);
    // kill -9 alone: the kernel flushes what the primary had sent, so a linearizable history is expected.
    expect(row.linearizable).toBe('yes');
    const unavail = Number(row.unavailability_p50_ms);
    expect(unavail).toBeGreaterThan(1000); // down-after is 1 s
    expect(unavail).toBeLessThan(6000);
    const faults = csv(path.join(r.dir, 'faults.csv')).rows;
    expect(faults.map((f) => f.event)).toEqual(['kill', 'failover']);
    expect(faults[1].target).not.toBe('n1');
    expect((await memlab(['check', path.join(r.dir, 'history/plain-kill-short-1.jsonl')])).code).toBe(0);
  });

  it('a cut-off primary in plain mode loses acknowledged writes, and the checker says so', { timeout: 90_000 }, async () => {
    const d = tmp();
    const s = scenario(d, 'cut-short', '  - { at: 1s, do: cut, target: primary, from: [replicas, supervisor] }\n  - { at: 3s, do: heal }\n');
    const r = await chaosRun(['--backend', 'local', '--server', 'redis', '--modes', 'plain', '--scenario', s]);
    expect(r.code, r.stderr).toBe(0);
    const row = checkRunFiles(r.dir, 'plain', 'cut-short');
    expect(Number(row.lost)).toBeGreaterThan(0);
    expect(row.linearizable).toBe('no');
    expect(r.stdout).toMatch(/no linearization reaches the completion of/);
    expect((await memlab(['check', path.join(r.dir, 'history/plain-cut-short-1.jsonl')])).code).toBe(1);
  });
});

describe('memlab chaos end to end, lab backend (memlab server)', () => {
  it('a kill-primary round in plain mode', { timeout: 120_000 }, async () => {
    const d = tmp();
    const s = scenario(d, 'kill-short', '  - { at: 1.5s, do: kill, target: primary }\n');
    const r = await chaosRun(['--backend', 'lab', '--modes', 'plain', '--scenario', s]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cluster: lab: memlab server x3/);
    const row = checkRunFiles(r.dir, 'plain', 'kill-short');
    expect(Number(row.acknowledged)).toBeGreaterThan(50);
    expect(Number(row.unavailability_p50_ms)).toBeGreaterThan(1000);
  });
});
