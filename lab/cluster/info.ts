/** INFO text -> fields, and what the supervisor needs from INFO replication. */

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    const i = l.indexOf(':');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

export interface ReplicaLine {
  ip: string;
  port: number;
  state: string;
  offset: number;
  lag: number;
}

export interface ReplicationInfo {
  role: 'master' | 'slave';
  /** master_repl_offset (a replica reports its own processed offset there too). */
  offset: number;
  masterHost?: string;
  masterPort?: number;
  linkUp?: boolean;
  linkDownMs?: number;
  priority?: number;
  replicas: ReplicaLine[];
  /** Log fields (durable mode), whatever the node reports: log_* keys of INFO. */
  log: Record<string, string>;
}

export function replicationInfo(text: string): ReplicationInfo {
  const f = parseInfo(text);
  const role = f.role === 'slave' ? 'slave' : 'master';
  const num = (k: string): number | undefined => (f[k] !== undefined && f[k] !== '' && Number.isFinite(Number(f[k])) ? Number(f[k]) : undefined);
  const offset = role === 'slave' ? (num('slave_repl_offset') ?? num('master_repl_offset') ?? 0) : (num('master_repl_offset') ?? 0);
  const replicas: ReplicaLine[] = [];
  for (const [k, v] of Object.entries(f)) {
    if (!/^slave\d+$/.test(k)) continue;
    const kv: Record<string, string> = {};
    for (const part of v.split(',')) {
      const j = part.indexOf('=');
      if (j > 0) kv[part.slice(0, j)] = part.slice(j + 1);
    }
    replicas.push({ ip: kv.ip ?? '', port: Number(kv.port ?? 0), state: kv.state ?? '', offset: Number(kv.offset ?? 0), lag: Number(kv.lag ?? 0) });
  }
  const log: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (k.startsWith('log_')) log[k] = v;
  const out: ReplicationInfo = { role, offset, replicas, log };
  if (role === 'slave') {
    if (f.master_host !== undefined) out.masterHost = f.master_host;
    const mp = num('master_port');
    if (mp !== undefined) out.masterPort = mp;
    out.linkUp = f.master_link_status === 'up';
    const down = num('master_link_down_since_seconds');
    if (down !== undefined && down >= 0 && !out.linkUp) out.linkDownMs = down * 1000;
    const pr = num('slave_priority') ?? num('replica_priority');
    if (pr !== undefined) out.priority = pr;
  }
  return out;
}
