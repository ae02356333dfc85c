import { globMatch } from '../store/glob.js';

/**
 * The engine's configuration options: what `CONFIG GET/SET` see and what
 * `memlab server --config-name value` sets. Names and value syntax follow redis.conf.
 */
type Kind = 'int' | 'memory' | 'bool' | 'string' | 'enum';

interface OptionDef {
  name: string;
  kind: Kind;
  default: string;
  /** Settable with CONFIG SET at run time. */
  mutable: boolean;
  values?: readonly string[];
  min?: number;
  max?: number;
  aliases?: readonly string[];
}

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;

const OPTIONS: readonly OptionDef[] = [
  { name: 'port', kind: 'int', default: '6379', mutable: false, min: 0, max: 65535 },
  { name: 'bind', kind: 'string', default: '127.0.0.1', mutable: false },
  { name: 'requirepass', kind: 'string', default: '', mutable: true },
  { name: 'databases', kind: 'int', default: '16', mutable: false, min: 1, max: 16 },
  { name: 'maxclients', kind: 'int', default: '10000', mutable: true, min: 1 },
  { name: 'timeout', kind: 'int', default: '0', mutable: true, min: 0 },
  { name: 'hz', kind: 'int', default: '10', mutable: true, min: 1, max: 500 },
  { name: 'proto-max-bulk-len', kind: 'memory', default: String(512 * MB), mutable: true, min: 1024 * 1024 },
  { name: 'client-query-buffer-limit', kind: 'memory', default: String(GB), mutable: true, min: 1024 * 1024 },
  { name: 'maxmemory', kind: 'memory', default: '0', mutable: true, min: 0 },
  { name: 'maxmemory-policy', kind: 'enum', default: 'noeviction', mutable: true, values: ['noeviction'] },
  { name: 'save', kind: 'string', default: '', mutable: true },
  { name: 'appendonly', kind: 'bool', default: 'no', mutable: false },
  { name: 'dir', kind: 'string', default: '.', mutable: true },
  { name: 'dbfilename', kind: 'string', default: 'dump.rdb', mutable: true },
  { name: 'replica-read-only', kind: 'bool', default: 'yes', mutable: true, aliases: ['slave-read-only'] },
  { name: 'replica-priority', kind: 'int', default: '100', mutable: true, min: 0, aliases: ['slave-priority'] },
  { name: 'repl-backlog-size', kind: 'memory', default: String(MB), mutable: true, min: 16 * 1024 },
  { name: 'repl-timeout', kind: 'int', default: '60', mutable: true, min: 1 },
  { name: 'repl-ping-replica-period', kind: 'int', default: '10', mutable: true, min: 1 },
  { name: 'min-replicas-to-write', kind: 'int', default: '0', mutable: true, min: 0, aliases: ['min-slaves-to-write'] },
  { name: 'min-replicas-max-lag', kind: 'int', default: '10', mutable: true, min: 0, aliases: ['min-slaves-max-lag'] },
  { name: 'loglevel', kind: 'enum', default: 'notice', mutable: true, values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] },
  { name: 'lazyfree-lazy-user-del', kind: 'bool', default: 'no', mutable: true },
  { name: 'notify-keyspace-events', kind: 'string', default: '', mutable: true },
];

const BY_NAME = new Map<string, OptionDef>();
for (const o of OPTIONS) {
  BY_NAME.set(o.name, o);
  for (const a of o.aliases ?? []) BY_NAME.set(a, o);
}

/** Parses redis.conf memory units: 1k=1000, 1kb=1024, 1m, 1mb, 1g, 1gb. */
export function parseMemory(text: string): number | null {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const mult: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: MB, g: 1e9, gb: GB };
  return n * mult[unit];
}

export class ConfigError extends Error {}

export class Config {
  private values = new Map<string, string>();
  private listeners = new Map<string, ((value: string) => void)[]>();

  constructor(initial: Record<string, string | number | boolean> = {}) {
    for (const o of OPTIONS) this.values.set(o.name, o.default);
    for (const [k, v] of Object.entries(initial)) this.set(k, String(typeof v === 'boolean' ? (v ? 'yes' : 'no') : v), true);
  }

  static isKnown(name: string): boolean {
    return BY_NAME.has(name.toLowerCase());
  }

  get(name: string): string {
    const o = BY_NAME.get(name);
    if (!o) throw new Error(`invariant: unknown config option ${name}`);
    return this.values.get(o.name)!;
  }

  int(name: string): number {
    return Number(this.get(name));
  }

  bool(name: string): boolean {
    return this.get(name) === 'yes';
  }

  /** Calls `fn` whenever the option changes (e.g. limits pushed to every parser). */
  onChange(name: string, fn: (value: string) => void): void {
    const list = this.listeners.get(name) ?? [];
    list.push(fn);
    this.listeners.set(name, list);
  }

  /** Validates and normalizes; throws ConfigError with Redis's wording on bad values. */
  set(name: string, raw: string, atStartup = false): void {
    const o = BY_NAME.get(name.toLowerCase());
    if (!o) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (!o.mutable && !atStartup) throw new ConfigError(`CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`);
    const value = this.normalize(o, raw, name);
    this.values.set(o.name, value);
    for (const fn of this.listeners.get(o.name) ?? []) fn(value);
  }

  /** Sets several options atomically: all are validated before any changes. */
  setMany(pairs: [string, string][]): void {
    const seen = new Set<string>();
    const normalized: [OptionDef, string][] = [];
    for (const [name, raw] of pairs) {
      const o = BY_NAME.get(name.toLowerCase());
      if (!o) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
      if (seen.has(o.name)) throw new ConfigError(`CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`);
      seen.add(o.name);
      if (!o.mutable) throw new ConfigError(`CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`);
      normalized.push([o, this.normalize(o, raw, name)]);
    }
    for (const [o, v] of normalized) {
      this.values.set(o.name, v);
      for (const fn of this.listeners.get(o.name) ?? []) fn(v);
    }
  }

  private normalize(o: OptionDef, raw: string, given: string): string {
    const fail = (why: string) => new ConfigError(`CONFIG SET failed (possibly related to argument '${given}') - ${why}`);
    switch (o.kind) {
      case 'int': {
        if (!/^-?\d+$/.test(raw)) throw fail("argument couldn't be parsed into an integer");
        const n = Number(raw);
        if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
          throw fail(`argument must be between ${o.min ?? '-inf'} and ${o.max ?? 'inf'} inclusive`);
        }
        return String(n);
      }
      case 'memory': {
        const n = parseMemory(raw);
        if (n === null) throw fail('argument must be a memory value');
        if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
          throw fail(`argument must be between ${o.min ?? 0} and ${o.max ?? 'inf'} inclusive`);
        }
        return String(n);
      }
      case 'bool': {
        const v = raw.toLowerCase();
        if (v !== 'yes' && v !== 'no') throw fail("argument must be 'yes' or 'no'");
        return v;
      }
      case 'enum': {
        const v = raw.toLowerCase();
        if (!o.values!.includes(v)) throw fail(`argument(s) must be one of the following: ${o.values!.join(', ')}`);
        return v;
      }
      case 'string':
        return raw;
    }
  }

  /** Name/value pairs for CONFIG GET patterns (glob, case-insensitive), each option once. */
  matching(patterns: string[]): [string, string][] {
    const out = new Map<string, string>();
    for (const p of patterns) {
      const pat = p.toLowerCase();
      for (const o of OPTIONS) {
        for (const n of [o.name, ...(o.aliases ?? [])]) {
          if (globMatch(pat, n)) out.set(n, this.values.get(o.name)!);
        }
      }
    }
    return [...out.entries()];
  }
}
