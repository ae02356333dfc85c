import { globMatch } from '../store/glob.js';
import { PushReply } from '../resp/reply.js';
import type { Client } from './client.js';

function add(map: Map<string, Set<Client>>, name: string, c: Client): void {
  let set = map.get(name);
  if (!set) map.set(name, (set = new Set()));
  set.add(c);
}

function remove(map: Map<string, Set<Client>>, name: string, c: Client): void {
  const set = map.get(name);
  if (!set) return;
  set.delete(c);
  if (set.size === 0) map.delete(name);
}

/** Channel, pattern and shard-channel subscriptions, and message delivery. */
export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();

  subscribe(c: Client, channel: string): boolean {
    if (c.subscriptions.has(channel)) return false;
    c.subscriptions.add(channel);
    add(this.channels, channel, c);
    return true;
  }

  unsubscribe(c: Client, channel: string): boolean {
    if (!c.subscriptions.delete(channel)) return false;
    remove(this.channels, channel, c);
    return true;
  }

  psubscribe(c: Client, pattern: string): boolean {
    if (c.patterns.has(pattern)) return false;
    c.patterns.add(pattern);
    add(this.patterns, pattern, c);
    return true;
  }

  punsubscribe(c: Client, pattern: string): boolean {
    if (!c.patterns.delete(pattern)) return false;
    remove(this.patterns, pattern, c);
    return true;
  }

  ssubscribe(c: Client, channel: string): boolean {
    if (c.shardSubscriptions.has(channel)) return false;
    c.shardSubscriptions.add(channel);
    add(this.shardChannels, channel, c);
    return true;
  }

  sunsubscribe(c: Client, channel: string): boolean {
    if (!c.shardSubscriptions.delete(channel)) return false;
    remove(this.shardChannels, channel, c);
    return true;
  }

  /** Drop every subscription of a client (disconnect, RESET), without replies. */
  removeClient(c: Client): void {
    for (const ch of [...c.subscriptions]) this.unsubscribe(c, ch);
    for (const p of [...c.patterns]) this.punsubscribe(c, p);
    for (const ch of [...c.shardSubscriptions]) this.sunsubscribe(c, ch);
  }

  /**
   * Deliver to channel subscribers and matching patterns; returns the receiver count
   * (a client reached through a channel and a pattern counts twice, as in Redis).
   */
  publish(channel: string, message: string): number {
    let n = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      const msg = new PushReply(['message', channel, message]);
      for (const c of subs) {
        c.push(msg);
        n++;
      }
    }
    if (this.patterns.size) {
      for (const [pattern, set] of this.patterns) {
        if (!globMatch(pattern, channel)) continue;
        const msg = new PushReply(['pmessage', pattern, channel, message]);
        for (const c of set) {
          c.push(msg);
          n++;
        }
      }
    }
    return n;
  }

  /** SPUBLISH: shard channels only, no patterns. */
  spublish(channel: string, message: string): number {
    const subs = this.shardChannels.get(channel);
    if (!subs) return 0;
    const msg = new PushReply(['smessage', channel, message]);
    for (const c of subs) c.push(msg);
    return subs.size;
  }
}
