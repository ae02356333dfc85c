import Redis, { type RedisOptions } from 'ioredis';
import { allCommands } from '../../engine/commands/index.js';
import { Server } from '../../engine/server/server.js';
import { Logger } from '../../engine/server/logger.js';

export interface TestEngine {
  server: Server;
  host: string;
  port: number;
  /** A new ioredis client connected to this engine; closed by `stop`. */
  client(options?: RedisOptions): Redis;
  stop(): Promise<void>;
}

/** An in-process engine on a free loopback port, quiet unless MEMLAB_TEST_LOG is set. */
export async function startEngine(config: Record<string, string | number | boolean> = {}): Promise<TestEngine> {
  const logger = new Logger('test', process.env.MEMLAB_TEST_LOG ? 'debug' : 'nothing');
  const server = new Server(allCommands(), { config, logger });
  const addr = await server.listen(0, '127.0.0.1');
  const clients: Redis[] = [];
  return {
    server,
    host: '127.0.0.1',
    port: addr.port,
    client(options: RedisOptions = {}) {
      const c = new Redis({ host: '127.0.0.1', port: addr.port, maxRetriesPerRequest: 0, lazyConnect: false, ...options });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await server.close();
    },
  };
}
