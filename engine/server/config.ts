import { resolve } from 'node:path';
import { globMatch } from '../store/glob.js';

/**
 * The engine's configuration options: what `CONFIG GET/SET` see and what
 * `memlab server --config-name value` sets. Names, ranges, value syntax and error texts
 * follow Redis 7.0's config.c. Options memlab does not act on are kept so that tools that
 * read or set them (redis-benchmark reads `save` and `appendonly`) see Redis's answers.
 */
type Kind = 'int' | 'memory' | 'bool' | 'string' | 'enum' | 'save' | 'keyspace-events';

interface OptionDef {
  name: string;
  kind: Kind;
  default: string;
  /** Settable with CONFIG SET at run time ('protected': only at startup, as Redis's default). */
  mutable: boolean | 'protected';
  values?: readonly string[];
  min?: bigint;
  max?: bigint;
  /** Accepted range is [min, max] but the stored value is clamped to this (hz). */
  clamp?: [number, number];
  aliases?: readonly string[];
}

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const LLONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;

const int = (name: string, def: number, min: bigint, max: bigint, mutable: OptionDef['mutable'] = true, extra: Partial<OptionDef> = {}): OptionDef => ({
  name,
  kind: 'int',
  default: String(def),
  mutable,
  min,
  max,
  ...extra,
});
const mem = (name: string, def: number, min: bigint, max: bigint, extra: Partial<OptionDef> = {}): OptionDef => ({
  name,
  kind: 'memory',
  default: String(def),
  mutable: true,
  min,
  max,
  ...extra,
});
const bool = (name: string, def: boolean, mutable: OptionDef['mutable'] = true, extra: Partial<OptionDef> = {}): OptionDef => ({
  name,
  kind: 'bool',
  default: def ? 'yes' : 'no',
  mutable,
  ...extra,
});
const str = (name: string, def: string, mutable: OptionDef['mutable'] = true): OptionDef => ({ name, kind: 'string', default: def, mutable });

const OPTIONS: readonly OptionDef[] = [
  // memlab binds once: port and bind are fixed for the life of the process.
  int('port', 6379, 0n, 65535n, false),
  str('bind', '127.0.0.1', false),
  str('requirepass', ''),
  int('databases', 16, 1n, 16n, false),
  int('maxclients', 10000, 1n, UINT_MAX),
  int('timeout', 0, 0n, INT_MAX),
  int('hz', 10, 0n, INT_MAX, true, { clamp: [1, 500] }),
  bool('dynamic-hz', true),
  int('tcp-keepalive', 300, 0n, INT_MAX),
  int('tcp-backlog', 511, 0n, INT_MAX, false),
  bool('protected-mode', true),
  bool('daemonize', false, false),
  str('pidfile', '', false),
  str('logfile', '', false),
  str('unixsocket', '', false),
  int('io-threads', 1, 1n, 128n, false),
  bool('cluster-enabled', false, false),
  mem('proto-max-bulk-len', 512 * MB, BigInt(MB), LLONG_MAX),
  mem('client-query-buffer-limit', GB, BigInt(MB), LLONG_MAX),
  mem('maxmemory', 0, 0n, ULLONG_MAX),
  {
    name: 'maxmemory-policy',
    kind: 'enum',
    default: 'noeviction',
    mutable: true,
    values: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
  },
  int('maxmemory-samples', 5, 1n, 64n),
  { name: 'save', kind: 'save', default: '', mutable: true },
  bool('appendonly', false, false),
  { name: 'appendfsync', kind: 'enum', default: 'everysec', mutable: true, values: ['always', 'everysec', 'no'] },
  bool('stop-writes-on-bgsave-error', true),
  bool('rdbcompression', true),
  bool('rdbchecksum', true),
  str('dir', '.', 'protected'),
  str('dbfilename', 'dump.rdb', 'protected'),
  bool('replica-read-only', true, true, { aliases: ['slave-read-only'] }),
  bool('replica-serve-stale-data', true, true, { aliases: ['slave-serve-stale-data'] }),
  int('replica-priority', 100, 0n, INT_MAX, true, { aliases: ['slave-priority'] }),
  str('masterauth', ''),
  str('masteruser', ''),
  bool('repl-diskless-sync', true),
  mem('repl-backlog-size', MB, 1n, LLONG_MAX),
  int('repl-backlog-ttl', 3600, 0n, INT_MAX),
  int('repl-timeout', 60, 1n, INT_MAX),
  int('repl-ping-replica-period', 10, 1n, INT_MAX, true, { aliases: ['repl-ping-slave-period'] }),
  int('min-replicas-to-write', 0, 0n, INT_MAX, true, { aliases: ['min-slaves-to-write'] }),
  int('min-replicas-max-lag', 10, 0n, INT_MAX, true, { aliases: ['min-slaves-max-lag'] }),
  { name: 'loglevel', kind: 'enum', default: 'notice', mutable: true, values: ['debug', 'verbose', 'notice', 'warning'] },
  int('slowlog-log-slower-than', 10000, -1n, LLONG_MAX),
  int('slowlog-max-len', 128, 0n, LLONG_MAX),
  int('latency-monitor-threshold', 0, 0n, LLONG_MAX),
  int('busy-reply-threshold', 5000, 0n, LLONG_MAX, true, { aliases: ['lua-time-limit'] }),
  bool('activerehashing', true),
  bool('lazyfree-lazy-eviction', false),
  bool('lazyfree-lazy-expire', false),
  bool('lazyfree-lazy-server-del', false),
  bool('lazyfree-lazy-user-del', false),
  bool('lazyfree-lazy-user-flush', false),
  { name: 'notify-keyspace-events', kind: 'keyspace-events', default: '', mutable: true },
];

const BY_NAME = new Map<string, OptionDef>();
for (const o of OPTIONS) {
  BY_NAME.set(o.name, o);
  for (const a of o.aliases ?? []) BY_NAME.set(a, o);
}

const MEMORY_UNITS: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: MB, g: 1e9, gb: GB };

/** Parses redis.conf memory units (1k=1000, 1kb=1024, 1m, 1mb, 1g, 1gb); null if invalid or negative. */
export function parseMemory(text: string): number | null {
  const v = parseMemoryBig(text);
  return v === null ? null : Number(v);
}

function parseMemoryBig(text: string): bigint | null {
  const m = /^(\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(text);
  if (!m) return null;
  const v = BigInt(m[1]) * BigInt(MEMORY_UNITS[(m[2] ?? '').toLowerCase()]);
  return v > ULLONG_MAX ? null : v;
}

// string2ll's rules: no sign other than a leading '-', no leading zeros, no spaces.
const INT_RE = /^(0|-?[1-9][0-9]*)$/;

// notify-keyspace-events classes, in the order Redis prints them.
const KS_CLASSES = 'g$lshzxetd';
const KS_ALL = 'g$lshzxetd';

function parseKeyspaceEvents(raw: string): string | null {
  const set = new Set<string>();
  for (const ch of raw) {
    if (ch === 'A') for (const c of KS_ALL) set.add(c);
    else if ('g$lshzxeKEtmdn'.includes(ch)) set.add(ch);
    else return null;
  }
  let out = '';
  if ([...KS_ALL].every((c) => set.has(c))) out = 'A';
  else {
    for (const c of KS_CLASSES) if (set.has(c)) out += c;
    if (set.has('n')) out += 'n';
  }
  if (set.has('K')) out += 'K';
  if (set.has('E')) out += 'E';
  if (set.has('m')) out += 'm';
  return out;
}

function parseSave(raw: string): string | null {
  if (raw === '') return '';
  const parts = raw.split(' ');
  if (parts.length % 2 !== 0) return null;
  for (const p of parts) if (!/^\d+$/.test(p)) return null;
  return parts.map((p) => String(BigInt(p))).join(' ');
}

export class ConfigError extends Error {}

const setFailed = (given: string, why: string) => new ConfigError(`CONFIG SET failed (possibly related to argument '${given}') - ${why}`);

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

  /** Every option's canonical name. */
  static names(): string[] {
    return OPTIONS.map((o) => o.name);
  }

  get(name: string): string {
    const o = BY_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
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
    const o = BY_NAME.get(name);
    if (!o) throw new Error(`invariant: unknown config option ${name}`);
    const list = this.listeners.get(o.name) ?? [];
    list.push(fn);
    this.listeners.set(o.name, list);
  }

  /** Validates and normalizes one option; throws ConfigError with Redis's wording. */
  set(name: string, raw: string, atStartup = false): void {
    this.apply([this.validate(name, raw, atStartup)]);
  }

  /**
   * CONFIG SET with several options: all are validated before any changes, as in Redis 7.
   * Duplicates are detected by the name as given (Redis lets an alias and its option pass).
   */
  setMany(pairs: [string, string][]): void {
    const seen = new Set<string>();
    const out: [OptionDef, string][] = [];
    for (const [name, raw] of pairs) {
      const lower = name.toLowerCase();
      if (!BY_NAME.has(lower)) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
      if (seen.has(lower)) throw setFailed(name, 'duplicate parameter');
      seen.add(lower);
    }
    for (const [name, raw] of pairs) out.push(this.validate(name, raw, false));
    this.apply(out);
  }

  private validate(name: string, raw: string, atStartup: boolean): [OptionDef, string] {
    const o = BY_NAME.get(name.toLowerCase());
    if (!o) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (!atStartup && o.mutable === false) throw setFailed(name, "can't set immutable config");
    if (!atStartup && o.mutable === 'protected') throw setFailed(name, "can't set protected config");
    return [o, this.normalize(o, raw, name)];
  }

  private apply(changes: [OptionDef, string][]): void {
    for (const [o, v] of changes) this.values.set(o.name, v);
    for (const [o, v] of changes) for (const fn of this.listeners.get(o.name) ?? []) fn(v);
  }

  private normalize(o: OptionDef, raw: string, given: string): string {
    const range = (n: bigint) => {
      if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
        throw setFailed(given, `argument must be between ${o.min} and ${o.max} inclusive`);
      }
    };
    switch (o.kind) {
      case 'int': {
        if (!INT_RE.test(raw) || raw.length > 20) throw setFailed(given, "argument couldn't be parsed into an integer");
        const n = BigInt(raw);
        if (n > LLONG_MAX || n < -LLONG_MAX - 1n) throw setFailed(given, "argument couldn't be parsed into an integer");
        range(n);
        if (o.clamp) return String(Math.min(o.clamp[1], Math.max(o.clamp[0], Number(n))));
        return n.toString();
      }
      case 'memory': {
        const n = parseMemoryBig(raw);
        if (n === null) throw setFailed(given, 'argument must be a memory value');
        range(n);
        return n.toString();
      }
      case 'bool': {
        const v = raw.toLowerCase();
        if (v !== 'yes' && v !== 'no') throw setFailed(given, "argument must be 'yes' or 'no'");
        return v;
      }
      case 'enum': {
        const v = raw.toLowerCase();
        if (!o.values!.includes(v)) throw setFailed(given, `argument(s) must be one of the following: ${o.values!.join(', ')}`);
        return v;
      }
      case 'save': {
        const v = parseSave(raw);
        if (v === null) throw setFailed(given, 'Invalid save parameters');
        return v;
      }
      case 'keyspace-events': {
        const v = parseKeyspaceEvents(raw);
        if (v === null) throw setFailed(given, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
        return v;
      }
      case 'string':
        return raw;
    }
  }

  /**
   * Name/value pairs for CONFIG GET: a plain name is answered under the spelling asked for;
   * a glob (`*`, `?`, `[`) matches option names case-insensitively, an alias only when its
   * option did not match itself. Each option appears once.
   */
  matching(patterns: string[]): [string, string][] {
    const out: [string, string][] = [];
    const seen = new Set<string>();
    const taken = new Set<OptionDef>();
    const add = (name: string, o: OptionDef) => {
      const key = name.toLowerCase();
      if (seen.has(key)) return;
      seen.add(key);
      taken.add(o);
      const v = this.values.get(o.name)!;
      // Redis reports the working directory it switched to: an absolute path.
      out.push([name, o.name === 'dir' ? resolve(v) : v]);
    };
    for (const p of patterns) {
      if (!/[*?[]/.test(p)) {
        const o = BY_NAME.get(p.toLowerCase());
        if (o) add(p, o);
        continue;
      }
      const pat = p.toLowerCase();
      for (const o of OPTIONS) if (!taken.has(o) && globMatch(pat, o.name)) add(o.name, o);
      for (const o of OPTIONS) {
        for (const a of o.aliases ?? []) if (!taken.has(o) && globMatch(pat, a)) add(a, o);
      }
    }
    return out;
  }
}
