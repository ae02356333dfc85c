import { type CommandSpec, F_WRITE, flagBits } from './types.js';

/**
 * The one command table: dispatch, arity checks, COMMAND output and the read/write
 * classification used by replication and the durable log all come from here.
 */
export class CommandTable {
  private readonly byName = new Map<string, CommandSpec>();
  // Clients mostly send upper-case names; a second map avoids toLowerCase on the hot path.
  private readonly byUpper = new Map<string, CommandSpec>();

  constructor(specs: Iterable<CommandSpec>) {
    for (const s of specs) this.add(s);
  }

  add(spec: CommandSpec): void {
    if (this.byName.has(spec.name)) throw new Error(`invariant: command '${spec.name}' registered twice`);
    if (spec.name !== spec.name.toLowerCase()) throw new Error(`invariant: command name '${spec.name}' must be lower case`);
    const w = spec.flags.includes('write');
    const r = spec.flags.includes('readonly');
    if (w && r) throw new Error(`invariant: command '${spec.name}' is both write and readonly`);
    spec.bits = flagBits(spec.flags);
    for (const sub of spec.subcommands ?? []) sub.bits = flagBits(sub.flags);
    this.byName.set(spec.name, spec);
    this.byUpper.set(spec.name.toUpperCase(), spec);
  }

  /** Look up by the name a client sent (any case). */
  lookup(name: string): CommandSpec | undefined {
    return this.byUpper.get(name) ?? this.byName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  /** Resolve `CONFIG GET`-style subcommands: the container's subcommand, if it has them. */
  lookupSub(container: CommandSpec, sub: string): CommandSpec | undefined {
    if (!container.subcommands) return undefined;
    const want = container.name + '|' + sub.toLowerCase();
    return container.subcommands.find((s) => s.name === want);
  }

  get size(): number {
    return this.byName.size;
  }

  all(): IterableIterator<CommandSpec> {
    return this.byName.values();
  }

  /** Arity check as Redis does it: exact for positive arity, minimum for negative. */
  static arityOk(spec: CommandSpec, argc: number): boolean {
    return spec.arity > 0 ? argc === spec.arity : argc >= -spec.arity;
  }

  /** Indexes into argv of the command's keys. */
  static keyIndexes(spec: CommandSpec, argv: string[]): number[] {
    if (spec.keys) return spec.keys(argv);
    if (spec.firstKey <= 0) return [];
    const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
    const out: number[] = [];
    for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.step) out.push(i);
    return out;
  }

  static keys(spec: CommandSpec, argv: string[]): string[] {
    return CommandTable.keyIndexes(spec, argv).map((i) => argv[i]);
  }

  static isWrite(spec: CommandSpec): boolean {
    return ((spec.bits ?? flagBits(spec.flags)) & F_WRITE) !== 0;
  }
}
