import os from 'node:os';
import { ErrorReply, OK, VerbatimReply } from '../resp/reply.js';
import { command } from './define.js';
import { SYNTAX } from './errors.js';
import type { CommandContext, CommandSpec } from './types.js';
import { ConfigError } from '../server/config.js';
import { ENGINE_REDIS_VERSION, MEMLAB_VERSION } from '../server/version.js';

const meta = (summary: string, since: string, complexity = 'O(1)', syntax?: string) => ({
  group: 'server' as const,
  summary,
  since,
  complexity,
  syntax,
});

type Section = (ctx: CommandContext) => string[];

function memoryLines(): string[] {
  const m = process.memoryUsage();
  return [
    `used_memory:${m.heapUsed + m.external + m.arrayBuffers}`,
    `used_memory_human:${(m.heapUsed / 1024 / 1024).toFixed(2)}M`,
    `used_memory_rss:${m.rss}`,
    `used_memory_peak:${m.heapTotal}`,
    `total_system_memory:${os.totalmem()}`,
    `maxmemory:0`,
    `maxmemory_policy:noeviction`,
    `mem_allocator:v8`,
  ];
}

export const INFO_SECTIONS: Record<string, Section> = {
  server: (ctx) => {
    const s = ctx.server;
    const a = s.address;
    const up = Math.floor((Date.now() - s.startedAt) / 1000);
    return [
      `redis_version:${ENGINE_REDIS_VERSION}`,
      `memlab_version:${MEMLAB_VERSION}`,
      `redis_mode:standalone`,
      `os:${os.type()} ${os.release()} ${os.arch()}`,
      `arch_bits:64`,
      `process_id:${process.pid}`,
      `run_id:${s.runId}`,
      `tcp_port:${a?.port ?? 0}`,
      `uptime_in_seconds:${up}`,
      `uptime_in_days:${Math.floor(up / 86400)}`,
      `hz:${s.config.int('hz')}`,
      `executable:${process.argv[1] ?? ''}`,
    ];
  },
  clients: (ctx) => {
    const s = ctx.server;
    let pubsub = 0;
    for (const c of s.clients.values()) if (c.inPubSub) pubsub++;
    return [
      `connected_clients:${s.clients.size}`,
      `maxclients:${s.config.int('maxclients')}`,
      `blocked_clients:${s.blocking.count}`,
      `pubsub_clients:${pubsub}`,
    ];
  },
  memory: () => memoryLines(),
  persistence: (ctx) => [`loading:0`, `async_loading:0`, `rdb_changes_since_last_save:${ctx.server.dirty}`, `aof_enabled:0`],
  stats: (ctx) => {
    const st = ctx.server.stats;
    return [
      `total_connections_received:${st.totalConnections}`,
      `total_commands_processed:${st.totalCommands}`,
      `total_net_input_bytes:${st.netInputBytes}`,
      `total_net_output_bytes:${st.netOutputBytes}`,
      `rejected_connections:${st.rejectedConnections}`,
      `expired_keys:${st.expiredKeys}`,
      `keyspace_hits:${st.keyspaceHits}`,
      `keyspace_misses:${st.keyspaceMisses}`,
      `pubsub_channels:${ctx.server.pubsub.channels.size}`,
      `pubsub_patterns:${ctx.server.pubsub.patterns.size}`,
    ];
  },
  replication: (ctx) => {
    const p = ctx.server.infoProviders.get('replication');
    return p ? p() : [`role:master`, `connected_slaves:0`];
  },
  cpu: () => {
    const u = process.cpuUsage();
    return [`used_cpu_sys:${(u.system / 1e6).toFixed(6)}`, `used_cpu_user:${(u.user / 1e6).toFixed(6)}`];
  },
  keyspace: (ctx) => {
    const out: string[] = [];
    for (const db of ctx.server.dbs) {
      if (db.size === 0) continue;
      out.push(`db${db.id}:keys=${db.size},expires=${db.expires.size},avg_ttl=0`);
    }
    return out;
  },
};

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'keyspace'];

const info = command('info', -1, ['loading', 'stale'], [0, 0, 0], meta('Returns information and statistics about the server.', '1.0.0', 'O(1)', '[section [section ...]]'), (ctx, argv) => {
  let names = argv.slice(1).map((s) => s.toLowerCase());
  if (names.length === 0 || names.includes('default')) names = DEFAULT_SECTIONS;
  else if (names.includes('all') || names.includes('everything')) names = [...DEFAULT_SECTIONS, ...[...ctx.server.infoProviders.keys()].filter((k) => !DEFAULT_SECTIONS.includes(k))];
  const parts: string[] = [];
  for (const n of names) {
    const sec = INFO_SECTIONS[n];
    const provided = ctx.server.infoProviders.get(n);
    const lines = sec ? sec(ctx) : provided ? provided() : null;
    if (!lines) continue;
    parts.push(`# ${n[0].toUpperCase()}${n.slice(1)}\r\n` + lines.map((l) => l + '\r\n').join(''));
  }
  const text = parts.join('\r\n');
  return ctx.client.proto === 3 ? new VerbatimReply('txt', text) : text;
});

const configGet = command('config|get', -3, ['admin', 'noscript', 'loading', 'stale'], [0, 0, 0], meta('Returns the effective values of configuration parameters.', '2.0.0', 'O(N)', 'parameter [parameter ...]'), (ctx, argv) => {
  const pairs = ctx.server.config.matching(argv.slice(2));
  const out: string[] = [];
  for (const [k, v] of pairs) out.push(k, v);
  return out;
});

const configSet = command('config|set', -4, ['admin', 'noscript', 'loading', 'stale'], [0, 0, 0], meta('Sets configuration parameters in-flight.', '2.0.0', 'O(N)', 'parameter value [parameter value ...]'), (ctx, argv) => {
  if ((argv.length - 2) % 2 !== 0) return new ErrorReply("ERR wrong number of arguments for 'config|set' command");
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([argv[i], argv[i + 1]]);
  try {
    ctx.server.config.setMany(pairs);
  } catch (e) {
    if (e instanceof ConfigError) return new ErrorReply('ERR ' + e.message);
    throw e;
  }
  return OK;
});

const config = command('config', -2, [], [0, 0, 0], { ...meta('A container for server configuration commands.', '2.0.0'), subcommands: [configGet, configSet] }, () => SYNTAX);

const dbsize = command('dbsize', 1, ['readonly', 'fast'], [0, 0, 0], meta('Returns the number of keys in the database.', '1.0.0'), (ctx) => ctx.db.size);

function flushArgs(argv: string[]): ErrorReply | null {
  if (argv.length > 2) return SYNTAX;
  if (argv.length === 2 && !['async', 'sync'].includes(argv[1].toLowerCase())) return SYNTAX;
  return null;
}

const flushdb = command('flushdb', -1, ['write'], [0, 0, 0], meta('Removes all keys from the current database.', '1.0.0', 'O(N)', '[ASYNC | SYNC]'), (ctx, argv) => {
  const e = flushArgs(argv);
  if (e) return e;
  ctx.db.clear();
  ctx.dirty();
  return OK;
});

const flushall = command('flushall', -1, ['write'], [0, 0, 0], meta('Removes all keys from all databases.', '1.0.0', 'O(N)', '[ASYNC | SYNC]'), (ctx, argv) => {
  const e = flushArgs(argv);
  if (e) return e;
  for (const db of ctx.server.dbs) db.clear();
  ctx.dirty();
  return OK;
});

const time = command('time', 1, ['loading', 'stale', 'fast'], [0, 0, 0], meta('Returns the server time.', '2.6.0'), () => {
  const ns = process.hrtime.bigint();
  const ms = Date.now();
  const us = (ns / 1000n) % 1000n;
  return [String(Math.floor(ms / 1000)), String((ms % 1000) * 1000 + Number(us))];
});

export const serverCommands: CommandSpec[] = [info, config, dbsize, flushdb, flushall, time];
