/** A node run as this process (`memlab server`, `memlab lognode`): how it stops. */

export interface ForegroundNode {
  log: { info(message: string): void };
  close(): Promise<void>;
}

/**
 * SIGINT or SIGTERM closes the node, then the process exits 0. With `exitWithParent`, the
 * process exits as soon as stdin closes: the parent's end of the pipe closes however it
 * dies (even SIGKILL), so the node never outlives the lab supervisor that started it.
 */
export function runInForeground(node: ForegroundNode, exitWithParent: boolean | undefined): void {
  const stop = (signal: string) => {
    node.log.info(`received ${signal}, shutting down`);
    node.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  if (exitWithParent) {
    const gone = () => process.exit(0);
    process.stdin.on('end', gone);
    process.stdin.on('error', gone);
    process.stdin.resume();
  }
}
