import { globMatch } from '../store/glob.js';
import { PushReply } from '../resp/reply.js';
import type { Client } from './client.js';

/** Channel and pattern subscriptions, and message delivery. */
export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();

  subscribe(c: Client, channel: string): boolean {
    if (c.subscriptions.has(channel)) return false;
    c.subscriptions.add(channel);
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    set.add(c);
    return true;
  }

  unsubscribe(c: Client, channel: string): boolean {
    if (!c.subscriptions.delete(channel)) return false;
    const set = this.channels.get(channel);
    set?.delete(c);
    if (set && set.size === 0) this.channels.delete(channel);
    return true;
  }

  psubscribe(c: Client, pattern: string): boolean {
    if (c.patterns.has(pattern)) return false;
    c.patterns.add(pattern);
    let set = this.patterns.get(pattern);
    if (!set) this.patterns.set(pattern, (set = new Set()));
    set.add(c);
    return true;
  }

  punsubscribe(c: Client, pattern: string): boolean {
    if (!c.patterns.delete(pattern)) return false;
    const set = this.patterns.get(pattern);
    set?.delete(c);
    if (set && set.size === 0) this.patterns.delete(pattern);
    return true;
  }

  removeClient(c: Client): void {
    for (const ch of [...c.subscriptions]) this.unsubscribe(c, ch);
    for (const p of [...c.patterns]) this.punsubscribe(c, p);
  }

  /** Deliver to channel subscribers and matching patterns; returns the receiver count. */
  publish(channel: string, message: string): number {
    let n = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      for (const c of subs) {
        c.push(new PushReply(['message', channel, message]));
        n++;
      }
    }
    for (const [pattern, set] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const c of set) {
        c.push(new PushReply(['pmessage', pattern, channel, message]));
        n++;
      }
    }
    return n;
  }
}
