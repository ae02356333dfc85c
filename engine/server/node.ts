import { allCommands } from '../commands/index.js';
import { attachDurable, durableCommands, type DurableOptions } from '../durable/engine.js';
import { replicationOf } from '../replication/replication.js';
import { Server, type ServerOptions } from './server.js';

export interface EngineNodeOptions extends ServerOptions {
  port: number;
  bind: string;
  /** Start as a replica of this primary (`--replicaof HOST PORT`); plain and wait mode. */
  replicaof?: { host: string; port: number };
  /** Local address to dial peers from (replication link, log), like Redis bind-source-addr. */
  sourceAddress?: string;
  /** Durable mode: the node follows the multi-AZ log instead of a primary. */
  durable?: Omit<DurableOptions, 'sourceAddress'>;
}

/** Create and start one engine node: the process `memlab server` runs. */
export async function startEngineNode(opts: EngineNodeOptions): Promise<Server> {
  const commands = opts.durable ? durableCommands(allCommands()) : allCommands();
  const server = new Server(commands, { ...opts, config: { ...opts.config, port: opts.port, bind: opts.bind } });
  if (opts.durable) {
    if (opts.replicaof) throw new Error('--replicaof is for plain and wait mode; a durable node follows the log');
    attachDurable(server, { ...opts.durable, ...(opts.sourceAddress ? { sourceAddress: opts.sourceAddress } : {}) });
  } else {
    // Attached up front so INFO replication and min-replicas-to-write are live from the start.
    replicationOf(server).sourceAddress = opts.sourceAddress;
  }
  const addr = await server.listen(opts.port, opts.bind);
  server.log.info(`memlab engine ready to accept connections on ${addr.address}:${addr.port} (pid ${process.pid})`);
  if (opts.replicaof) replicationOf(server).replicaOf(opts.replicaof.host, opts.replicaof.port, false);
  return server;
}
