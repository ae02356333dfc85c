import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { ErrorReply, MapReply, OK, RawReply, SimpleString, VerbatimReply } from '../resp/reply.js';
import type { Value } from '../store/value.js';
import type { Database } from '../store/database.js';
import type { KeyTable } from '../store/key-table.js';
import { KeyWatcher } from '../server/client.js';
import { ConfigError } from '../server/config.js';
import type { Server } from '../server/server.js';
import { ENGINE_REDIS_VERSION, MEMLAB_VERSION } from '../server/version.js';
import { parseInt64 } from './args.js';
import { command } from './define.js';
import { DB_OUT_OF_RANGE, SYNTAX } from './errors.js';
import type { CommandContext, CommandSpec } from './types.js';

const meta = (summary: string, since: string, complexity = 'O(1)', syntax?: string) => ({
  group: 'server' as const,
  summary,
  since,
  complexity,
  syntax,
});

/** No bytes at all: SHUTDOWN and a repeated MONITOR answer nothing. */
const NO_REPLY = new RawReply('', '');
const INT32_MAX = 2147483647;

// ---- INFO ----------------------------------------------------------------------------------

/** The process's heap right after the engine's modules loaded: INFO's used_memory_startup. */
const STARTUP_MEMORY = (() => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
})();

/**
 * Per-server figures Redis keeps in serverCron: a 16-sample ring (one per 100 ms) for the
 * instantaneous rates, and the memory peak. Started by the first INFO; stops with the server.
 */
class Sampler {
  peakMemory = 0;
  readonly replid = randomBytes(20).toString('hex');
  private readonly ring: { ops: number; inKbps: number; outKbps: number }[] = [];
  private last: { t: number; ops: number; in: number; out: number };
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly server: Server) {
    this.last = this.snapshot();
    this.timer = setInterval(() => this.tick(), 100);
    this.timer.unref();
  }

  private snapshot() {
    const s = this.server.stats;
    return { t: performance.now(), ops: s.totalCommands, in: s.netInputBytes, out: s.netOutputBytes };
  }

  private tick(): void {
    if (!this.server.address) {
      clearInterval(this.timer);
      samplers.delete(this.server);
      return;
    }
    const now = this.snapshot();
    const dt = (now.t - this.last.t) / 1000;
    if (dt > 0) {
      this.ring.push({ ops: (now.ops - this.last.ops) / dt, inKbps: (now.in - this.last.in) / dt / 1024, outKbps: (now.out - this.last.out) / dt / 1024 });
      if (this.ring.length > 16) this.ring.shift();
    }
    this.last = now;
  }

  rate(field: 'ops' | 'inKbps' | 'outKbps'): number {
    if (this.ring.length === 0) return 0;
    let sum = 0;
    for (const r of this.ring) sum += r[field];
    return sum / this.ring.length;
  }

  reset(): void {
    this.ring.length = 0;
    this.last = this.snapshot();
    this.peakMemory = 0;
  }
}

const samplers = new WeakMap<Server, Sampler>();

function sampler(server: Server): Sampler {
  let s = samplers.get(server);
  if (!s) samplers.set(server, (s = new Sampler(server)));
  return s;
}

/** Redis's bytesToHuman. */
export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  let d = n / 1024;
  for (const u of units) {
    if (d < 1024 || u === 'P') return `${d.toFixed(2)}${u}`;
    d /= 1024;
  }
  return `${n}B`;
}

const secUsec = (micros: number) => `${Math.floor(micros / 1e6)}.${String(Math.floor(micros % 1e6)).padStart(6, '0')}`;

type Section = (ctx: CommandContext) => string[];

function memoryLines(ctx: CommandContext): string[] {
  const server = ctx.server;
  const m = process.memoryUsage();
  const used = m.heapUsed + m.external;
  const smp = sampler(server);
  if (used > smp.peakMemory) smp.peakMemory = used;
  const peak = smp.peakMemory;
  let clientsMem = 0;
  for (const c of server.clients.values()) clientsMem += c.pendingOutput + c.parser.buffered;
  const startup = Math.min(STARTUP_MEMORY, used);
  const overhead = Math.min(used, startup + clientsMem);
  const dataset = used - overhead;
  const maxmemory = server.config.int('maxmemory');
  const pct = (a: number, b: number) => (b > 0 ? ((a * 100) / b).toFixed(2) : '0.00') + '%';
  const total = os.totalmem();
  return [
    `used_memory:${used}`,
    `used_memory_human:${bytesToHuman(used)}`,
    `used_memory_rss:${m.rss}`,
    `used_memory_rss_human:${bytesToHuman(m.rss)}`,
    `used_memory_peak:${peak}`,
    `used_memory_peak_human:${bytesToHuman(peak)}`,
    `used_memory_peak_perc:${pct(used, peak)}`,
    `used_memory_overhead:${overhead}`,
    `used_memory_startup:${startup}`,
    `used_memory_dataset:${dataset}`,
    `used_memory_dataset_perc:${pct(dataset, used - startup)}`,
    `allocator_allocated:${used}`,
    `allocator_active:${m.heapTotal + m.external}`,
    `allocator_resident:${m.rss}`,
    `total_system_memory:${total}`,
    `total_system_memory_human:${bytesToHuman(total)}`,
    `used_memory_lua:0`,
    `used_memory_vm_eval:0`,
    `used_memory_lua_human:0B`,
    `used_memory_scripts_eval:0`,
    `number_of_cached_scripts:0`,
    `number_of_functions:0`,
    `number_of_libraries:0`,
    `used_memory_vm_functions:0`,
    `used_memory_vm_total:0`,
    `used_memory_vm_total_human:0B`,
    `used_memory_functions:0`,
    `used_memory_scripts:0`,
    `used_memory_scripts_human:0B`,
    `maxmemory:${maxmemory}`,
    `maxmemory_human:${bytesToHuman(maxmemory)}`,
    `maxmemory_policy:${server.config.get('maxmemory-policy')}`,
    `allocator_frag_ratio:${(used ? (m.heapTotal + m.external) / used : 0).toFixed(2)}`,
    `allocator_frag_bytes:${m.heapTotal + m.external - used}`,
    `allocator_rss_ratio:${(m.heapTotal + m.external ? m.rss / (m.heapTotal + m.external) : 0).toFixed(2)}`,
    `allocator_rss_bytes:${m.rss - m.heapTotal - m.external}`,
    `rss_overhead_ratio:1.00`,
    `rss_overhead_bytes:0`,
    `mem_fragmentation_ratio:${(used ? m.rss / used : 0).toFixed(2)}`,
    `mem_fragmentation_bytes:${m.rss - used}`,
    `mem_not_counted_for_evict:0`,
    `mem_replication_backlog:0`,
    `mem_total_replication_buffers:0`,
    `mem_clients_slaves:0`,
    `mem_clients_normal:${clientsMem}`,
    `mem_cluster_links:0`,
    `mem_aof_buffer:0`,
    `mem_allocator:v8-${process.versions.v8}`,
    `active_defrag_running:0`,
    `lazyfree_pending_objects:0`,
    `lazyfreed_objects:0`,
  ];
}

/** Average remaining TTL in ms over (up to 10000 of) the keys with an expiry. */
function avgTtl(db: Database, now: number): number {
  if (db.expires.size === 0) return 0;
  let sum = 0;
  let n = 0;
  for (const at of db.expires.values()) {
    if (at > now) {
      sum += at - now;
      n++;
    }
    if (n >= 10000) break;
  }
  return n ? Math.round(sum / n) : 0;
}

const SECTIONS: Record<string, Section> = {
  server: (ctx) => {
    const s = ctx.server;
    const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const up = Math.floor((Date.now() - s.startedAt) / 1000);
    const hz = s.config.int('hz');
    return [
      `redis_version:${ENGINE_REDIS_VERSION}`,
      `redis_git_sha1:00000000`,
      `redis_git_dirty:0`,
      `redis_build_id:0`,
      `redis_mode:standalone`,
      `os:${os.type()} ${os.release()} ${os.machine()}`,
      `arch_bits:64`,
      `monotonic_clock:POSIX clock_gettime`,
      `multiplexing_api:epoll`,
      `atomicvar_api:c11-builtin`,
      `gcc_version:0.0.0`,
      `process_id:${process.pid}`,
      `process_supervised:no`,
      `run_id:${s.runId}`,
      `tcp_port:${s.address?.port ?? s.config.int('port')}`,
      `server_time_usec:${nowUs}`,
      `uptime_in_seconds:${up}`,
      `uptime_in_days:${Math.floor(up / 86400)}`,
      `hz:${hz}`,
      `configured_hz:${hz}`,
      `lru_clock:${Math.floor(Date.now() / 1000) & 0xffffff}`,
      `executable:${process.argv[1] ?? ''}`,
      `config_file:`,
      `io_threads_active:0`,
      `memlab_version:${MEMLAB_VERSION}`,
    ];
  },
  clients: (ctx) => {
    const s = ctx.server;
    let connected = 0;
    let maxIn = 0;
    let maxOut = 0;
    let withTimeout = 0;
    let blocked = 0;
    for (const c of s.clients.values()) {
      if (c.role === 'replica' || c.monitoring || (!c.socket && c.role !== 'primary')) continue;
      connected++;
      if (c.parser.buffered > maxIn) maxIn = c.parser.buffered;
      if (c.pendingOutput > maxOut) maxOut = c.pendingOutput;
      if (c.blocked || c.postponed) blocked++;
      if (c.blocked && c.blocked.block.deadline > 0) withTimeout++;
    }
    return [
      `connected_clients:${connected}`,
      `cluster_connections:0`,
      `maxclients:${s.config.int('maxclients')}`,
      `client_recent_max_input_buffer:${maxIn}`,
      `client_recent_max_output_buffer:${maxOut}`,
      `blocked_clients:${blocked}`,
      `tracking_clients:0`,
      `clients_in_timeout_table:${withTimeout}`,
    ];
  },
  memory: memoryLines,
  persistence: (ctx) => [
    `loading:0`,
    `async_loading:0`,
    `current_cow_peak:0`,
    `current_cow_size:0`,
    `current_cow_size_age:0`,
    `current_fork_perc:0.00`,
    `current_save_keys_processed:0`,
    `current_save_keys_total:0`,
    `rdb_changes_since_last_save:${ctx.server.dirty}`,
    `rdb_bgsave_in_progress:0`,
    `rdb_last_save_time:${ctx.server.lastSave}`,
    `rdb_last_bgsave_status:ok`,
    `rdb_last_bgsave_time_sec:-1`,
    `rdb_current_bgsave_time_sec:-1`,
    `rdb_saves:0`,
    `rdb_last_cow_size:0`,
    `rdb_last_load_keys_expired:0`,
    `rdb_last_load_keys_loaded:0`,
    `aof_enabled:0`,
    `aof_rewrite_in_progress:0`,
    `aof_rewrite_scheduled:0`,
    `aof_last_rewrite_time_sec:-1`,
    `aof_current_rewrite_time_sec:-1`,
    `aof_last_bgrewrite_status:ok`,
    `aof_rewrites:0`,
    `aof_rewrites_consecutive_failures:0`,
    `aof_last_write_status:ok`,
    `aof_last_cow_size:0`,
    `module_fork_in_progress:0`,
    `module_fork_last_cow_size:0`,
  ],
  stats: (ctx) => {
    const st = ctx.server.stats;
    const smp = sampler(ctx.server);
    const ps = ctx.server.pubsub;
    return [
      `total_connections_received:${st.totalConnections}`,
      `total_commands_processed:${st.totalCommands}`,
      `instantaneous_ops_per_sec:${Math.round(smp.rate('ops'))}`,
      `total_net_input_bytes:${st.netInputBytes}`,
      `total_net_output_bytes:${st.netOutputBytes}`,
      `total_net_repl_input_bytes:0`,
      `total_net_repl_output_bytes:0`,
      `instantaneous_input_kbps:${smp.rate('inKbps').toFixed(2)}`,
      `instantaneous_output_kbps:${smp.rate('outKbps').toFixed(2)}`,
      `instantaneous_input_repl_kbps:0.00`,
      `instantaneous_output_repl_kbps:0.00`,
      `rejected_connections:${st.rejectedConnections}`,
      `sync_full:${st.syncFull}`,
      `sync_partial_ok:${st.syncPartialOk}`,
      `sync_partial_err:${st.syncPartialErr}`,
      `expired_keys:${st.expiredKeys}`,
      `expired_stale_perc:0.00`,
      `expired_time_cap_reached_count:0`,
      `expire_cycle_cpu_milliseconds:0`,
      `evicted_keys:0`,
      `evicted_clients:0`,
      `total_eviction_exceeded_time:0`,
      `current_eviction_exceeded_time:0`,
      `keyspace_hits:${st.keyspaceHits}`,
      `keyspace_misses:${st.keyspaceMisses}`,
      `pubsub_channels:${ps.channels.size}`,
      `pubsub_patterns:${ps.patterns.size}`,
      `pubsubshard_channels:${ps.shardChannels.size}`,
      `latest_fork_usec:0`,
      `total_forks:0`,
      `migrate_cached_sockets:0`,
      `slave_expires_tracked_keys:0`,
      `active_defrag_hits:0`,
      `active_defrag_misses:0`,
      `active_defrag_key_hits:0`,
      `active_defrag_key_misses:0`,
      `total_active_defrag_time:0`,
      `current_active_defrag_time:0`,
      `tracking_total_keys:0`,
      `tracking_total_items:0`,
      `tracking_total_prefixes:0`,
      `unexpected_error_replies:0`,
      `total_error_replies:0`,
      `dump_payload_sanitizations:0`,
      `total_reads_processed:0`,
      `total_writes_processed:0`,
      `io_threaded_reads_processed:0`,
      `io_threaded_writes_processed:0`,
      `reply_buffer_shrinks:0`,
      `reply_buffer_expands:0`,
    ];
  },
  replication: (ctx) => {
    // Replication contributes the real section when it runs; this is a standalone primary's.
    let slaves = 0;
    for (const c of ctx.server.clients.values()) if (c.role === 'replica') slaves++;
    return [
      `role:${ctx.server.role === 'primary' ? 'master' : 'slave'}`,
      `connected_slaves:${slaves}`,
      `master_failover_state:no-failover`,
      `master_replid:${sampler(ctx.server).replid}`,
      `master_replid2:0000000000000000000000000000000000000000`,
      `master_repl_offset:0`,
      `second_repl_offset:-1`,
      `repl_backlog_active:0`,
      `repl_backlog_size:${ctx.server.config.int('repl-backlog-size')}`,
      `repl_backlog_first_byte_offset:0`,
      `repl_backlog_histlen:0`,
    ];
  },
  cpu: () => {
    const u = process.cpuUsage();
    return [
      `used_cpu_sys:${secUsec(u.system)}`,
      `used_cpu_user:${secUsec(u.user)}`,
      `used_cpu_sys_children:0.000000`,
      `used_cpu_user_children:0.000000`,
      `used_cpu_sys_main_thread:${secUsec(u.system)}`,
      `used_cpu_user_main_thread:${secUsec(u.user)}`,
    ];
  },
  modules: () => [],
  commandstats: () => [],
  errorstats: () => [],
  latencystats: () => [],
  cluster: () => [`cluster_enabled:0`],
  keyspace: (ctx) => {
    const out: string[] = [];
    const now = Date.now();
    for (const db of ctx.server.dbs) {
      if (db.size === 0) continue;
      out.push(`db${db.id}:keys=${db.size},expires=${db.expires.size},avg_ttl=${avgTtl(db, now)}`);
    }
    return out;
  },
};

const HEADERS: Record<string, string> = { cpu: 'CPU' };
const ALL_SECTIONS = Object.keys(SECTIONS);
const DEFAULT_SECTIONS = new Set(['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace']);

/**
 * INFO text for the requested section names (Redis 7's genRedisInfoString): sections come in
 * Redis's fixed order whatever the argument order; unknown names are ignored. Sections added
 * by replication or the log (server.infoProviders) replace a built-in one of the same name
 * and otherwise follow the built-in ones.
 */
export function infoText(ctx: CommandContext, args: string[]): string {
  const want = new Set<string>();
  const providers = ctx.server.infoProviders;
  if (args.length === 0) for (const s of DEFAULT_SECTIONS) want.add(s);
  for (const a of args) {
    const n = a.toLowerCase();
    if (n === 'default') for (const s of DEFAULT_SECTIONS) want.add(s);
    else if (n === 'all' || n === 'everything') {
      for (const s of ALL_SECTIONS) want.add(s);
      for (const s of providers.keys()) want.add(s);
    } else want.add(n);
  }
  const order = [...ALL_SECTIONS, ...[...providers.keys()].filter((k) => !(k in SECTIONS))];
  const parts: string[] = [];
  for (const name of order) {
    if (!want.has(name)) continue;
    const provided = providers.get(name);
    const lines = provided ? provided() : SECTIONS[name](ctx);
    const header = HEADERS[name] ?? name[0].toUpperCase() + name.slice(1);
    let text = `# ${header}\r\n`;
    for (const l of lines) text += l + '\r\n';
    parts.push(text);
  }
  return parts.join('\r\n');
}

const info = command('info', -1, ['loading', 'stale'], [0, 0, 0], meta('Get information and statistics about the server', '1.0.0', 'O(1)', '[section [section ...]]'), (ctx, argv) => {
  const text = infoText(ctx, argv.slice(1));
  return ctx.client.proto === 3 ? new VerbatimReply('txt', text) : text;
});

// ---- CONFIG --------------------------------------------------------------------------------

const CONFIG_FLAGS = ['admin', 'noscript', 'loading', 'stale'] as const;

const configGet = command(
  'config|get',
  -3,
  [...CONFIG_FLAGS],
  [0, 0, 0],
  meta('Get the values of configuration parameters', '2.0.0', 'O(N) when N is the number of configuration parameters provided', 'parameter [parameter ...]'),
  (ctx, argv) => new MapReply(ctx.server.config.matching(argv.slice(2))),
);

const configSet = command(
  'config|set',
  -4,
  [...CONFIG_FLAGS],
  [0, 0, 0],
  meta('Set configuration parameters to the given values', '2.0.0', 'O(N) when N is the number of configuration parameters provided', 'parameter value [parameter value ...]'),
  (ctx, argv) => {
    if (argv.length % 2 !== 0) return SYNTAX;
    const pairs: [string, string][] = [];
    for (let i = 2; i < argv.length; i += 2) pairs.push([argv[i], argv[i + 1]]);
    const server = ctx.server;
    try {
      server.config.setMany(pairs);
    } catch (e) {
      if (e instanceof ConfigError) return new ErrorReply('ERR ' + e.message);
      throw e;
    }
    for (const [name] of pairs) {
      const n = name.toLowerCase();
      if (n === 'loglevel') server.log.level = server.config.get('loglevel') as typeof server.log.level;
      // Without a password the default user is nopass: nobody needs to authenticate.
      if (n === 'requirepass' && server.config.get('requirepass') === '') {
        for (const c of server.clients.values()) {
          c.authenticated = true;
          c.parser.authenticated = true;
        }
      }
    }
    return OK;
  },
);

const configResetstat = command('config|resetstat', 2, [...CONFIG_FLAGS], [0, 0, 0], meta('Reset the stats returned by INFO', '2.0.0'), (ctx) => {
  const st = ctx.server.stats;
  st.totalCommands = 0;
  st.totalConnections = 0;
  st.rejectedConnections = 0;
  st.expiredKeys = 0;
  st.keyspaceHits = 0;
  st.keyspaceMisses = 0;
  st.netInputBytes = 0;
  st.netOutputBytes = 0;
  samplers.get(ctx.server)?.reset();
  return OK;
});

const configRewrite = command('config|rewrite', 2, [...CONFIG_FLAGS], [0, 0, 0], meta('Rewrite the configuration file with the in memory configuration', '2.8.0'), () =>
  new ErrorReply('ERR The server is running without a config file'),
);

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
].map((l) => new SimpleString(l));

const configHelp = command('config|help', 2, ['loading', 'stale'], [0, 0, 0], meta('Show helpful text about the different subcommands', '5.0.0'), () => CONFIG_HELP);

const config = command(
  'config',
  -2,
  [],
  [0, 0, 0],
  { ...meta('A container for server configuration commands', '2.0.0', 'Depends on subcommand.'), subcommands: [configHelp, configResetstat, configRewrite, configGet, configSet] },
  () => SYNTAX,
);

// ---- keyspace-wide commands ----------------------------------------------------------------

const dbsize = command('dbsize', 1, ['readonly', 'fast'], [0, 0, 0], meta('Return the number of keys in the selected database', '1.0.0'), (ctx) => ctx.db.size);

function flushArgs(argv: string[]): ErrorReply | null {
  if (argv.length > 2) return SYNTAX;
  if (argv.length === 2) {
    const a = argv[1].toLowerCase();
    if (a !== 'async' && a !== 'sync') return SYNTAX;
  }
  return null;
}

function markDirty(w: { dirtyCas: boolean }): void {
  if (w instanceof KeyWatcher) w.markDirty();
  else w.dirtyCas = true;
}

/**
 * Empty a database. Like Redis's touchAllWatchedKeysInDb, only watchers of keys that existed
 * are flagged (Database.clear flags every watcher); a key that had already expired at WATCH
 * time is a deletion of nothing.
 */
function flushDatabase(db: Database): number {
  if (db.watched.size === 0) return db.clear();
  const spared: { dirtyCas: boolean }[] = [];
  const flagged: { dirtyCas: boolean }[] = [];
  for (const [key, set] of db.watched) {
    const exists = db.data.has(key);
    for (const w of set) {
      if (w.dirtyCas) continue;
      if (exists && !(w instanceof KeyWatcher && w.expiredAtWatch)) flagged.push(w);
      else {
        if (w instanceof KeyWatcher) w.expiredAtWatch = false;
        spared.push(w);
      }
    }
  }
  const n = db.clear();
  for (const w of spared) w.dirtyCas = false;
  for (const w of flagged) markDirty(w);
  return n;
}

const flushdb = command(
  'flushdb',
  -1,
  ['write'],
  [0, 0, 0],
  meta('Remove all keys from the current database', '1.0.0', 'O(N) where N is the number of keys in the selected database', '[ASYNC | SYNC]'),
  (ctx, argv) => {
    const e = flushArgs(argv);
    if (e) return e;
    ctx.dirty(flushDatabase(ctx.db));
    // Propagated even when the database was already empty (forceCommandPropagation).
    ctx.propagate(argv);
    return OK;
  },
);

const flushall = command(
  'flushall',
  -1,
  ['write'],
  [0, 0, 0],
  meta('Remove all keys from all databases', '1.0.0', 'O(N) where N is the total number of keys in all databases', '[ASYNC | SYNC]'),
  (ctx, argv) => {
    const e = flushArgs(argv);
    if (e) return e;
    let n = 0;
    for (const db of ctx.server.dbs) n += flushDatabase(db);
    ctx.dirty(n);
    ctx.propagate(argv);
    return OK;
  },
);

type MutableDb = { data: KeyTable<Value>; expires: Map<string, number> };

/**
 * Redis's touchAllWatchedKeysInDb(emptied, replacedWith) for SWAPDB: a watched key is
 * touched if it exists on either side, except that an expired key staying expired, or
 * vanishing, is no logical change.
 */
function touchForSwap(emptied: Database, replacedWith: Database, now: number): void {
  const expiredIn = (db: Database, key: string) => {
    const at = db.expires.get(key);
    return at !== undefined && at <= now;
  };
  for (const [key, set] of emptied.watched) {
    const inEmptied = emptied.data.has(key);
    const inReplacement = replacedWith.data.has(key);
    if (!inEmptied && !inReplacement) continue;
    for (const w of set) {
      const kw = w instanceof KeyWatcher ? w : null;
      if (kw?.expiredAtWatch) {
        if (!inReplacement) {
          kw.expiredAtWatch = false;
          continue;
        }
        if (expiredIn(replacedWith, key)) continue;
      } else if (!inEmptied && expiredIn(replacedWith, key)) {
        if (kw) kw.expiredAtWatch = true;
        continue;
      }
      markDirty(w);
    }
  }
}

const swapdb = command(
  'swapdb',
  3,
  ['write', 'fast'],
  [0, 0, 0],
  meta('Swaps two Redis databases', '4.0.0', 'O(N) where N is the count of clients watching or blocking on keys from both databases.', 'index1 index2'),
  (ctx, argv) => {
    const parse = (s: string) => {
      const n = parseInt64(s);
      return n === null || typeof n === 'bigint' || n > INT32_MAX || n < -INT32_MAX - 1 ? null : n;
    };
    const a = parse(argv[1]);
    if (a === null) return new ErrorReply('ERR invalid first DB index');
    const b = parse(argv[2]);
    if (b === null) return new ErrorReply('ERR invalid second DB index');
    const dbs = ctx.server.dbs;
    if (a < 0 || a >= dbs.length || b < 0 || b >= dbs.length) return DB_OUT_OF_RANGE;
    ctx.dirty();
    if (a === b) return OK;
    const d1 = dbs[a];
    const d2 = dbs[b];
    touchForSwap(d1, d2, ctx.now);
    touchForSwap(d2, d1, ctx.now);
    // Swap the contents; watchers, blocked clients and selected indexes stay with the index.
    const m1 = d1 as unknown as MutableDb;
    const m2 = d2 as unknown as MutableDb;
    [m1.data, m2.data] = [m2.data, m1.data];
    [m1.expires, m2.expires] = [m2.expires, m1.expires];
    const blocking = ctx.server.blocking;
    if (blocking.count) {
      for (const db of [d1, d2]) for (const key of db.data.keys()) blocking.signal(db.id, key);
    }
    return OK;
  },
);

const time = command('time', 1, ['loading', 'stale', 'fast'], [0, 0, 0], meta('Return the current server time', '2.6.0'), () => {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return [String(Math.floor(us / 1e6)), String(us % 1e6)];
});

const monitor = command('monitor', 1, ['admin', 'noscript', 'loading', 'stale'], [0, 0, 0], meta('Listen for all requests received by the server in real time', '1.0.0'), (ctx) => {
  const c = ctx.client;
  if (ctx.noBlock && c.role === 'normal') return new ErrorReply("ERR MONITOR isn't allowed for DENY BLOCKING client");
  if (c.monitoring || c.role !== 'normal') return NO_REPLY;
  c.monitoring = true;
  ctx.server.monitors.add(c);
  return OK;
});

const shutdown = command(
  'shutdown',
  -1,
  ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
  [0, 0, 0],
  meta(
    'Synchronously save the dataset to disk and then shut down the server',
    '1.0.0',
    'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
    '[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]',
  ),
  (ctx, argv) => {
    let nosave = false;
    let save = false;
    let now = false;
    let force = false;
    let abort = false;
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i].toLowerCase();
      if (a === 'nosave') nosave = true;
      else if (a === 'save') save = true;
      else if (a === 'now') now = true;
      else if (a === 'force') force = true;
      else if (a === 'abort') abort = true;
      else return SYNTAX;
    }
    if ((abort && (nosave || save || now || force)) || (nosave && save)) return SYNTAX;
    // memlab shuts down at once, so there is never a shutdown in progress to abort.
    if (abort) return new ErrorReply('ERR No shutdown in progress.');
    const server = ctx.server;
    const opts = { save: save || (!nosave && server.config.get('save') !== ''), now, force };
    server.log.warn(`User requested shutdown... (${opts.save ? 'saving' : 'not saving'})`);
    // Nothing after SHUTDOWN runs, and the client gets no reply: the connection just closes.
    ctx.client.closeAfterReply = true;
    setImmediate(() => {
      void server.close().then(() => server.onShutdown?.(opts));
    });
    return NO_REPLY;
  },
);

// LASTSAVE lives with SAVE/BGSAVE in persistence.ts.
export const serverCommands: CommandSpec[] = [info, config, dbsize, flushdb, flushall, swapdb, time, monitor, shutdown];

