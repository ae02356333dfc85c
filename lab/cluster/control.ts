/**
 * The supervisor's control endpoint: JSON lines on loopback, as the delay line's.
 *
 *   request  {"id":1,"cmd":"fault","args":{"kind":"cut","target":"n1"}}
 *   response {"id":1,"ok":true,"result":{...}}  |  {"id":1,"ok":false,"error":"..."}
 *
 * Commands: ping, state, status, fault, stop. `memlab status`, `memlab fault` and chaos
 * in other processes talk to a running cluster through it (ClusterControl).
 */
import type { Endpoint } from '../network/delay-line.js';
import { JsonLineClient, JsonLineServer, type Handler } from '../network/json-lines.js';

export type { Handler };

/** The supervisor's endpoint: its handler is set once the supervisor exists. */
export { JsonLineServer as ControlServer };

/** Client of a supervisor's control endpoint. */
export class ClusterControl {
  private constructor(private readonly conn: JsonLineClient) {}

  get endpoint(): Endpoint {
    return this.conn.endpoint;
  }

  static async connect(endpoint: Endpoint, timeoutMs = 3000): Promise<ClusterControl> {
    return new ClusterControl(await JsonLineClient.connect(endpoint, 'supervisor control', 'supervisor: error', timeoutMs));
  }

  call<T = unknown>(cmd: string, args: object = {}): Promise<T> {
    return this.conn.call(cmd, args) as Promise<T>;
  }

  close(): void {
    this.conn.close();
  }
}
