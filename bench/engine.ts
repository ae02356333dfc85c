/**
 * npm run bench:engine — the engine against Debian's redis-server, same machine, same
 * redis-benchmark settings, runs alternating so drift hits both alike. Prints requests per
 * second per test and the ratio engine/redis, then memory per key with 1,000,000 string keys.
 *
 * With 2+ CPUs both servers run on CPU 0 and redis-benchmark on CPU 1 (taskset): unpinned, the
 * scheduler sometimes puts server and client on one core and a run halves, for either server.
 *
 * Options: --quick (fewer requests), --rounds N (median of N alternating runs, default 3),
 * --tests set,get,... , --no-memory, --no-pin, --json FILE (write the table).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, opt } from './lib/args.js';
import { redisBenchmarkRow } from './lib/redis-benchmark.js';
import { canPin, freePort, pinned, startRedisServer, waitPort } from './lib/servers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../cli/main.js');

const quick = flag('--quick');
const rounds = Number(opt('--rounds', quick ? '1' : '3'));
const tests = opt('--tests', 'set,get,incr,lpush,lpop,sadd,hset,zadd').split(',');
const pipelines = [1, 16];
const pin = !flag('--no-pin') && canPin();
const SERVER_CPU = pin ? '0' : null;
const CLIENT_CPU = pin ? '1' : null;

interface Target {
  name: 'engine' | 'redis';
  port: number;
  proc: ChildProcess;
}

async function startEngine(): Promise<Target> {
  const port = await freePort();
  const proc = spawn(...pinned(process.execPath, ['--expose-gc', cli, 'server', '--port', String(port), '-c', 'loglevel=warning'], SERVER_CPU), { stdio: 'inherit' });
  await waitPort(port);
  return { name: 'engine', port, proc };
}

async function startRedis(): Promise<Target> {
  return { name: 'redis', ...(await startRedisServer(SERVER_CPU)) };
}

function stop(t: Target): Promise<void> {
  return new Promise((resolve) => {
    t.proc.once('exit', () => resolve());
    t.proc.kill('SIGKILL');
  });
}

function redisBenchmark(port: number, test: string, pipeline: number): number {
  const n = pipeline === 1 ? (quick ? 50_000 : 200_000) : quick ? 300_000 : 2_000_000;
  const cols = redisBenchmarkRow(['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-n', String(n), '-r', '100000', '-P', String(pipeline), '-t', test], 2, CLIENT_CPU);
  return Number(cols[1]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** SET key:NNNNNNN to 16-byte values, pipelined, and wait for every reply. */
async function load(port: number, count: number): Promise<void> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  let replies = 0;
  let pending = '';
  sock.setEncoding('latin1');
  const done = new Promise<void>((resolve) => {
    sock.on('data', (d: string) => {
      pending += d;
      let i = 0;
      while ((i = pending.indexOf('\r\n')) >= 0) {
        pending = pending.slice(i + 2);
        replies++;
      }
      if (replies >= count) resolve();
    });
  });
  const value = 'v'.repeat(16);
  const batch = 10_000;
  for (let start = 0; start < count; start += batch) {
    let chunk = '';
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const key = 'key:' + String(i).padStart(7, '0');
      chunk += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$16\r\n${value}\r\n`;
    }
    if (!sock.write(chunk, 'latin1')) await new Promise((r) => sock.once('drain', r));
    while (replies < start - 50_000) await new Promise((r) => setTimeout(r, 5));
  }
  await done;
  sock.destroy();
}

async function command(port: number, ...argv: string[]): Promise<string> {
  const sock = net.connect(port, '127.0.0.1');
  sock.setEncoding('latin1');
  let out = '';
  const body = `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
  sock.write(body);
  await new Promise<void>((resolve) => {
    sock.on('data', (d: string) => {
      out += d;
      const m = /^\$(\d+)\r\n/.exec(out);
      if (out.startsWith('+') || out.startsWith('-') || out.startsWith(':')) {
        if (out.endsWith('\r\n')) resolve();
      } else if (m && out.length >= m[0].length + Number(m[1]) + 2) resolve();
    });
  });
  sock.destroy();
  return out;
}

function infoField(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  if (!m) throw new Error(`INFO has no ${field}`);
  return Number(m[1]);
}

function rssOf(pid: number): number {
  const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  return Number(r.stdout.trim()) * 1024;
}

async function memoryPerKey(t: Target, count: number): Promise<{ used: number; rss: number }> {
  if (t.name === 'engine') await command(t.port, 'MEMORY', 'PURGE');
  const before = infoField(await command(t.port, 'INFO', 'memory'), 'used_memory');
  const rssBefore = rssOf(t.proc.pid!);
  await load(t.port, count);
  if (t.name === 'engine') await command(t.port, 'MEMORY', 'PURGE');
  const after = infoField(await command(t.port, 'INFO', 'memory'), 'used_memory');
  const rssAfter = rssOf(t.proc.pid!);
  return { used: (after - before) / count, rss: (rssAfter - rssBefore) / count };
}

async function main(): Promise<void> {
  if (spawnSync('redis-benchmark', ['--version']).status !== 0) {
    console.error('bench:engine needs redis-benchmark and redis-server (Debian: apt-get install redis-server redis-tools)');
    process.exit(2);
  }
  const engine = await startEngine();
  const redis = await startRedis();
  const rows: { test: string; pipeline: number; engine: number; redis: number; ratio: number }[] = [];
  try {
    console.log(`redis-benchmark -c 50 -r 100000, ${rounds} alternating round(s), median rps; ${pin ? 'servers on CPU 0, redis-benchmark on CPU 1' : 'not pinned'}`);
    console.log('test      -P   engine rps    redis rps   engine/redis');
    for (const test of tests) {
      for (const p of pipelines) {
        const e: number[] = [];
        const r: number[] = [];
        for (let i = 0; i < rounds; i++) {
          // Alternate which goes first so neither always runs on a warmer machine.
          if (i % 2 === 0) {
            e.push(redisBenchmark(engine.port, test, p));
            r.push(redisBenchmark(redis.port, test, p));
          } else {
            r.push(redisBenchmark(redis.port, test, p));
            e.push(redisBenchmark(engine.port, test, p));
          }
        }
        const row = { test, pipeline: p, engine: median(e), redis: median(r), ratio: median(e) / median(r) };
        rows.push(row);
        console.log(
          `${test.padEnd(8)} ${String(p).padStart(3)} ${row.engine.toFixed(0).padStart(12)} ${row.redis.toFixed(0).padStart(12)} ${row.ratio.toFixed(2).padStart(14)}`,
        );
      }
    }
  } finally {
    await stop(engine);
    await stop(redis);
  }
  let memory: Record<string, unknown> | undefined;
  if (!flag('--no-memory')) {
    const count = quick ? 200_000 : 1_000_000;
    const e2 = await startEngine();
    const r2 = await startRedis();
    try {
      const em = await memoryPerKey(e2, count);
      const rm = await memoryPerKey(r2, count);
      memory = { keys: count, engineUsedPerKey: em.used, engineRssPerKey: em.rss, redisUsedPerKey: rm.used, redisRssPerKey: rm.rss };
      console.log(`\nmemory with ${count} string keys (key:NNNNNNN, 16-byte values), bytes per key:`);
      console.log(`  engine used_memory (V8 heap after full GC): ${em.used.toFixed(1)}   rss: ${em.rss.toFixed(1)}`);
      console.log(`  redis  used_memory:                         ${rm.used.toFixed(1)}   rss: ${rm.rss.toFixed(1)}`);
      console.log(`  engine/redis used_memory per key: ${(em.used / rm.used).toFixed(2)}   rss per key: ${(em.rss / rm.rss).toFixed(2)}`);
    } finally {
      await stop(e2);
      await stop(r2);
    }
  }
  const json = opt('--json', '');
  if (json) writeFileSync(json, JSON.stringify({ rows, memory }, null, 2));
}

main().catch((e: Error) => {
  console.error(`bench:engine: ${e.message}`);
  process.exit(1);
});
