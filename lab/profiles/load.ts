import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import YAML from 'yaml';

/**
 * Profiles are YAML files under profiles/<kind>/ (topology, workloads, chaos, pricing).
 * Each kind has a JSON schema; a bad file gets an error that names the file, the field and
 * what is allowed, and nothing is run.
 */
export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repo's profiles/ folder (works from the source tree and from dist/). */
export const PROFILES_DIR = [path.resolve(here, '../../profiles'), path.resolve(here, '../../../profiles')].find((p) => existsSync(p)) ?? path.resolve(here, '../../profiles');

// verbose: errors carry parentSchema, which explain() reads for a pattern's description.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, verbose: true });
const compiled = new WeakMap<object, ValidateFunction>();

function fieldName(e: ErrorObject): string {
  const p = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'required') return p ? `${p}.${e.params.missingProperty}` : String(e.params.missingProperty);
  if (e.keyword === 'additionalProperties') return p ? `${p}.${e.params.additionalProperty}` : String(e.params.additionalProperty);
  return p || '(top level)';
}

function explain(e: ErrorObject, schemaEnumHint?: string): string {
  const field = fieldName(e);
  switch (e.keyword) {
    case 'required':
      return `field '${field}' is required`;
    case 'additionalProperties':
      return `field '${field}' is not a known field${schemaEnumHint ? ` (known: ${schemaEnumHint})` : ''}`;
    case 'enum':
      return `field '${field}' must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `field '${field}' must be ${e.params.type}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `field '${field}' ${e.message}`;
    case 'pattern':
      return `field '${field}' has the wrong format (${e.parentSchema && (e.parentSchema as { description?: string }).description ? (e.parentSchema as { description: string }).description : 'expected ' + e.params.pattern})`;
    default:
      return `field '${field}' ${e.message}`;
  }
}

/** Validate `data` against `schema`; throws ProfileError naming `source` and each bad field. */
export function validate<T>(data: unknown, schema: JSONSchemaType<T> | object, source: string): T {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  if (fn(data)) return data as T;
  const known = (schema as { properties?: Record<string, unknown> }).properties;
  const msgs = [...new Set((fn.errors ?? []).map((e) => explain(e, e.instancePath === '' && known ? Object.keys(known).join(', ') : undefined)))];
  throw new ProfileError(`${source}: ${msgs.join('; ')}`);
}

/** Resolve a profile by name (profiles/<kind>/<name>.yaml) or by path. */
export function resolveProfile(kind: string, nameOrPath: string): string {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml')) {
    if (!existsSync(nameOrPath)) throw new ProfileError(`${nameOrPath}: no such file`);
    return nameOrPath;
  }
  const p = path.join(PROFILES_DIR, kind, `${nameOrPath}.yaml`);
  if (!existsSync(p)) {
    throw new ProfileError(`no ${kind} profile named '${nameOrPath}'; available: ${listProfiles(kind).join(', ') || '(none)'}`);
  }
  return p;
}

export function listProfiles(kind: string): string[] {
  const dir = path.join(PROFILES_DIR, kind);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

/** Read, parse and validate a YAML profile. */
export function loadProfile<T>(kind: string, nameOrPath: string, schema: object): { path: string; profile: T } {
  const file = resolveProfile(kind, nameOrPath);
  let data: unknown;
  try {
    data = YAML.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ProfileError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  return { path: file, profile: validate<T>(data, schema, file) };
}
