import { Deque } from './deque.js';
import { SortedSet } from './sorted-set.js';

/**
 * A keyspace value. Strings are binary strings stored directly (no wrapper object, which
 * keeps a string key near Redis's memory cost); each other type is its collection.
 */
export type Value = string | HashValue | ListValue | SetValue | SortedSet;
export type HashValue = Map<string, string>;
export type ListValue = Deque<string>;
export type SetValue = Set<string>;

export type TypeName = 'string' | 'hash' | 'list' | 'set' | 'zset';

export function typeOf(v: Value): TypeName {
  if (typeof v === 'string') return 'string';
  if (v instanceof Map) return 'hash';
  if (v instanceof Deque) return 'list';
  if (v instanceof Set) return 'set';
  if (v instanceof SortedSet) return 'zset';
  throw new Error('invariant: unknown value type in keyspace');
}

export function isHash(v: Value): v is HashValue {
  return v instanceof Map;
}
export function isList(v: Value): v is ListValue {
  return v instanceof Deque;
}
export function isSet(v: Value): v is SetValue {
  return v instanceof Set;
}
export function isSortedSet(v: Value): v is SortedSet {
  return v instanceof SortedSet;
}
