/** The Redis version whose semantics the engine follows, reported to clients (HELLO, INFO). */
export const ENGINE_REDIS_VERSION = '7.0.15';
/** memlab's own version. */
export const MEMLAB_VERSION = '0.1.0';
