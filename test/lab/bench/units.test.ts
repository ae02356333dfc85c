import { describe, expect, it } from 'vitest';
import { errorKind, redactUrl } from '../../../lab/bench/load.js';
import { makeRunId } from '../../../lab/bench/runner.js';
import { formatTable } from '../../../lab/bench/table.js';
import type { ModeResult, OpResult } from '../../../lab/bench/types.js';
import { SeriesAggregator } from '../../../lab/metrics/series.js';

describe('small pieces', () => {
  it('classifies errors by kind', () => {
    const reply = Object.assign(new Error('READONLY You can\'t write against a read only replica.'), { name: 'ReplyError' });
    expect(errorKind(reply)).toBe('READONLY');
    expect(errorKind(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorKind(new Error('Connection is closed.'))).toBe('CONNECTION_CLOSED');
    expect(errorKind(new Error('Command timed out'))).toBe('TIMEOUT');
    expect(errorKind(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe('NOT_CONNECTED');
  });

  it('never shows passwords', () => {
    expect(redactUrl('redis://:s3cret@h:1')).toBe('redis://***@h:1');
    expect(redactUrl('rediss://user:s3cret@h:1/2')).toBe('rediss://***@h:1/2');
    expect(redactUrl('redis://h:1')).toBe('redis://h:1');
  });

  it('run ids are timestamp + label, safe as folder names', () => {
    expect(makeRunId('my run/../x', new Date(2025, 0, 2, 3, 4, 5))).toBe('20250102-030405-my-run-..-x');
  });
});

describe('end-of-run table', () => {
  const op = (name: string, p50: number, extra: Partial<OpResult> = {}): OpResult => ({
    op: name,
    kind: name === 'all' ? 'all' : name === 'set' ? 'write' : 'read',
    count: 100,
    errors: 0,
    errorKinds: {},
    acked: 0,
    underAcked: 0,
    nil: 0,
    throughput: 1000,
    latencyUs: { count: 100, p50, p90: p50, p99: p50 * 2, p999: p50 * 3, max: p50 * 4, mean: p50, min: 1 },
    bytesWritten: 0,
    ...extra,
  });
  const mode = (m: 'plain' | 'wait', setP50: number, acked: number): ModeResult => ({
    mode: m,
    target: 'redis://h:1',
    workload: 'w',
    loop: 'closed',
    rate: null,
    connections: 1,
    pipeline: 1,
    startedAtMs: 0,
    durationSec: 1,
    ops: [op('get', 200), op('set', setP50, { acked })],
    all: op('all', 300, { acked, underAcked: 1, throughput: 2000 }),
    series: new SeriesAggregator(),
    client: { workers: 1, cores: 2, cpuCores: 0.5, cpuPct: 25, workerElu: [0.3], unsent: 0, warmupOps: 0, connectionErrors: 0, saturated: false },
    nodes: 3,
    warnings: [],
  });

  it('puts modes side by side, one row per metric', () => {
    const t = formatTable([mode('plain', 250, 0), mode('wait', 1250, 99)]).split('\n');
    expect(t[0]).toMatch(/^\s+plain\s+wait$/);
    expect(t.find((l) => l.startsWith('set p50 ms'))).toMatch(/0\.250\s+1\.250$/);
    expect(t.find((l) => l.startsWith('throughput ops/s'))).toMatch(/2,000\s+2,000$/);
    expect(t.find((l) => l.startsWith('writes acked / under-acked'))).toMatch(/0 \/ 1\s+99 \/ 1$/);
  });
});
