import { ErrorReply, MapReply, type Reply, SetReply, SimpleString } from '../resp/reply.js';
import { globMatch } from '../store/glob.js';
import { command } from './define.js';
import { SYNTAX } from './errors.js';
import { CommandTable } from './table.js';
import type { CommandContext, CommandSpec } from './types.js';

/*
 * COMMAND, COMMAND INFO/DOCS/LIST/COUNT/GETKEYS: everything comes from the command table.
 * ACL categories, tips and key-spec flags are not declared there; they are derived from
 * group and flags as Redis 7.0 does (setImplicitACLCategories), with Redis 7.0.15's own
 * values below where its JSON files say more than the derivation gives.
 */

const parseTable = (text: string): Map<string, string[]> =>
  new Map(
    text
      .trim()
      .split(/\s+/)
      .map((e) => {
        const i = e.indexOf('=');
        return [e.slice(0, i), e.slice(i + 1).split(',')];
      }),
  );

/** ACL categories where Redis's JSON adds to the derivation (e.g. @dangerous). */
const ACL_OVERRIDES = parseTable(`
  migrate=keyspace,write,slow,dangerous dbsize=keyspace,read,fast command=slow,connection
  command|help=slow,connection command|docs=slow,connection command|list=slow,connection
  command|getkeys=slow,connection command|count=slow,connection command|getkeysandflags=slow,connection
  command|info=slow,connection sort=write,set,sortedset,list,slow,dangerous lastsave=admin,fast,dangerous
  keys=keyspace,read,slow,dangerous wait=slow,connection flushdb=keyspace,write,slow,dangerous
  info=slow,dangerous client=slow sort_ro=read,set,sortedset,list,slow,dangerous
  restore-asking=keyspace,write,slow,dangerous swapdb=keyspace,write,fast,dangerous
  restore=keyspace,write,slow,dangerous object=slow flushall=keyspace,write,slow,dangerous
  role=admin,fast,dangerous
`);

/** Command tips (Redis 7.0.15). */
const TIPS = parseTable(`
  pttl=nondeterministic_output randomkey=request_policy:all_shards,nondeterministic_output
  memory|purge=request_policy:all_shards,response_policy:all_succeeded
  memory|malloc-stats=nondeterministic_output,request_policy:all_shards,response_policy:special
  memory|doctor=nondeterministic_output,request_policy:all_shards,response_policy:special
  memory|stats=nondeterministic_output,request_policy:all_shards,response_policy:special
  exists=request_policy:multi_shard,response_policy:agg_sum
  del=request_policy:multi_shard,response_policy:agg_sum migrate=nondeterministic_output
  dbsize=request_policy:all_shards,response_policy:agg_sum command=nondeterministic_output_order
  command|docs=nondeterministic_output_order command|list=nondeterministic_output_order
  command|info=nondeterministic_output_order scan=nondeterministic_output,request_policy:special
  sdiff=nondeterministic_output_order config|set=request_policy:all_nodes,response_policy:all_succeeded
  zrandmember=nondeterministic_output
  ping=request_policy:all_shards,response_policy:all_succeeded hgetall=nondeterministic_output_order
  touch=request_policy:multi_shard,response_policy:agg_sum
  mset=request_policy:multi_shard,response_policy:all_succeeded mget=request_policy:multi_shard
  unlink=request_policy:multi_shard,response_policy:agg_sum sinter=nondeterministic_output_order
  zscan=nondeterministic_output smembers=nondeterministic_output_order hrandfield=nondeterministic_output
  sunion=nondeterministic_output_order sscan=nondeterministic_output lastsave=nondeterministic_output
  dump=nondeterministic_output keys=request_policy:all_shards,nondeterministic_output_order
  wait=request_policy:all_shards,response_policy:agg_min hvals=nondeterministic_output_order
  ttl=nondeterministic_output flushdb=request_policy:all_shards,response_policy:all_succeeded
  info=nondeterministic_output,request_policy:all_shards,response_policy:special
  client|list=nondeterministic_output client|info=nondeterministic_output time=nondeterministic_output
  object|idletime=nondeterministic_output object|freq=nondeterministic_output
  object|encoding=nondeterministic_output object|refcount=nondeterministic_output spop=nondeterministic_output
  hkeys=nondeterministic_output_order flushall=request_policy:all_shards,response_policy:all_succeeded
  msetnx=request_policy:multi_shard,response_policy:agg_min hscan=nondeterministic_output
  srandmember=nondeterministic_output
`);

/** Key-spec flags where they differ from RW+update (writes) / RO+access (reads); `;` separates specs. */
const KEY_FLAGS = new Map(
  [
    ...parseTable(`
  sunsubscribe=not_key hexists=RO brpop=RW,access,delete watch=RO incr=RW,access,update linsert=RW,insert
  rpush=RW,insert rpop=RW,access,delete zmpop=RW,access,delete sinterstore=RW,update;RO,access sismember=RO
  zunionstore=OW,update;RO,access psetex=OW,update memory|usage=RO smove=RW,access,delete;RW,insert
  zrangestore=OW,update;RO,access strlen=RO exists=RO del=RM,delete hdel=RW,delete
  bzmpop=RW,access,delete bitfield=RW,access,update,variable_flags spublish=not_key hsetnx=RW,insert
  zpopmin=RW,access,delete getdel=RW,access,delete zcard=RO lmove=RW,access,delete;RW,insert
  zremrangebyrank=RW,delete sort=RO,access;RO,access;OW,update sadd=RW,insert
  pfmerge=RW,access,insert;RO,access touch=RO append=RW,insert rpoplpush=RW,access,delete;RW,insert
  mset=OW,update unlink=RM,delete lmpop=RW,access,delete zinterstore=OW,update;RO,access blpop=RW,access,delete
  blmpop=RW,access,delete bitop=OW,update;RO,access blmove=RW,access,delete;RW,insert zremrangebylex=RW,delete
  zincrby=RW,access,update setex=OW,update zpopmax=RW,access,delete ltrim=RW,delete rpushx=RW,insert
  decrby=RW,access,update bzpopmin=RW,access,delete pfadd=RW,insert setbit=RW,access,update
  zdiffstore=OW,update;RO,access brpoplpush=RW,access,delete;RW,insert type=RO lpush=RW,insert
  renamenx=RW,access,delete;OW,insert rename=RW,access,delete;OW,update set=RW,access,update,variable_flags
  move=RW,access,update hstrlen=RO restore-asking=OW,update incrby=RW,access,update setnx=OW,insert
  lpop=RW,access,delete scard=RO restore=OW,update zrem=RW,delete object|idletime=RO object|freq=RO
  object|encoding=RO object|refcount=RO sdiffstore=OW,update;RO,access incrbyfloat=RW,access,update
  decr=RW,access,update hlen=RO spop=RW,access,delete bzpopmax=RW,access,delete getset=RW,access,update
  getex=RW,access,update hincrbyfloat=RW,access,update sunionstore=OW,update;RO,access hincrby=RW,access,update
  msetnx=OW,insert copy=RO,access;OW,update pfcount=RW,access lrem=RW,delete zremrangebyscore=RW,delete
  ssubscribe=not_key srem=RW,delete lpushx=RW,insert llen=RO
`),
  ].map(([k, v]) => [k, v.join(',').split(';').map((s) => s.split(','))] as const),
);

const CATEGORY_ORDER = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
  'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
] as const;

const GROUP_CATEGORY: Record<string, string> = {
  generic: 'keyspace',
  string: 'string',
  list: 'list',
  set: 'set',
  'sorted-set': 'sortedset',
  hash: 'hash',
  connection: 'connection',
  transactions: 'transaction',
};

/** ACL categories (without '@') in Redis's order. */
export function aclCategories(spec: CommandSpec): string[] {
  const o = ACL_OVERRIDES.get(spec.name);
  if (o) return o;
  // Containers carry no flags: Redis reports them as @slow only.
  if (spec.subcommands) return ['slow'];
  const s = new Set<string>();
  const g = GROUP_CATEGORY[spec.group];
  if (g) s.add(g);
  const f = spec.flags;
  if (f.includes('readonly')) s.add('read');
  if (f.includes('write')) s.add('write');
  if (f.includes('pubsub')) s.add('pubsub');
  if (f.includes('admin')) s.add('admin').add('dangerous');
  s.add(f.includes('fast') ? 'fast' : 'slow');
  if (f.includes('blocking')) s.add('blocking');
  return CATEGORY_ORDER.filter((c) => s.has(c));
}

function flagsOf(spec: CommandSpec): string[] {
  const f = [...spec.flags];
  if (spec.keys && !f.includes('movablekeys')) f.push('movablekeys');
  return f;
}

/** Key-spec flags, one list per key spec. */
function keySpecFlags(spec: CommandSpec): string[][] {
  const o = KEY_FLAGS.get(spec.name);
  if (o) return o;
  if (spec.flags.includes('write')) return [['RW', 'update']];
  return [['RO', 'access']];
}

function hasKeys(spec: CommandSpec): boolean {
  return spec.firstKey > 0 || spec.keys !== undefined;
}

const map = (entries: [string, Reply][]) => new MapReply(entries);
const status = (xs: string[]) => new SetReply(xs.map((x) => new SimpleString(x)));

/**
 * Key specs from the legacy (first, last, step) range. Commands Redis describes with several
 * specs get one per leading key and the last covers the rest; movable keys are 'unknown'.
 */
function keySpecs(spec: CommandSpec): Reply[] {
  if (!hasKeys(spec)) return [];
  const flags = keySpecFlags(spec);
  const out: Reply[] = [];
  const unknown = map([
    ['type', 'unknown'],
    ['spec', map([])],
  ]);
  for (let i = 0; i < flags.length; i++) {
    const last = i === flags.length - 1;
    let begin: Reply = unknown;
    let find: Reply = unknown;
    if (spec.firstKey > 0) {
      const index = spec.firstKey + i * Math.max(1, spec.step);
      const inRange = spec.lastKey < 0 || index <= spec.lastKey;
      if (inRange || !spec.keys) {
        begin = map([
          ['type', 'index'],
          ['spec', map([['index', index]])],
        ]);
        const lastkey = !last ? 0 : spec.lastKey < 0 ? spec.lastKey : Math.max(0, spec.lastKey - index);
        find = map([
          ['type', 'range'],
          ['spec', map([['lastkey', lastkey], ['keystep', Math.max(1, spec.step)], ['limit', 0]])],
        ]);
      }
    }
    out.push(map([['flags', status(flags[i])], ['begin_search', begin], ['find_keys', find]]));
  }
  return out;
}

/** One command's COMMAND INFO entry (Redis 7.0: 10 fields). */
export function commandInfo(spec: CommandSpec): Reply {
  return [
    spec.name,
    spec.arity,
    status(flagsOf(spec)),
    spec.firstKey,
    spec.lastKey,
    spec.step,
    status(aclCategories(spec).map((c) => '@' + c)),
    new SetReply(TIPS.get(spec.name) ?? []),
    new SetReply(keySpecs(spec)),
    spec.subcommands ? spec.subcommands.map(commandInfo) : new SetReply([]),
  ];
}

// ---- COMMAND DOCS: arguments from the `syntax` line --------------------------------------

type ArgType = 'key' | 'string' | 'integer' | 'double' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';

export interface DocArg {
  name: string;
  type: ArgType;
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  multipleToken?: boolean;
  args?: DocArg[];
}

type Node = { kind: 'word'; text: string } | { kind: 'group'; optional: boolean; alts: Node[][] } | { kind: 'ellipsis' };

const INTEGER_NAMES = new Set([
  'count', 'index', 'index1', 'index2', 'offset', 'start', 'end', 'stop', 'numkeys', 'seconds', 'milliseconds', 'db',
  'decrement', 'client-id', 'protover', 'numreplicas', 'port', 'rank', 'maxlen', 'len', 'bit', 'cursor', 'timeout',
  'destination-db', 'ttl', 'samples', 'numlocal', 'minlen',
]);
const DOUBLE_NAMES = new Set(['score', 'longitude', 'latitude', 'radius', 'width', 'height', 'weight']);
const KEY_NAMES = new Set(['key', 'source', 'destination', 'newkey', 'destkey', 'srckey']);

function inferType(name: string): ArgType {
  if (KEY_NAMES.has(name)) return 'key';
  if (name.startsWith('unix-time')) return 'unix-time';
  if (name === 'pattern') return 'pattern';
  if (INTEGER_NAMES.has(name)) return 'integer';
  if (DOUBLE_NAMES.has(name)) return 'double';
  return 'string';
}

const isToken = (w: string) => /[A-Z]/.test(w) && !/[a-z]/.test(w);

function tokenize(syntax: string): string[] {
  return syntax.match(/\.\.\.|[[\]()|]|[^\s[\]()|]+/g) ?? [];
}

/** Parse a syntax line such as `key value [NX | XX] [EX seconds | PX milliseconds]`. */
export function parseSyntax(syntax: string): DocArg[] {
  const toks = tokenize(syntax);
  let pos = 0;
  // Lenient: a syntax line is documentation, so a stray bracket must not break COMMAND DOCS.
  const parseAlts = (close: string | null): Node[][] => {
    const alts: Node[][] = [[]];
    while (pos < toks.length) {
      const t = toks[pos++];
      if (t === close) return alts;
      if (t === ']' || t === ')') continue;
      if (t === '|') alts.push([]);
      else if (t === '[' || t === '(') alts[alts.length - 1].push({ kind: 'group', optional: t === '[', alts: parseAlts(t === '[' ? ']' : ')') });
      else if (t === '...') alts[alts.length - 1].push({ kind: 'ellipsis' });
      else alts[alts.length - 1].push({ kind: 'word', text: t });
    }
    return alts;
  };
  return altsToArgs(parseAlts(null));
}

function altsToArgs(alts: Node[][]): DocArg[] {
  if (alts.length === 1) return seqToArgs(alts[0]);
  return [oneOf(alts)];
}

function oneOf(alts: Node[][]): DocArg {
  const args = alts.map(altToArg);
  return { name: args.map((a) => a.name).join('_'), type: 'oneof', args };
}

function altToArg(alt: Node[]): DocArg {
  const seq = seqToArgs(alt);
  return seq.length === 1 ? seq[0] : { name: seq.map((a) => a.name).join('_'), type: 'block', args: seq };
}

function groupToArg(g: Extract<Node, { kind: 'group' }>): DocArg {
  const arg = g.alts.length > 1 ? oneOf(g.alts) : altToArg(g.alts[0]);
  return g.optional ? { ...arg, optional: true } : arg;
}

/** `[x ...]`, `[TOKEN x ...]`: a repetition marker for what precedes it. */
function repetition(n: Node): Node[] | null {
  if (n.kind !== 'group' || n.alts.length !== 1) return null;
  const a = n.alts[0];
  return a.length >= 2 && a[a.length - 1].kind === 'ellipsis' ? a.slice(0, -1) : null;
}

function applyRepetition(out: DocArg[], rep: Node[]): void {
  const first = rep[0];
  if (first.kind === 'word' && isToken(first.text)) {
    const prev = out[out.length - 1];
    prev.multiple = true;
    if (prev.token === first.text) prev.multipleToken = true;
    return;
  }
  if (rep.length === 1) {
    const prev = out[out.length - 1];
    // `subcommand [argument ...]`: an optional list of something else, not a repeat.
    if (first.kind === 'word' && first.text !== prev.name) out.push({ name: first.text, type: inferType(first.text), optional: true, multiple: true });
    else prev.multiple = true;
    return;
  }
  const group = out.splice(out.length - rep.length, rep.length);
  out.push({ name: group.map((a) => a.name).join('_'), type: 'block', multiple: true, args: group });
}

function seqToArgs(items: Node[]): DocArg[] {
  const out: DocArg[] = [];
  for (let i = 0; i < items.length; i++) {
    const n = items[i];
    if (n.kind === 'ellipsis') {
      if (out.length) out[out.length - 1].multiple = true;
      continue;
    }
    const rep = repetition(n);
    if (rep && out.length) {
      applyRepetition(out, rep);
      continue;
    }
    if (n.kind === 'group') {
      out.push(groupToArg(n));
      continue;
    }
    if (!isToken(n.text)) {
      out.push({ name: n.text, type: inferType(n.text) });
      continue;
    }
    // A token: the values that follow it (lowercase words, required groups) belong to it.
    const values: DocArg[] = [];
    let j = i + 1;
    for (; j < items.length; j++) {
      const v = items[j];
      const r = repetition(v);
      if (r) {
        const f = r[0];
        if (f.kind === 'word' && f.text === n.text) break; // repeats the whole `TOKEN value`
        if (values.length) applyRepetition(values, r);
        continue;
      }
      if (v.kind === 'ellipsis') {
        if (values.length) values[values.length - 1].multiple = true;
        continue;
      }
      if (v.kind === 'word' && !isToken(v.text)) values.push({ name: v.text, type: inferType(v.text) });
      else if (v.kind === 'group' && !v.optional) values.push(groupToArg(v));
      else break;
    }
    i = j - 1;
    if (values.length === 0) out.push({ name: n.text.toLowerCase(), type: 'pure-token', token: n.text });
    else if (values.length === 1) out.push({ ...values[0], token: n.text });
    else out.push({ name: n.text.toLowerCase(), type: 'block', token: n.text, args: values });
  }
  return out;
}

function argReply(a: DocArg): MapReply {
  const e: [string, Reply][] = [
    ['name', a.name],
    ['type', a.type],
  ];
  if (a.type === 'key') e.push(['key_spec_index', 0]);
  if (a.token !== undefined) e.push(['token', a.token]);
  const flags: string[] = [];
  if (a.optional) flags.push('optional');
  if (a.multiple) flags.push('multiple');
  if (a.multipleToken) flags.push('multiple_token');
  if (flags.length) e.push(['flags', status(flags)]);
  if (a.args) e.push(['arguments', a.args.map(argReply)]);
  return map(e);
}

/** The group name COMMAND DOCS reports (memlab's own groups are server commands to clients). */
function docGroup(spec: CommandSpec): string {
  return spec.group === 'replication' || spec.group === 'log' ? 'server' : spec.group;
}

export function commandDocs(spec: CommandSpec): MapReply {
  const e: [string, Reply][] = [
    ['summary', spec.summary],
    ['since', spec.since],
    ['group', docGroup(spec)],
  ];
  if (spec.complexity !== undefined) e.push(['complexity', spec.complexity]);
  if (spec.syntax) e.push(['arguments', parseSyntax(spec.syntax).map(argReply)]);
  if (spec.subcommands) e.push(['subcommands', map(spec.subcommands.map((s) => [s.name, commandDocs(s)]))]);
  return map(e);
}

// ---- commands ----------------------------------------------------------------------------

const meta = (summary: string, since: string, complexity: string, syntax?: string) => ({
  group: 'server' as const,
  summary,
  since,
  complexity,
  syntax,
});

/** `get`, `config|get`, `CONFIG|GET`: a command or subcommand by full name. */
function byFullName(ctx: CommandContext, name: string): CommandSpec | undefined {
  const i = name.indexOf('|');
  if (i < 0) return ctx.server.table.lookup(name);
  const container = ctx.server.table.lookup(name.slice(0, i));
  return container ? ctx.server.table.lookupSub(container, name.slice(i + 1)) : undefined;
}

function everyCommand(ctx: CommandContext): CommandSpec[] {
  const out: CommandSpec[] = [];
  for (const s of ctx.server.table.all()) {
    out.push(s);
    for (const sub of s.subcommands ?? []) out.push(sub);
  }
  return out;
}

const HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
].map((l) => new SimpleString(l));

const ro = ['loading', 'stale'] as const;

const count = command('command|count', 2, [...ro], [0, 0, 0], meta('Get total number of Redis commands', '2.8.13', 'O(1)'), (ctx) => ctx.server.table.size);

const info = command(
  'command|info',
  -2,
  [...ro],
  [0, 0, 0],
  meta('Get array of specific Redis command details, or all when no argument is given.', '2.8.13', 'O(N) where N is the number of commands to look up', '[command-name [command-name ...]]'),
  (ctx, argv) => {
    if (argv.length === 2) return [...ctx.server.table.all()].map(commandInfo);
    const out: Reply[] = [];
    for (let i = 2; i < argv.length; i++) {
      const s = byFullName(ctx, argv[i]);
      out.push(s ? commandInfo(s) : null);
    }
    return out;
  },
);

const docs = command(
  'command|docs',
  -2,
  [...ro],
  [0, 0, 0],
  meta('Get array of specific Redis command documentation', '7.0.0', 'O(N) where N is the number of commands to look up', '[command-name [command-name ...]]'),
  (ctx, argv) => {
    if (argv.length === 2) return map([...ctx.server.table.all()].map((s) => [s.name, commandDocs(s)]));
    const out: [string, Reply][] = [];
    for (let i = 2; i < argv.length; i++) {
      const s = byFullName(ctx, argv[i]);
      if (s) out.push([s.name, commandDocs(s)]);
    }
    return map(out);
  },
);

const list = command(
  'command|list',
  -2,
  [...ro],
  [0, 0, 0],
  meta('Get an array of Redis command names', '7.0.0', 'O(N) where N is the total number of Redis commands', '[FILTERBY (MODULE module-name | ACLCAT category | PATTERN pattern)]'),
  (ctx, argv) => {
    const all = everyCommand(ctx);
    if (argv.length === 2) return all.map((s) => s.name);
    if (argv.length !== 5 || argv[2].toLowerCase() !== 'filterby') return SYNTAX;
    const kind = argv[3].toLowerCase();
    const arg = argv[4];
    if (kind === 'module') return [];
    if (kind === 'aclcat') {
      const cat = arg.toLowerCase();
      return all.filter((s) => aclCategories(s).includes(cat)).map((s) => s.name);
    }
    if (kind === 'pattern') return all.filter((s) => globMatch(arg, s.name, true)).map((s) => s.name);
    return SYNTAX;
  },
);

/** Shared by GETKEYS and GETKEYSANDFLAGS: the spec and the key indexes into `args`, or an error. */
function keysOf(ctx: CommandContext, args: string[]): { spec: CommandSpec; idx: number[] } | ErrorReply {
  let spec = ctx.server.table.lookup(args[0]);
  if (spec?.subcommands && args.length >= 2) spec = ctx.server.table.lookupSub(spec, args[1]);
  if (!spec) return new ErrorReply('ERR Invalid command specified');
  if (!hasKeys(spec)) return new ErrorReply('ERR The command has no key arguments');
  if (!CommandTable.arityOk(spec, args.length)) return new ErrorReply('ERR Invalid number of arguments specified for command');
  let idx: number[];
  try {
    idx = CommandTable.keyIndexes(spec, args);
  } catch {
    idx = [];
  }
  if (idx.some((i) => !Number.isInteger(i) || i <= 0 || i >= args.length)) idx = [];
  if (idx.length === 0 && !spec.flags.includes('no_mandatory_keys')) return new ErrorReply('ERR Invalid arguments specified for command');
  return { spec, idx };
}

const getkeys = command('command|getkeys', -4, [...ro], [0, 0, 0], meta('Extract keys given a full Redis command', '2.8.13', 'O(N) where N is the number of arguments to the command'), (ctx, argv) => {
  const args = argv.slice(2);
  const r = keysOf(ctx, args);
  if (r instanceof ErrorReply) return r;
  return r.idx.map((i) => args[i]);
});

const getkeysandflags = command(
  'command|getkeysandflags',
  -4,
  [...ro],
  [0, 0, 0],
  meta('Extract keys and access flags given a full Redis command', '7.0.0', 'O(N) where N is the number of arguments to the command'),
  (ctx, argv) => {
    const args = argv.slice(2);
    const r = keysOf(ctx, args);
    if (r instanceof ErrorReply) return r;
    let specs = keySpecFlags(r.spec);
    // SET's flags depend on the call (Redis's setGetKeys): an overwrite unless GET reads it.
    if (r.spec.name === 'set') specs = [args.some((a, i) => i > 2 && a.toLowerCase() === 'get') ? ['RW', 'access', 'update'] : ['OW', 'update']];
    return r.idx.map((i, n) => [args[i], status(specs[Math.min(n, specs.length - 1)])]);
  },
);

const help = command('command|help', 2, [...ro], [0, 0, 0], meta('Show helpful text about the different subcommands', '5.0.0', 'O(1)'), () => HELP);

const commandCmd = command(
  'command',
  -1,
  [...ro],
  [0, 0, 0],
  { ...meta('Get array of Redis command details', '2.8.13', 'O(N) where N is the total number of Redis commands'), subcommands: [help, docs, list, getkeys, count, getkeysandflags, info] },
  (ctx) => [...ctx.server.table.all()].map(commandInfo),
);

export const introspectionCommands: CommandSpec[] = [commandCmd];
