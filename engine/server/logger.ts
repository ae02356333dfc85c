/** Log lines in Redis's spirit: `pid:role time level message`, to stderr. */
export type Level = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';

const ORDER: Record<Level, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARK: Record<Level, string> = { debug: '.', verbose: '-', notice: '*', warning: '#', nothing: ' ' };

export class Logger {
  level: Level;
  constructor(
    readonly name: string,
    level: string = 'notice',
    private readonly sink: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  ) {
    this.level = (level in ORDER ? level : 'notice') as Level;
  }

  private line(level: Level, msg: string): void {
    if (ORDER[level] < ORDER[this.level]) return;
    this.sink(`${process.pid}:${this.name} ${new Date().toISOString()} ${MARK[level]} ${msg}`);
  }

  debug(msg: string): void {
    this.line('debug', msg);
  }
  info(msg: string): void {
    this.line('notice', msg);
  }
  warn(msg: string): void {
    this.line('warning', msg);
  }
}
