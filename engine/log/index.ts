export * from './types.js';
export { EntryLog } from './entry-log.js';
export { LogReplica, applyPersistOps, emptyDurable, type DurableState, type PersistOp, type PersistAction, type ReplicaConfig, type ReplicaOut } from './replica.js';
export { Writer, type WriterOut, type WriterInit, type Committed, type Apply, type BecameWriter, type Fenced } from './writer.js';
export { Follower, type FollowerOut, type TakeSnapshot, type NeedSnapshot, type Campaign, type Promoted } from './follower.js';
export { LogClient, type ClientOut, type Role } from './client.js';
