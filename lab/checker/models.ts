import type { Operation } from './history.js';

/**
 * Sequential specifications of the objects the chaos workloads use, one per key. `step`
 * says whether the operation, applied to `state`, could have returned what it returned
 * (unknown results accept any output) and gives the next state.
 */
export interface Model<S> {
  name: string;
  init(): S;
  step(state: S, op: Operation): { ok: boolean; next: S };
  /** A string that identifies the state, for the search's cache. */
  key(state: S): string;
}

/** A register (SET k v / GET k), with compare-and-set. State: the value or null. */
export const register: Model<string | null> = {
  name: 'register',
  init: () => null,
  step(state, op) {
    switch (op.f) {
      case 'write':
        return { ok: true, next: op.value as string };
      case 'read':
        if (op.result !== 'ok') return { ok: true, next: state };
        return { ok: (op.output ?? null) === state, next: state };
      case 'cas': {
        const [expected, next] = op.value as [string | null, string];
        if (state !== expected) {
          // A cas that did not match changes nothing; it was ok only if it reported failure.
          return { ok: op.result !== 'ok' || op.output === 0, next: state };
        }
        return { ok: op.result !== 'ok' || op.output !== 0, next };
      }
      default:
        throw new Error(`register model cannot check '${op.f}' operations (key ${op.key})`);
    }
  },
  key: (s) => (s === null ? '\u0000nil' : 's' + s),
};

/** A grow-only set (SADD k m / SMEMBERS k). State: sorted member list. */
export const growSet: Model<readonly string[]> = {
  name: 'set',
  init: () => [],
  step(state, op) {
    switch (op.f) {
      case 'add': {
        const m = String(op.value);
        if (state.includes(m)) return { ok: true, next: state };
        return { ok: true, next: [...state, m].sort() };
      }
      case 'members': {
        if (op.result !== 'ok') return { ok: true, next: state };
        const got = [...((op.output as string[] | null) ?? [])].sort();
        return { ok: got.length === state.length && got.every((m, i) => m === state[i]), next: state };
      }
      default:
        throw new Error(`set model cannot check '${op.f}' operations (key ${op.key})`);
    }
  },
  key: (s) => s.join('\u0000'),
};

/** A counter (INCRBY k n returns the new value / GET k). State: the value. */
export const counter: Model<number> = {
  name: 'counter',
  init: () => 0,
  step(state, op) {
    switch (op.f) {
      case 'incr': {
        const next = state + Number(op.value ?? 1);
        if (op.result !== 'ok' || op.output === undefined) return { ok: true, next };
        return { ok: Number(op.output) === next, next };
      }
      case 'get': {
        if (op.result !== 'ok') return { ok: true, next: state };
        return { ok: Number(op.output ?? 0) === state, next: state };
      }
      default:
        throw new Error(`counter model cannot check '${op.f}' operations (key ${op.key})`);
    }
  },
  key: (s) => String(s),
};

/** The model for a key's operations, from the kinds present. */
export function modelFor(ops: readonly Operation[]): Model<unknown> {
  const kinds = new Set(ops.map((o) => o.f));
  if (kinds.has('add') || kinds.has('members')) return growSet as Model<unknown>;
  if (kinds.has('incr') || kinds.has('get')) return counter as Model<unknown>;
  return register as Model<unknown>;
}
