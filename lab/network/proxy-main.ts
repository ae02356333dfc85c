/**
 * Entry point of the delay line process (see control.ts `spawnProxy`):
 *   node dist/lab/network/proxy-main.js [--clock worker|timer|immediate] [--coalesce MS]
 *       [--control-port N] [--control-host 127.0.0.1] [--exit-with-stdin] [--no-calibrate]
 * Prints one JSON line {"ready":true,"pid":..,"control":{host,port}} once it listens.
 */
import { CLOCK_KINDS, type ClockKind } from './clock.js';
import { ControlServer } from './control.js';
import { DelayLine } from './delay-line.js';

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function die(msg: string): never {
  process.stderr.write(`delay line: ${msg}\n`);
  process.exit(2);
}

const clock = (opt('--clock') ?? 'worker') as ClockKind;
if (!CLOCK_KINDS.includes(clock)) die(`--clock must be one of ${CLOCK_KINDS.join(', ')}`);
const port = Number(opt('--control-port') ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) die('--control-port must be a port number');
const host = opt('--control-host') ?? '127.0.0.1';
const coalesce = opt('--coalesce');
const coalesceMs = coalesce === undefined ? undefined : Number(coalesce);
if (coalesceMs !== undefined && !(coalesceMs >= 0 && coalesceMs <= 1)) die('--coalesce must be a number of ms in [0, 1]');

const line = new DelayLine({ clock, ...(coalesceMs === undefined ? {} : { coalesceMs }) });
// Before any link exists, so the calibration has the machine's quiet transit to itself.
const transitMs = process.argv.includes('--no-calibrate') ? 0 : await line.calibrate({ host });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void Promise.all([control.close(), line.close()]).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
const control = new ControlServer(line, stop);
try {
  const ep = await control.listen(host, port);
  process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, control: ep, transitMs }) + '\n');
} catch (e) {
  die(`cannot listen for control on ${host}:${port}: ${(e as Error).message}`);
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
if (process.argv.includes('--exit-with-stdin')) {
  // The parent's end of the pipe closes when it dies, however it dies.
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
