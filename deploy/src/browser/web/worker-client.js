// The page's side of a run in a Web Worker: a handle with the same methods,
// events and `result` as a run in the page, that forwards to worker.js.

let worker;
let calls = 0;
const waiting = new Map();
const handles = new Map();

function connect() {
  if (worker) return worker;
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    if (data.type === 'reply') {
      const { resolve, reject } = waiting.get(data.call);
      waiting.delete(data.call);
      if ('error' in data) reject(new Error(data.error));
      else resolve(data.value);
      return;
    }
    const handle = handles.get(data.id);
    if (!handle) return;
    if (data.type === 'event') {
      if (data.event === 'status') handle.status = data.detail.status;
      handle.dispatchEvent(new CustomEvent(data.event, { detail: data.detail }));
    } else if (data.type === 'result') {
      if ('error' in data) handle._reject(data.error);
      else handle._resolve(data.output);
    }
  };
  worker.onerror = (event) => {
    for (const handle of handles.values()) {
      handle._reject({
        stepId: null,
        code: 'HOST_ERROR',
        message: `the Worker failed: ${event.message}`,
        category: 'permanent',
        attributes: {},
      });
    }
  };
  return worker;
}

function ask(message) {
  const call = ++calls;
  return new Promise((resolve, reject) => {
    waiting.set(call, { resolve, reject });
    connect().postMessage({ ...message, call });
  });
}

class WorkerRun extends EventTarget {
  constructor(instanceId) {
    super();
    this.instanceId = instanceId;
    this.status = 'pending';
    this.result = new Promise((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    this.result.catch(() => {});
  }

  pause() {
    return ask({ op: 'pause', id: this.instanceId });
  }

  resume() {
    return ask({ op: 'resume', id: this.instanceId });
  }

  cancel() {
    return ask({ op: 'cancel', id: this.instanceId });
  }

  signal(stepPath, payload) {
    return ask({ op: 'signal', id: this.instanceId, stepPath, payload });
  }
}

export async function startInWorker(input, options) {
  const instanceId = options.instanceId ?? crypto.randomUUID();
  const handle = handles.get(instanceId) ?? new WorkerRun(instanceId);
  handles.set(instanceId, handle);
  const { worker: _, ...rest } = options;
  const started = await ask({ op: 'start', input, options: { ...rest, instanceId } });
  handle.durable = started.durable;
  handle.status = started.status;
  return handle;
}
