import { readFileSync } from 'node:fs';

/**
 * A history of client operations, as chaos workloads record them: one record per operation
 * with invoke and completion times on one monotonic clock (ns or µs — any unit, as long as
 * every record uses the same one).
 *
 * result: `ok` (acknowledged), `fail` (definitely did not happen: the server said so before
 * executing), `unknown` (timeout or disconnect: may or may not have happened — Jepsen's
 * `info`). A client whose operation ended `unknown` must not issue more operations under the
 * same `client` id (the workload retires it), so every client's operations are sequential.
 */
export type OpKind = 'write' | 'read' | 'cas' | 'add' | 'members' | 'incr' | 'get';

export interface Operation {
  /** Unique within the history. */
  id: number;
  client: number;
  key: string;
  f: OpKind;
  /** Argument: the written value, the added member, the increment, or [expected, new] for cas. */
  value?: string | number | [string | null, string] | null;
  /** What the operation returned when ok: the read value (null = missing), the members read, the counter value. */
  output?: string | number | string[] | null;
  invoke: number;
  /** Completion time; absent or Infinity for unknown results. */
  complete?: number;
  result: 'ok' | 'fail' | 'unknown';
}

export function readHistory(path: string): Operation[] {
  const text = readFileSync(path, 'utf8');
  const ops: Operation[] = [];
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    if (!raw.trim()) continue;
    let rec: Operation;
    try {
      rec = JSON.parse(raw) as Operation;
    } catch (e) {
      throw new Error(`${path}:${line}: not a JSON object: ${(e as Error).message}`);
    }
    validate(rec, `${path}:${line}`);
    ops.push(rec);
  }
  return ops;
}

const KINDS: readonly OpKind[] = ['write', 'read', 'cas', 'add', 'members', 'incr', 'get'];

export function validate(op: Operation, where: string): void {
  const bad = (why: string) => {
    throw new Error(`${where}: ${why}`);
  };
  if (typeof op !== 'object' || op === null) bad('expected an operation object');
  if (typeof op.id !== 'number') bad("field 'id' must be a number");
  if (typeof op.client !== 'number') bad("field 'client' must be a number");
  if (typeof op.key !== 'string') bad("field 'key' must be a string");
  if (!KINDS.includes(op.f)) bad(`field 'f' must be one of ${KINDS.join(', ')}, got ${JSON.stringify(op.f)}`);
  if (typeof op.invoke !== 'number') bad("field 'invoke' must be a number");
  if (!['ok', 'fail', 'unknown'].includes(op.result)) bad(`field 'result' must be ok, fail or unknown, got ${JSON.stringify(op.result)}`);
  if (op.result === 'ok' && (typeof op.complete !== 'number' || op.complete < op.invoke)) {
    bad("an ok operation needs 'complete' >= 'invoke'");
  }
}

/** JSON lines, one operation per line. */
export function formatHistory(ops: readonly Operation[]): string {
  return ops.map((o) => JSON.stringify(o.complete === Infinity ? { ...o, complete: undefined } : o)).join('\n') + '\n';
}
