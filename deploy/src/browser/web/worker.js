// The Worker entry: runs instances with runtara.js inside this Worker and
// reports to the page that started them (worker-client.js holds their handles).

import { start } from './runtara.js';

const runs = new Map();

function reply(call, work) {
  Promise.resolve()
    .then(work)
    .then(
      (value) => postMessage({ type: 'reply', call, value }),
      (error) => postMessage({ type: 'reply', call, error: String(error?.message ?? error) }),
    );
}

async function begin({ input, options }) {
  const run = await start(input, { ...options, worker: false });
  const id = run.instanceId;
  runs.set(id, run);
  for (const event of ['log', 'checkpoint', 'status', 'stdout', 'stderr']) {
    run.addEventListener(event, (e) => postMessage({ type: 'event', id, event, detail: e.detail }));
  }
  run.result.then(
    (output) => postMessage({ type: 'result', id, output }),
    (error) => postMessage({ type: 'result', id, error }),
  );
  return { status: run.status, durable: run.durable };
}

onmessage = ({ data }) => {
  if (data.op === 'start') return reply(data.call, () => begin(data));
  const run = runs.get(data.id);
  if (!run) return reply(data.call, () => Promise.reject(new Error(`no run of ${data.id} in this worker`)));
  if (data.op === 'signal') return reply(data.call, () => run.signal(data.stepPath, data.payload));
  return reply(data.call, () => run[data.op]());
};
