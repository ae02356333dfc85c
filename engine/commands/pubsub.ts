import { encode } from '../resp/encoder.js';
import { ErrorReply, PushReply, RawReply, type Reply, SimpleString } from '../resp/reply.js';
import { globMatch } from '../store/glob.js';
import type { Client } from '../server/client.js';
import { command } from './define.js';
import { cArg } from './errors.js';
import type { CommandSpec } from './types.js';

const meta = (summary: string, since: string, complexity: string, syntax?: string) => ({
  group: 'pubsub' as const,
  summary,
  since,
  complexity,
  syntax,
});

/**
 * Several confirmations as one reply, each a push in RESP3 and an array in RESP2, so that
 * CLIENT REPLY SKIP and EXEC treat a multi-channel (UN)SUBSCRIBE as one command's output,
 * byte for byte as Redis writes it.
 */
function confirmations(items: Reply[][]): RawReply {
  let r2 = '';
  let r3 = '';
  for (const it of items) {
    const p = new PushReply(it);
    r2 += encode(p, 2);
    r3 += encode(p, 3);
  }
  return new RawReply(r2, r3);
}

/** Count shown in (P)(UN)SUBSCRIBE replies: channels plus patterns (shard channels apart). */
const count = (c: Client) => c.subscriptions.size + c.patterns.size;

const F = ['pubsub', 'noscript', 'loading', 'stale'] as const;

const subscribe = command(
  'subscribe',
  -2,
  [...F],
  [0, 0, 0],
  meta('Listen for messages published to the given channels', '2.0.0', 'O(N) where N is the number of channels to subscribe to.', 'channel [channel ...]'),
  (ctx, argv) => {
    const out: Reply[][] = [];
    for (let i = 1; i < argv.length; i++) {
      ctx.server.pubsub.subscribe(ctx.client, argv[i]);
      out.push(['subscribe', argv[i], count(ctx.client)]);
    }
    return confirmations(out);
  },
);

const psubscribe = command(
  'psubscribe',
  -2,
  [...F],
  [0, 0, 0],
  meta('Listen for messages published to channels matching the given patterns', '2.0.0', 'O(N) where N is the number of patterns the client is already subscribed to.', 'pattern [pattern ...]'),
  (ctx, argv) => {
    const out: Reply[][] = [];
    for (let i = 1; i < argv.length; i++) {
      ctx.server.pubsub.psubscribe(ctx.client, argv[i]);
      out.push(['psubscribe', argv[i], count(ctx.client)]);
    }
    return confirmations(out);
  },
);

const unsubscribe = command(
  'unsubscribe',
  -1,
  [...F],
  [0, 0, 0],
  meta('Stop listening for messages posted to the given channels', '2.0.0', 'O(N) where N is the number of clients already subscribed to a channel.', '[channel [channel ...]]'),
  (ctx, argv) => {
    const c = ctx.client;
    const names = argv.length > 1 ? argv.slice(1) : [...c.subscriptions];
    if (names.length === 0) return confirmations([['unsubscribe', null, count(c)]]);
    const out: Reply[][] = [];
    for (const ch of names) {
      ctx.server.pubsub.unsubscribe(c, ch);
      out.push(['unsubscribe', ch, count(c)]);
    }
    return confirmations(out);
  },
);

const punsubscribe = command(
  'punsubscribe',
  -1,
  [...F],
  [0, 0, 0],
  meta(
    'Stop listening for messages posted to channels matching the given patterns',
    '2.0.0',
    'O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).',
    '[pattern [pattern ...]]',
  ),
  (ctx, argv) => {
    const c = ctx.client;
    const names = argv.length > 1 ? argv.slice(1) : [...c.patterns];
    if (names.length === 0) return confirmations([['punsubscribe', null, count(c)]]);
    const out: Reply[][] = [];
    for (const p of names) {
      ctx.server.pubsub.punsubscribe(c, p);
      out.push(['punsubscribe', p, count(c)]);
    }
    return confirmations(out);
  },
);

const ssubscribe = command(
  'ssubscribe',
  -2,
  [...F],
  [1, -1, 1],
  meta('Listen for messages published to the given shard channels', '7.0.0', 'O(N) where N is the number of shard channels to subscribe to.', 'shardchannel [shardchannel ...]'),
  (ctx, argv) => {
    const c = ctx.client;
    const out: Reply[][] = [];
    for (let i = 1; i < argv.length; i++) {
      ctx.server.pubsub.ssubscribe(c, argv[i]);
      out.push(['ssubscribe', argv[i], c.shardSubscriptions.size]);
    }
    return confirmations(out);
  },
);

const sunsubscribe = command(
  'sunsubscribe',
  -1,
  [...F],
  [1, -1, 1],
  meta('Stop listening for messages posted to the given shard channels', '7.0.0', 'O(N) where N is the number of clients already subscribed to a shard channel.', '[shardchannel [shardchannel ...]]'),
  (ctx, argv) => {
    const c = ctx.client;
    const names = argv.length > 1 ? argv.slice(1) : [...c.shardSubscriptions];
    if (names.length === 0) return confirmations([['sunsubscribe', null, 0]]);
    const out: Reply[][] = [];
    for (const ch of names) {
      ctx.server.pubsub.sunsubscribe(c, ch);
      out.push(['sunsubscribe', ch, c.shardSubscriptions.size]);
    }
    return confirmations(out);
  },
);

// Not a keyspace write: no effect is produced, so PUBLISH never waits for the durable log.
const publish = command(
  'publish',
  3,
  ['pubsub', 'loading', 'stale', 'fast'],
  [0, 0, 0],
  meta(
    'Post a message to a channel',
    '2.0.0',
    'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).',
    'channel message',
  ),
  (ctx, argv) => ctx.server.pubsub.publish(argv[1], argv[2]),
);

const spublish = command(
  'spublish',
  3,
  ['pubsub', 'loading', 'stale', 'fast'],
  [1, 1, 1],
  meta('Post a message to a shard channel', '7.0.0', 'O(N) where N is the number of clients subscribed to the receiving shard channel.', 'shardchannel message'),
  (ctx, argv) => ctx.server.pubsub.spublish(argv[1], argv[2]),
);

const PS = ['pubsub', 'loading', 'stale'] as const;

function activeChannels(map: Map<string, Set<Client>>, pattern: string | undefined): string[] {
  const out: string[] = [];
  for (const ch of map.keys()) if (pattern === undefined || globMatch(pattern, ch)) out.push(ch);
  return out;
}

const channels = command(
  'pubsub|channels',
  -2,
  [...PS],
  [0, 0, 0],
  meta('List active channels', '2.8.0', 'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)', '[pattern]'),
  (ctx, argv) => {
    if (argv.length > 3) return subcommandSyntax(argv);
    return activeChannels(ctx.server.pubsub.channels, argv[2]);
  },
);

const shardchannels = command(
  'pubsub|shardchannels',
  -2,
  [...PS],
  [0, 0, 0],
  meta('List active shard channels', '7.0.0', 'O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).', '[pattern]'),
  (ctx, argv) => {
    if (argv.length > 3) return subcommandSyntax(argv);
    return activeChannels(ctx.server.pubsub.shardChannels, argv[2]);
  },
);

function subscriberCounts(map: Map<string, Set<Client>>, names: string[]): Reply[] {
  const out: Reply[] = [];
  for (const n of names) out.push(n, map.get(n)?.size ?? 0);
  return out;
}

const numsub = command(
  'pubsub|numsub',
  -2,
  [...PS],
  [0, 0, 0],
  meta('Get the count of subscribers for channels', '2.8.0', 'O(N) for the NUMSUB subcommand, where N is the number of requested channels', '[channel [channel ...]]'),
  (ctx, argv) => subscriberCounts(ctx.server.pubsub.channels, argv.slice(2)),
);

const shardnumsub = command(
  'pubsub|shardnumsub',
  -2,
  [...PS],
  [0, 0, 0],
  meta('Get the count of subscribers for shard channels', '7.0.0', 'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels', '[shardchannel [shardchannel ...]]'),
  (ctx, argv) => subscriberCounts(ctx.server.pubsub.shardChannels, argv.slice(2)),
);

const numpat = command('pubsub|numpat', 2, [...PS], [0, 0, 0], meta('Get the count of unique patterns pattern subscriptions', '2.8.0', 'O(1)'), (ctx) => ctx.server.pubsub.patterns.size);

const HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
].map((l) => new SimpleString(l));

const help = command('pubsub|help', 2, ['loading', 'stale'], [0, 0, 0], meta('Show helpful text about the different subcommands', '6.2.0', 'O(1)'), () => HELP);

function subcommandSyntax(argv: string[]): ErrorReply {
  return new ErrorReply(`ERR unknown subcommand or wrong number of arguments for '${cArg(argv[1])}'. Try PUBSUB HELP.`);
}

const pubsub = command(
  'pubsub',
  -2,
  [],
  [0, 0, 0],
  { ...meta('A container for Pub/Sub commands', '2.8.0', 'Depends on subcommand.'), subcommands: [help, numpat, channels, shardnumsub, shardchannels, numsub] },
  () => HELP,
);

export const pubsubCommands: CommandSpec[] = [subscribe, psubscribe, unsubscribe, punsubscribe, ssubscribe, sunsubscribe, publish, spublish, pubsub];
