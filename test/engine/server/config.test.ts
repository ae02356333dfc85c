import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { Config, ConfigError, parseMemory } from '../../../engine/server/config.js';

const fails = (fn: () => void) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('parseMemory', () => {
  it('takes redis.conf units and refuses the rest', () => {
    expect(parseMemory('100')).toBe(100);
    expect(parseMemory('1k')).toBe(1000);
    expect(parseMemory('1KB')).toBe(1024);
    expect(parseMemory('2mb')).toBe(2 * 1024 * 1024);
    expect(parseMemory('1g')).toBe(1e9);
    expect(parseMemory('1gb')).toBe(1024 ** 3);
    for (const bad of ['', '-5', '1x', '1.5mb', ' 1', '1 ']) expect(parseMemory(bad), bad).toBe(null);
  });
});

describe('Config values', () => {
  it('has Redis defaults and startup overrides', () => {
    const c = new Config({ hz: 50, 'replica-read-only': false, maxmemory: '1mb' });
    expect(c.int('databases')).toBe(16);
    expect(c.int('hz')).toBe(50);
    expect(c.bool('replica-read-only')).toBe(false);
    expect(c.bool('slave-read-only')).toBe(false);
    expect(c.int('maxmemory')).toBe(1024 * 1024);
    expect(c.get('maxmemory-policy')).toBe('noeviction');
  });

  it('parses integers as string2ll does and checks Redis ranges', () => {
    const c = new Config();
    expect(fails(() => c.set('hz', '+5'))).toBe("CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer");
    expect(fails(() => c.set('hz', '05'))).toMatch(/couldn't be parsed/);
    expect(fails(() => c.set('timeout', '1.5'))).toMatch(/couldn't be parsed/);
    expect(fails(() => c.set('timeout', '99999999999'))).toBe(
      "CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive",
    );
    expect(fails(() => c.set('slowlog-log-slower-than', '-5'))).toMatch(/between -1 and 9223372036854775807 inclusive$/);
    expect(fails(() => c.set('maxclients', '0'))).toMatch(/between 1 and 4294967295 inclusive$/);
  });

  it('clamps hz to 1..500 after accepting 0..INT_MAX', () => {
    const c = new Config();
    c.set('hz', '1000');
    expect(c.get('hz')).toBe('500');
    c.set('hz', '0');
    expect(c.get('hz')).toBe('1');
    expect(fails(() => c.set('hz', '-1'))).toMatch(/between 0 and 2147483647 inclusive$/);
  });

  it('normalizes booleans, enums, memory, save and notify-keyspace-events', () => {
    const c = new Config();
    c.set('replica-read-only', 'NO');
    expect(c.get('replica-read-only')).toBe('no');
    c.set('maxmemory-policy', 'ALLKEYS-LRU');
    expect(c.get('maxmemory-policy')).toBe('allkeys-lru');
    c.set('maxmemory', '1K');
    expect(c.get('maxmemory')).toBe('1000');
    c.set('save', '3600 1 300 100');
    expect(c.get('save')).toBe('3600 1 300 100');
    for (const bad of ['abc', '100 x', '100 10 50', '-1 10', ' 100 10']) {
      expect(fails(() => c.set('save', bad)), bad).toBe("CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters");
    }
    c.set('notify-keyspace-events', 'KEA');
    expect(c.get('notify-keyspace-events')).toBe('AKE');
    c.set('notify-keyspace-events', '$gKm');
    expect(c.get('notify-keyspace-events')).toBe('g$Km');
    c.set('notify-keyspace-events', 'An');
    expect(c.get('notify-keyspace-events')).toBe('A');
    expect(fails(() => c.set('notify-keyspace-events', 'Z'))).toMatch(/Invalid event class character/);
    expect(fails(() => c.set('loglevel', 'nothing'))).toMatch(/one of the following: debug, verbose, notice, warning$/);
    expect(fails(() => c.set('maxmemory', '-1'))).toMatch(/argument must be a memory value$/);
  });

  it('refuses immutable options at run time and protected ones unless at startup', () => {
    const c = new Config({ dir: '/tmp' });
    expect(c.get('dir')).toBe('/tmp');
    expect(fails(() => c.set('databases', '4'))).toBe("CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config");
    expect(fails(() => c.set('dir', '/var'))).toBe("CONFIG SET failed (possibly related to argument 'dir') - can't set protected config");
    expect(fails(() => c.set('nosuch', '1'))).toBe("Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  });
});

describe('Config.setMany', () => {
  it('changes nothing when one parameter is bad, then notifies listeners after applying all', () => {
    const c = new Config();
    const seen: string[] = [];
    c.onChange('hz', (v) => seen.push(`hz=${v} timeout=${c.get('timeout')}`));
    expect(fails(() => c.setMany([['hz', '20'], ['databases', '3']]))).toMatch(/can't set immutable config/);
    expect(fails(() => c.setMany([['hz', '20'], ['timeout', 'x']]))).toMatch(/'timeout'/);
    expect(fails(() => c.setMany([['hz', '20'], ['HZ', '30']]))).toBe("CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter");
    expect(c.get('hz')).toBe('10');
    expect(seen).toEqual([]);
    c.setMany([['hz', '20'], ['timeout', '5']]);
    expect(seen).toEqual(['hz=20 timeout=5']);
    // An option and its alias are different names to Redis's duplicate check.
    c.setMany([['replica-read-only', 'no'], ['slave-read-only', 'yes']]);
    expect(c.get('replica-read-only')).toBe('yes');
  });
});

describe('Config.matching (CONFIG GET)', () => {
  it('echoes plain names as asked, once each, and globs over option names', () => {
    const c = new Config();
    expect(c.matching(['HZ'])).toEqual([['HZ', '10']]);
    expect(c.matching(['port', 'PORT'])).toEqual([['port', '6379']]);
    expect(c.matching(['replica-read-only', 'slave-read-only'])).toEqual([
      ['replica-read-only', 'yes'],
      ['slave-read-only', 'yes'],
    ]);
    expect(c.matching(['*slave-read*'])).toEqual([['slave-read-only', 'yes']]);
    expect(c.matching(['*read-only*'])).toEqual([['replica-read-only', 'yes']]);
    expect(c.matching(['nosuch', 'no*such'])).toEqual([]);
    const all = c.matching(['*']).map(([k]) => k);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining(Config.names()));
    expect(c.matching(['MAXMEM*']).map(([k]) => k)).toEqual(['maxmemory', 'maxmemory-policy', 'maxmemory-samples']);
    expect(c.matching(['dir'])).toEqual([['dir', resolve('.')]]);
  });
});
