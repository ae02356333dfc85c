/** `memlab server` flags of durable mode (kept apart so the server command stays small). */
import type { Command } from 'commander';
import { parseLogList } from '../engine/log/node/transport.js';
import type { DurableOptions } from '../engine/durable/engine.js';
import { fail } from './options.js';

export interface DurableFlags {
  mode?: string;
  durable?: boolean;
  nodeId?: string;
  log?: string;
  logLocal?: string;
  snapshotDir?: string;
  leaseMs?: string;
  snapshotEvery?: string;
  campaignOffsetMs?: string;
}

export function durableFlags(cmd: Command): void {
  cmd
    .option('--mode <mode>', 'plain | wait | durable (durable needs --log)')
    .option('--durable', 'same as --mode durable')
    .option('--node-id <id>', 'durable: this node\'s id in the log protocol (default: --name)')
    .option('--log <list>', 'durable: the log replicas, [id=]host:port,... (ids default to l1, l2, ...)')
    .option('--log-local <id>', "durable: the log replica in this node's AZ; as a replica, read the log from it while it keeps up")
    .option('--snapshot-dir <dir>', 'durable: snapshot directory shared by the engine nodes (without it the log is never trimmed)')
    .option('--snapshot-every <n>', 'durable: followers snapshot every n applied log entries', '10000')
    .option('--lease-ms <ms>', 'durable: lease L; the log replicas must use the same', '2000')
    .option('--campaign-offset-ms <ms>', 'durable: extra wait before campaigning (default: 250 ms per node number after the first)')
    .addHelpText(
      'after',
      '\nDurable mode:\n  memlab server --mode durable --name n1 --port 7001 --log l1=127.0.0.1:7101,l2=127.0.0.1:7102,l3=127.0.0.1:7103 --snapshot-dir /tmp/snaps\n',
    );
}

function num(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) fail(`${flag} must be a number >= ${min}, got '${text}'`);
  return n;
}

/** The durable options, or null when the node is not durable. */
export function durableFromFlags(f: DurableFlags, name: string): Omit<DurableOptions, 'sourceAddress'> | null {
  if (f.mode !== undefined && !['plain', 'wait', 'durable'].includes(f.mode)) fail(`--mode must be plain, wait or durable, got '${f.mode}'`);
  const durable = f.durable === true || f.mode === 'durable';
  if (!durable) {
    if (f.log) fail('--log is only for --mode durable');
    if (f.logLocal) fail('--log-local is only for --mode durable');
    return null;
  }
  if (!f.log) fail('--mode durable needs --log with the log replicas, e.g. --log l1=127.0.0.1:7101,l2=127.0.0.1:7102,l3=127.0.0.1:7103');
  let log;
  try {
    log = parseLogList(f.log);
  } catch (e) {
    fail(`--log: ${(e as Error).message}`);
  }
  const out: Omit<DurableOptions, 'sourceAddress'> = {
    nodeId: f.nodeId ?? name,
    log,
    leaseMs: num(f.leaseMs, '--lease-ms', 10),
    snapshotEvery: num(f.snapshotEvery, '--snapshot-every', 0),
  };
  if (f.logLocal !== undefined) {
    if (!log.some((p) => p.id === f.logLocal)) fail(`--log-local '${f.logLocal}' is not one of the --log replicas (${log.map((p) => p.id).join(', ')})`);
    out.localLog = f.logLocal;
  }
  if (f.snapshotDir) out.snapshotDir = f.snapshotDir;
  const off = num(f.campaignOffsetMs, '--campaign-offset-ms', 0);
  if (off !== undefined) out.campaignOffsetMs = off;
  return out;
}
