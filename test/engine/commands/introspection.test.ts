import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import type { Redis } from 'ioredis';
import type { TestEngine } from '../../helpers/engine.js';
import { family } from '../../helpers/family.js';
import type { RealRedis } from '../../helpers/redis-server.js';
import { allCommands } from '../../../engine/commands/index.js';
import { type DocArg, parseSyntax } from '../../../engine/commands/introspection.js';
import { runBoth, Session } from './resp-session.js';

const fx = family({ real: 'COMMAND' });
let engine: TestEngine, r: Redis, real: RealRedis | null;
beforeAll(() => {
  ({ engine, r, real } = fx);
});

/** The commands this family owns, as full names (containers are compared per subcommand). */
const MINE = [
  'ping', 'echo', 'hello', 'auth', 'select', 'quit', 'reset', 'info', 'dbsize', 'flushdb', 'flushall', 'swapdb', 'time', 'monitor',
  'shutdown', 'multi', 'exec', 'discard', 'watch', 'unwatch', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe', 'ssubscribe',
  'sunsubscribe', 'publish', 'spublish',
  ...['help', 'unpause', 'list', 'unblock', 'kill', 'setname', 'pause', 'no-evict', 'getname', 'tracking', 'info', 'caching', 'trackinginfo', 'id', 'getredir', 'reply'].map((s) => `client|${s}`),
  ...['help', 'resetstat', 'rewrite', 'get', 'set'].map((s) => `config|${s}`),
  ...['help', 'docs', 'list', 'getkeys', 'count', 'getkeysandflags', 'info'].map((s) => `command|${s}`),
  ...['help', 'numpat', 'channels', 'shardnumsub', 'shardchannels', 'numsub'].map((s) => `pubsub|${s}`),
];

/** What redis-cli prints for a syntax tree (its cliAddArgument). */
function render(args: DocArg[], sep = ' '): string {
  return args
    .map((a) => {
      let rep = '';
      if (a.type === 'oneof') rep = render(a.args!, '|');
      else if (a.type === 'block') rep = render(a.args!, ' ');
      else if (a.type !== 'pure-token') rep = a.name;
      let tok = a.token ?? '';
      if (tok && a.type !== 'pure-token') tok += ' ';
      let s = (a.optional ? '[' : '') + tok + rep;
      if (a.multiple) s += ' [' + (a.multipleToken ? tok : '') + rep + ' ...]';
      return a.optional ? s + ']' : s;
    })
    .join(sep);
}

describe('COMMAND INFO', () => {
  it('describes this family exactly as redis-server 7.0 does, in RESP2 and RESP3', async () => {
    if (!real) return;
    for (const proto of ['2', '3']) {
      const cmds = [['HELLO', proto], ...MINE.map((n) => ['COMMAND', 'INFO', n])];
      const [mine, theirs] = await runBoth([engine.port, real.port], cmds);
      for (let i = 1; i < cmds.length; i++) expect(mine[i], `${MINE[i - 1]} RESP${proto}`).toBe(theirs[i]);
    }
  });

  it('derives ACL categories, key specs and flags for commands of other families from the table', async () => {
    const [get] = (await r.command('INFO', 'get')) as unknown[][];
    expect(get.slice(0, 7)).toEqual(['get', 2, ['readonly', 'fast'], 1, 1, 1, ['@read', '@string', '@fast']]);
    expect(get[8]).toEqual([['flags', ['RO', 'access'], 'begin_search', ['type', 'index', 'spec', ['index', 1]], 'find_keys', ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]]]]);
    const [info] = (await r.command('INFO', 'nosuchcommand')) as unknown[];
    expect(info).toBe(null);
    const all = (await r.command('INFO')) as unknown[][];
    expect(all.length).toBe(engine.server.table.size);
    expect((await r.command()) as unknown[]).toHaveLength(engine.server.table.size);
    expect(await r.command('COUNT')).toBe(engine.server.table.size);
    const [container] = (await r.command('INFO', 'config')) as unknown[][];
    expect(container.slice(0, 7)).toEqual(['config', -2, [], 0, 0, 0, ['@slow']]);
    expect((container[9] as unknown[][]).map((c) => c[0]).sort()).toEqual(['config|get', 'config|help', 'config|resetstat', 'config|rewrite', 'config|set']);
    if (real) {
      const [theirs] = (await real.client().command('INFO', 'get')) as unknown[][];
      expect(get).toEqual(theirs);
    }
  });
});

describe('COMMAND DOCS', () => {
  it('gives redis-cli the same help lines as redis-server for this family', async () => {
    const cliHelp = (port: number) =>
      new Promise<string>((resolve) => {
        const child = execFile('redis-cli', ['-p', String(port)], { encoding: 'latin1', timeout: 15_000 }, (err, out) => resolve(err ? `ERR ${err.message}` : out));
        child.stdin!.end(MINE.map((n) => `help ${n.replace('|', ' ')}\n`).join(''));
      });
    if (!real) return;
    const mine = await cliHelp(engine.port);
    if (mine.startsWith('ERR') && /ENOENT/.test(mine)) {
      console.log('redis-cli not installed: skipped');
      return;
    }
    const theirs = await cliHelp(real.port);
    expect(mine).toContain('SET');
    expect(mine).toBe(theirs);
  });

  it('parses every syntax line of the table into arguments redis-cli renders back', () => {
    const mine = new Set(MINE);
    let checked = 0;
    for (const c of allCommands()) {
      for (const s of [c, ...(c.subcommands ?? [])]) {
        if (!s.syntax) continue;
        checked++;
        const shown = render(parseSyntax(s.syntax));
        // What is shown parses back to itself (rendering drops explicit grouping, so not
        // for lines that need parentheses).
        if (!s.syntax.includes('(')) expect(render(parseSyntax(shown)), s.name).toBe(shown);
        // This family's lines are Redis's rendering with ' | ' spacing and grouping parentheses;
        // `X ...` is shorthand for `X [X ...]`.
        if (mine.has(s.name) && !s.syntax.includes(') ...')) {
          expect(shown, s.name).toBe(s.syntax.replace(/ \| /g, '|').replace(/[()]/g, ''));
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('builds Redis-shaped argument trees', () => {
    expect(parseSyntax('key [key ...]')).toEqual([{ name: 'key', type: 'key', multiple: true }]);
    expect(parseSyntax('[PREFIX prefix [PREFIX prefix ...]]')).toEqual([
      { name: 'prefix', type: 'string', token: 'PREFIX', optional: true, multiple: true, multipleToken: true },
    ]);
    expect(parseSyntax('key [EX seconds | KEEPTTL]')).toEqual([
      { name: 'key', type: 'key' },
      {
        name: 'seconds_keepttl',
        type: 'oneof',
        optional: true,
        args: [
          { name: 'seconds', type: 'integer', token: 'EX' },
          { name: 'keepttl', type: 'pure-token', token: 'KEEPTTL' },
        ],
      },
    ]);
    expect(parseSyntax('parameter value [parameter value ...]')).toEqual([
      { name: 'parameter_value', type: 'block', multiple: true, args: [{ name: 'parameter', type: 'string' }, { name: 'value', type: 'string' }] },
    ]);
    // Broken documentation must not break COMMAND DOCS.
    expect(() => parseSyntax('key [NX | XX')).not.toThrow();
    expect(() => parseSyntax('key ]] ) value')).not.toThrow();
  });

  it('answers maps keyed by command name, omitting unknown names, like redis-server', async () => {
    // Commands whose Redis docs carry no history (memlab does not keep it).
    const cmds = [['COMMAND', 'DOCS', 'nosuch', 'echo', 'client|unblock', 'watch', 'pubsub|numsub'], ['HELLO', '3'], ['COMMAND', 'DOCS', 'echo'], ['COMMAND', 'DOCS', 'client|setname']];
    const [mine, theirs] = await runBoth([engine.port, real?.port ?? engine.port], cmds);
    expect(mine[0]).toBe(theirs[0]);
    expect(mine[2]).toBe(theirs[2]);
    expect(mine[3]).toBe(theirs[3]);
    const all = (await r.command('DOCS')) as unknown[];
    expect(all.length).toBe(engine.server.table.size * 2);
  });
});

describe('COMMAND LIST, GETKEYS, GETKEYSANDFLAGS, HELP', () => {
  it('lists commands and subcommands with filters', async () => {
    const all = (await r.command('LIST')) as string[];
    expect(all).toContain('get');
    expect(all).toContain('config|get');
    expect(all.length).toBeGreaterThan(engine.server.table.size);
    expect(((await r.command('LIST', 'FILTERBY', 'PATTERN', 'config*')) as string[]).sort()).toEqual([
      'config', 'config|get', 'config|help', 'config|resetstat', 'config|rewrite', 'config|set',
    ]);
    expect(((await r.command('LIST', 'FILTERBY', 'ACLCAT', 'transaction')) as string[]).sort()).toEqual(['discard', 'exec', 'multi', 'unwatch', 'watch']);
    expect(await r.command('LIST', 'FILTERBY', 'MODULE', 'x')).toEqual([]);
  });

  it('extracts keys and errors exactly like redis-server', async () => {
    const cmds = [
      ['COMMAND', 'GETKEYS'],
      ['COMMAND', 'GETKEYS', 'nosuch', 'a'],
      ['COMMAND', 'GETKEYS', 'get'],
      ['COMMAND', 'GETKEYS', 'set', 'a'],
      ['COMMAND', 'GETKEYS', 'set', 'a', 'b'],
      ['COMMAND', 'GETKEYS', 'mset', 'a', 'b', 'c', 'd'],
      ['COMMAND', 'GETKEYS', 'config', 'get', 'x'],
      ['COMMAND', 'GETKEYS', 'client', 'list'],
      ['COMMAND', 'GETKEYS', 'watch', 'k1', 'k2'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b', 'GET'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'get', 'a'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'del', 'a', 'b'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'lmove', 'a', 'b', 'LEFT', 'RIGHT'],
      ['COMMAND', 'LIST', 'FILTERBY', 'FOO', 'x'],
      ['COMMAND', 'LIST', 'FOO'],
      ['COMMAND', 'LIST', 'FILTERBY'],
      ['COMMAND', 'FOO'],
      ['COMMAND', 'HELP'],
      ['COMMAND', 'COUNT', 'x'],
      ['HELLO', '3'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'get', 'a'],
    ];
    const [mine, theirs] = await runBoth([engine.port, real?.port ?? engine.port], cmds);
    const noId = (xs: string[]) => xs.map((x) => x.replace(/\$2\r\nid\r\n:\d+/, 'id'));
    expect(noId(mine)).toEqual(noId(theirs));
    expect(mine[1]).toBe('-ERR Invalid command specified\r\n');
    expect(mine[6]).toBe('-ERR The command has no key arguments\r\n');
  });

  it('works through ioredis', async () => {
    expect(await r.command('GETKEYS', 'set', 'k', 'v')).toEqual(['k']);
    const docs = (await r.command('DOCS', 'get')) as unknown[];
    expect(docs[0]).toBe('get');
    const s = await Session.open(engine.port);
    expect(await s.call('COMMAND', 'COUNT')).toBe(`:${engine.server.table.size}\r\n`);
    s.close();
  });
});
