/** The benches' command line: `--name` flags and `--name value` options, nothing more. */
const argv = process.argv.slice(2);

/** True if `--name` is on the command line. */
export function flag(name: string): boolean {
  return argv.includes(name);
}

/** The word after `--name`, or `dflt` when the option (or its value) is missing. */
export function opt(name: string, dflt: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}
