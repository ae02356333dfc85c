import type { Operation } from './history.js';
import { modelFor, type Model } from './models.js';

/**
 * Linearizability checking: Wing & Gong's search with Lowe's refinements (a cache of
 * (linearized set, state) pairs already explored, and just-in-time linearization over a
 * linked list of call/return events), run separately per key (P-compositionality: a
 * history of independent objects is linearizable iff each object's sub-history is).
 *
 * `fail` operations are dropped (they did not happen). `unknown` operations get a return
 * at +infinity and accept any output: they may take effect at any point after their
 * invocation, or in effect never (linearized after everything observed).
 */

export interface KeyFailure {
  key: string;
  model: string;
  /** The operation whose completion could not be reached in any linearization. */
  blocked: Operation;
  /** Operations not yet linearized that were invoked before `blocked` completed. */
  concurrent: Operation[];
  /** The tail of the longest linearization found (oldest first). */
  linearizedTail: Operation[];
  /** The model state after that tail, as the model prints it. */
  state: string;
}

export interface CheckResult {
  linearizable: boolean;
  /** True when some key's search hit the step budget: the verdict for it is unknown. */
  incomplete: boolean;
  keys: number;
  operations: number;
  failures: KeyFailure[];
  incompleteKeys: string[];
}

interface Entry {
  op: number;
  call: boolean;
  time: number;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

function buildList(ops: readonly Operation[]): Entry {
  const events: Entry[] = [];
  ops.forEach((o, i) => {
    const call: Entry = { op: i, call: true, time: o.invoke, match: null, prev: null, next: null };
    const end = o.result === 'ok' && typeof o.complete === 'number' ? o.complete : Infinity;
    const ret: Entry = { op: i, call: false, time: end, match: null, prev: null, next: null };
    call.match = ret;
    events.push(call, ret);
  });
  // At equal times calls sort before returns: touching operations count as concurrent,
  // which can only make the checker more lenient, never report a false violation.
  events.sort((a, b) => a.time - b.time || (a.call === b.call ? a.op - b.op : a.call ? -1 : 1));
  const head: Entry = { op: -1, call: false, time: -Infinity, match: null, prev: null, next: null };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

function lift(e: Entry): void {
  e.prev!.next = e.next;
  if (e.next) e.next.prev = e.prev;
  const m = e.match!;
  m.prev!.next = m.next;
  if (m.next) m.next.prev = m.prev;
}

function unlift(e: Entry): void {
  const m = e.match!;
  m.prev!.next = m;
  if (m.next) m.next.prev = m;
  e.prev!.next = e;
  if (e.next) e.next.prev = e;
}

export interface CheckOptions {
  /** Search steps allowed per key before giving up with an incomplete verdict. */
  maxSteps?: number;
}

/** Check one key's operations against a model. */
export function checkKey<S>(
  key: string,
  ops: readonly Operation[],
  model: Model<S>,
  options: CheckOptions = {},
): { ok: true } | { ok: false; failure: KeyFailure } | { ok: 'incomplete' } {
  const maxSteps = options.maxSteps ?? 5_000_000;
  const head = buildList(ops);
  const words = new Uint32Array(Math.ceil(ops.length / 32) || 1);
  const cache = new Set<string>();
  const stack: { entry: Entry; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  // Deepest point reached, for the failure report.
  let best: { depth: number; blocked: Entry | null; stack: { entry: Entry; state: S }[]; state: S } = {
    depth: -1,
    blocked: null,
    stack: [],
    state,
  };
  while (head.next !== null) {
    if (++steps > maxSteps) return { ok: 'incomplete' };
    if (entry === null) throw new Error('invariant: ran off the event list with calls pending');
    if (entry.call) {
      const op = ops[entry.op];
      const { ok, next } = model.step(state, op);
      if (ok) {
        const w = entry.op >>> 5;
        const bit = 1 << (entry.op & 31);
        words[w] |= bit;
        const ck = words.join(',') + '|' + model.key(next);
        if (!cache.has(ck)) {
          cache.add(ck);
          stack.push({ entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        words[w] &= ~bit;
      }
      entry = entry.next;
    } else {
      if (stack.length > best.depth) best = { depth: stack.length, blocked: entry, stack: stack.slice(), state };
      const top = stack.pop();
      if (!top) {
        const blocked = ops[best.blocked!.op];
        const linearized = new Set(best.stack.map((s) => s.entry.op));
        const concurrent = ops.filter(
          (o, i) => !linearized.has(i) && o.invoke <= (blocked.complete ?? Infinity) && i !== best.blocked!.op,
        );
        return {
          ok: false,
          failure: {
            key,
            model: model.name,
            blocked,
            concurrent,
            linearizedTail: best.stack.slice(-5).map((s) => ops[s.entry.op]),
            state: model.key(best.state),
          },
        };
      }
      state = top.state;
      words[top.entry.op >>> 5] &= ~(1 << (top.entry.op & 31));
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { ok: true };
}

/** Check a whole history, key by key, choosing each key's model from its operations. */
export function checkHistory(history: readonly Operation[], options: CheckOptions = {}): CheckResult {
  const byKey = new Map<string, Operation[]>();
  let operations = 0;
  for (const op of history) {
    if (op.result === 'fail') continue;
    operations++;
    let list = byKey.get(op.key);
    if (!list) byKey.set(op.key, (list = []));
    list.push(op);
  }
  const result: CheckResult = { linearizable: true, incomplete: false, keys: byKey.size, operations, failures: [], incompleteKeys: [] };
  for (const [key, ops] of byKey) {
    const r = checkKey(key, ops, modelFor(ops), options);
    if (r.ok === 'incomplete') {
      result.incomplete = true;
      result.incompleteKeys.push(key);
    } else if (!r.ok) {
      result.linearizable = false;
      result.failures.push(r.failure);
    }
  }
  return result;
}

function describe(o: Operation): string {
  const v = o.value === undefined ? '' : ' ' + JSON.stringify(o.value);
  const out = o.result === 'ok' && o.output !== undefined ? ' -> ' + JSON.stringify(o.output) : o.result !== 'ok' ? ` (${o.result})` : '';
  const end = o.complete === undefined || o.complete === Infinity ? '?' : String(o.complete);
  return `#${o.id} client ${o.client} ${o.f}${v}${out} [${o.invoke}, ${end}]`;
}

/** A human-readable verdict: what `memlab check` prints. */
export function formatResult(r: CheckResult): string {
  const lines: string[] = [];
  if (r.linearizable && !r.incomplete) lines.push(`linearizable: yes (${r.operations} operations on ${r.keys} keys)`);
  else if (r.linearizable) lines.push(`linearizable: unknown — search budget exhausted on keys ${r.incompleteKeys.join(', ')}; no violation found elsewhere`);
  else lines.push(`linearizable: NO — ${r.failures.length} of ${r.keys} keys have no valid linearization`);
  for (const f of r.failures.slice(0, 5)) {
    lines.push('', `key ${JSON.stringify(f.key)} (${f.model}): no linearization reaches the completion of`, `  ${describe(f.blocked)}`);
    lines.push(`  state after the longest valid prefix: ${JSON.stringify(f.state)}`);
    if (f.linearizedTail.length) lines.push('  last operations of that prefix:', ...f.linearizedTail.map((o) => '    ' + describe(o)));
    if (f.concurrent.length) lines.push('  operations pending around it:', ...f.concurrent.slice(0, 10).map((o) => '    ' + describe(o)));
  }
  return lines.join('\n');
}
