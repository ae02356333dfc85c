import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile, ProfileError, validate } from '../../../lab/profiles/load.js';
import { parseDuration, parseRate, parseSize } from '../../../lab/profiles/units.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'distribution'],
  properties: {
    name: { type: 'string' },
    distribution: { enum: ['uniform', 'zipfian', 'sequential'] },
    connections: { type: 'integer', minimum: 1, default: 50 },
  },
};

describe('profile validation', () => {
  it('fills defaults', () => {
    expect(validate<{ connections: number }>({ name: 'x', distribution: 'uniform' }, schema, 'p.yaml').connections).toBe(50);
  });

  it('names the file, the field and what is allowed', () => {
    expect(() => validate({ name: 'x', distribution: 'zipf' }, schema, 'p.yaml')).toThrow(
      new ProfileError("p.yaml: field 'distribution' must be one of \"uniform\", \"zipfian\", \"sequential\""),
    );
    expect(() => validate({ distribution: 'uniform' }, schema, 'p.yaml')).toThrow("p.yaml: field 'name' is required");
    expect(() => validate({ name: 'x', distribution: 'uniform', conections: 3 }, schema, 'p.yaml')).toThrow(
      "field 'conections' is not a known field (known: name, distribution, connections)",
    );
    expect(() => validate({ name: 'x', distribution: 'uniform', connections: 0 }, schema, 'p.yaml')).toThrow("field 'connections' must be >= 1");
  });

  it('reports YAML syntax errors with the file name', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'memlab-prof-'));
    const f = path.join(dir, 'bad.yaml');
    writeFileSync(f, 'name: [unclosed\n');
    expect(() => loadProfile('workloads', f, schema)).toThrow(/bad\.yaml: not valid YAML/);
  });

  it('lists the available profiles when a name is unknown', () => {
    expect(() => loadProfile('nosuchkind', 'nope', schema)).toThrow(/no nosuchkind profile named 'nope'/);
  });
});

describe('units', () => {
  it.each([
    ['1ms', 1],
    ['0.5ms', 0.5],
    ['250us', 0.25],
    ['2s', 2000],
    ['1m', 60000],
    ['7', 7],
  ])('duration %s', (t, ms) => expect(parseDuration(t)).toBe(ms));
  it('rejects bad durations', () => expect(parseDuration('1 fortnight')).toBeNull());
  it.each([
    ['16', 16],
    ['1kb', 1000],
    ['4KiB', 4096],
    ['1mb', 1e6],
  ])('size %s', (t, b) => expect(parseSize(t)).toBe(b));
  it.each([
    ['10000/s', 10000],
    ['10k', 10000],
    ['1.5k/s', 1500],
  ])('rate %s', (t, r) => expect(parseRate(t)).toBe(r));
});
