/** Shared option parsing for the CLI: clear messages, exit code 2 on bad input. */
export function fail(message: string): never {
  process.stderr.write(`memlab: ${message}\n`);
  process.exit(2);
}

export function parsePort(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) fail(`${flag} must be a port number 0-65535, got '${text}'`);
  return Number(text);
}

/** `name=value` pairs into an object; fails on a pair without '='. */
export function parseConfigPairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) fail(`--config expects name=value, got '${p}'`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}
