/** Worker-thread entry: runs one LoadGenerator and reports to the runner (protocol.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { LoadGenerator, type LoadConfig } from './load.js';
import type { FromWorker, ToWorker } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('lab/bench/worker.js must run as a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

const gen = new LoadGenerator(workerData as LoadConfig, (second, ops) => post({ type: 'interval', second, ops }));

port.on('message', (m: ToWorker) => {
  if (m.type === 'stop') gen.stop();
  else if (m.type === 'start') {
    gen
      .run(m.startAtEpochMs)
      .then(async (final) => {
        post({ type: 'done', final });
        await gen.close();
        port.close();
      })
      .catch((e: Error) => post({ type: 'error', message: e.message }));
  }
});

try {
  await gen.connect();
  await gen.prefill();
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', message: (e as Error).message });
  await gen.close();
  port.close();
}
