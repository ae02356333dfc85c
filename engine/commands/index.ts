import type { CommandSpec } from './types.js';
import { clientCommands } from './client.js';
import { connectionCommands } from './connection.js';
import { debugCommands } from './debug.js';
import { hashCommands } from './hashes.js';
import { introspectionCommands } from './introspection.js';
import { keyCommands } from './keys.js';
import { listCommands } from './lists.js';
import { memoryCommands } from './memory.js';
import { persistenceCommands } from './persistence.js';
import { pubsubCommands } from './pubsub.js';
import { replicationCommands } from './replication.js';
import { serverCommands } from './server.js';
import { setCommands } from './sets.js';
import { sortedSetCommands } from './sorted-sets.js';
import { stringCommands } from './strings.js';
import { transactionCommands } from './transactions.js';

/** Every command the engine serves. Replication and log commands are added by their modules. */
export function allCommands(): CommandSpec[] {
  return [
    ...connectionCommands,
    ...clientCommands,
    ...serverCommands,
    ...introspectionCommands,
    ...keyCommands,
    ...stringCommands,
    ...hashCommands,
    ...listCommands,
    ...setCommands,
    ...sortedSetCommands,
    ...transactionCommands,
    ...pubsubCommands,
    ...memoryCommands,
    ...debugCommands,
    ...persistenceCommands,
    ...replicationCommands,
  ];
}
