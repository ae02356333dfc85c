import { spawn, spawnSync } from 'node:child_process';

/** Debian's redis-tools, when installed (CI installs them; see .ci/run). */
export function haveTool(name: 'redis-cli' | 'redis-benchmark'): boolean {
  return spawnSync(name, ['--version']).status === 0;
}

export interface ToolResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Run a redis-tools binary without blocking the event loop (the engine under test runs
 * in this process), feeding `input` on stdin.
 */
export function runTool(bin: string, args: string[], input?: Buffer | string, timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
    p.stdin.on('error', () => {});
    if (input !== undefined) p.stdin.end(input);
    else p.stdin.end();
  });
}

/** redis-cli against 127.0.0.1:port; stdout as text (latin1) unless asked for bytes. */
export async function cli(port: number, args: string[], input?: Buffer | string): Promise<{ code: number | null; out: string; raw: Buffer; err: string }> {
  const r = await runTool('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], input);
  return { code: r.code, out: r.stdout.toString('latin1'), raw: r.stdout, err: r.stderr };
}
