import { allCommands } from '../commands/index.js';
import { Server, type ServerOptions } from './server.js';

export interface EngineNodeOptions extends ServerOptions {
  port: number;
  bind: string;
}

/** Create and start one engine node: the process `memlab server` runs. */
export async function startEngineNode(opts: EngineNodeOptions): Promise<Server> {
  const server = new Server(allCommands(), { ...opts, config: { ...opts.config, port: opts.port, bind: opts.bind } });
  const addr = await server.listen(opts.port, opts.bind);
  server.log.info(`memlab engine ready to accept connections on ${addr.address}:${addr.port} (pid ${process.pid})`);
  return server;
}
