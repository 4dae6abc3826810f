// runtara's browser host: runs the transpiled scenario component in this page or
// Worker, and provides the `runtara:durable/context` it imports.
//
//   import { start } from './runtara.js';
//   const run = await start({ order: {...} }, { instanceId: 'order-42' });
//   run.addEventListener('log', (e) => console.log(e.detail.message));
//   console.log(await run.result);
//
// With JSPI (`WebAssembly.Suspending`, Chromium 137 and later) the instance is
// durable: checkpoints, sleeps and signals are kept in IndexedDB, and a page
// reloaded mid-run resumes it (`start` again with the same instance id, or
// `resumeUnfinished()`) without redoing finished steps. Without JSPI a build
// that keeps them in memory runs instead, and `durable` says false.
//
// WASI comes from @bytecodealliance/preview2-shim's browser build (npm).

import * as wasi from './node_modules/@bytecodealliance/preview2-shim/dist/browser/index.js';
import { IndexedDbJournal, MemoryJournal, isFinal } from './journal.js';
import scenario from './scenario/scenario.json' with { type: 'json' };

/** True when this browser has JSPI, so runs are durable in IndexedDB. */
export const durable = typeof WebAssembly.Suspending === 'function';

/** What was deployed: the scenario's name, its component's digest and its agents. */
export const info = scenario;

/** How often a wait in the host (a durable sleep) looks for pause and cancel. */
const CONTROL_CHECK_MS = 100;

const here = import.meta.url;
let journal;
let transpiled;
const coreModules = new Map();

function openJournal() {
  journal ??= durable
    ? IndexedDbJournal.open(`runtara:${scenario.name}`)
    : Promise.resolve(new MemoryJournal());
  return journal;
}

function loadScenario() {
  transpiled ??= import(new URL(durable ? './scenario/jspi.js' : './scenario/sync.js', here));
  return transpiled;
}

function coreModule(name) {
  if (!coreModules.has(name)) {
    const url = new URL(`./scenario/${name}`, here);
    coreModules.set(name, WebAssembly.compileStreaming(fetch(url)));
  }
  return coreModules.get(name);
}

/**
 * Starts the workflow on `input` as instance `instanceId` (a new id when none is
 * given), or resumes that instance when it exists and has not ended; an instance
 * that ended answers with its result at once.
 *
 * Options: `instanceId`; `worker: true` runs it in a Web Worker (worker.js) so
 * this page stays responsive; `files` grants the file agent an in-memory
 * directory tree, e.g. `{ '/data': { dir: { 'a.txt': { source: 'hello' } } } }`;
 * `opfs` grants it directories of the Origin Private File System, which outlive
 * the page, e.g. `{ '/data': 'orders' }` (a step's writes reach OPFS before its
 * checkpoint is saved). Returns a `Run` handle.
 */
export async function start(input, options = {}) {
  if (options.worker) {
    const { startInWorker } = await import('./worker-client.js');
    return startInWorker(input, options);
  }
  const instanceId = options.instanceId ?? crypto.randomUUID();
  const found = await (await openJournal()).start(instanceId, input, scenario.digest);
  if (found.kind === 'other-input') {
    throw new Error(
      `instance ${instanceId} was started with another input; start it without an input to resume it`,
    );
  }
  if (found.kind === 'other-component') {
    throw new Error(
      `instance ${instanceId} was started by another component (${found.instance.component}), this one is ${scenario.digest}`,
    );
  }
  const run = new Run(instanceId, options);
  run._begin(found.instance);
  return run;
}

/** Resumes every instance of this scenario that has not ended and is not paused. */
export async function resumeUnfinished(options = {}) {
  const all = await (await openJournal()).instances();
  const runs = [];
  for (const instance of all) {
    if (!isFinal(instance.status) && instance.status !== 'paused') {
      runs.push(await start(undefined, { ...options, instanceId: instance.id }));
    }
  }
  return runs;
}

/** Every instance kept in this browser: id, status, input, output or error. */
export async function instances() {
  return (await openJournal()).instances();
}

/**
 * One instance. `result` settles when it ends: with its output, or rejected
 * with its workflow error (`{stepId, code, message, category, attributes}`).
 * Events: `log` ({level, message, step, context, timestamp}), `checkpoint` ({id, seq}),
 * `status` ({status}), and `stdout` and `stderr` ({line}: what the component
 * printed, line by line).
 */
export class Run extends EventTarget {
  #settle;

  constructor(instanceId, options) {
    super();
    this.instanceId = instanceId;
    this.status = 'pending';
    this.durable = durable;
    this.files = options.files;
    this.opfs = options.opfs;
    this.result = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // A run nobody awaits must not report an unhandled rejection.
    this.result.catch(() => {});
  }

  async pause() {
    return (await openJournal()).requestControl(this.instanceId, 'pause');
  }

  async cancel() {
    const store = await openJournal();
    if (this.running) return store.requestControl(this.instanceId, 'cancel');
    // Not running (paused, or waiting out a sleep): nothing to stop, it ends now,
    // as in the core service.
    const instance = await store.instance(this.instanceId);
    if (!instance || isFinal(instance.status)) return false;
    const ended = await store.fail(this.instanceId, {
      code: 'CANCELLED',
      message: `${this.instanceId} was cancelled while it was not running`,
      category: 'permanent',
    });
    clearTimeout(this.wake);
    this._ended(ended);
    return true;
  }

  async resume() {
    const instance = await (await openJournal()).resume(this.instanceId);
    if (instance?.status !== 'pending') return false;
    this._runNow();
    return true;
  }

  /** Delivers `payload` to the WaitForSignal step `stepPath` (e.g. `approve`, `split[2].approve`). */
  async signal(stepPath, payload) {
    return (await openJournal()).sendSignal(this.instanceId, stepPath, payload);
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _setStatus(status) {
    this.status = status;
    this._emit('status', { status });
  }

  _begin(instance) {
    if (instance.status === 'completed') {
      this._setStatus('completed');
      this.#settle.resolve(instance.output);
    } else if (isFinal(instance.status)) {
      this._setStatus(instance.status);
      this.#settle.reject(instance.error);
    } else if (instance.status === 'paused') {
      this._setStatus('paused');
    } else {
      this._runNow();
    }
  }

  /** Runs the instance until it ends or stops, one run at a time across tabs. */
  _runNow() {
    if (this.running) return;
    this.running = true;
    const once = () => runInstance(this).finally(() => (this.running = false));
    const locked = globalThis.navigator?.locks
      ? navigator.locks.request(`runtara:${scenario.name}:${this.instanceId}`, once)
      : once();
    locked.catch((error) => this._stopped(error));
  }

  _ended(instance) {
    this._begin(instance);
  }

  _stopped(error) {
    this._setStatus('failed');
    this.#settle.reject({
      stepId: null,
      code: 'HOST_ERROR',
      message: `the browser host stopped the run: ${error?.message ?? error}`,
      category: 'permanent',
      attributes: {},
    });
  }
}

/** One run of an instance in a fresh component instance. */
async function runInstance(run) {
  const store = await openJournal();
  const { instantiate } = await loadScenario();
  const instance = await store.instance(run.instanceId);
  if (isFinal(instance.status)) return run._ended(instance);
  run._setStatus('running');
  const filesystem = await directories(run);
  const cli = wasi.cli.createCli({ stdout: lines(run, 'stdout'), stderr: lines(run, 'stderr') });
  const component = await instantiate(coreModule, imports(run, store, filesystem, cli));
  let outcome;
  try {
    const output = await component.workflow.runInstance(
      run.instanceId,
      JSON.stringify(instance.input),
    );
    outcome = { output: JSON.parse(output) };
  } catch (error) {
    if (error?.payload === undefined) throw error;
    outcome = { error: workflowError(error.payload) };
  } finally {
    await filesystem.dispose();
  }
  const after = await store.instance(run.instanceId);
  if (after.status === 'sleeping') {
    // The sync build cannot wait inside the component: the run stopped at a
    // durable sleep, and starts again when it is over.
    run._setStatus('sleeping');
    run.wake = setTimeout(() => run._runNow(), Math.max(0, after.wakeAt - Date.now()));
  } else if (after.status === 'paused') {
    run._setStatus('paused');
  } else if (isFinal(after.status)) {
    run._ended(after);
  } else {
    // The component ended without telling the provider (it should not): keep its result.
    const ended = outcome.error
      ? await store.fail(run.instanceId, outcome.error)
      : await store.finish(run.instanceId, 'completed', outcome.output);
    run._ended(ended);
  }
}

/**
 * The directories the file agent sees: `files` in memory, and `opfs` loaded
 * from the Origin Private File System and written back to it. `flush()` writes
 * them back now (the durable context calls it before each checkpoint).
 */
async function directories(run) {
  const memory = wasi.filesystem.createFilesystem({
    adapter: new wasi.filesystem.InMemoryFilesystemAdapter(),
    preopens: run.files ?? {},
  });
  const wanted = Object.entries(run.opfs ?? {});
  if (wanted.length === 0) return { ...memory, flush: () => undefined };
  const root = await navigator.storage.getDirectory();
  const preopens = {};
  for (const [guestPath, name] of wanted) {
    if (typeof name !== 'string' || !/^[^/\\]+$/.test(name) || name === '.' || name === '..') {
      throw new Error(`opfs: ${guestPath} names ${JSON.stringify(name)}, not one OPFS directory name`);
    }
    const handle = await root.getDirectoryHandle(name, { create: true });
    preopens[guestPath] = await wasi.filesystem.loadOpfsCapability(handle);
  }
  const adapter = new wasi.filesystem.OpfsFilesystemAdapter();
  // One write-back at a time: the adapter starts one after every change too,
  // and two at once would race on the same files.
  const writeBack = adapter.flush.bind(adapter);
  let written = Promise.resolve();
  adapter.flush = () => (written = written.then(writeBack, writeBack));
  const kept = wasi.filesystem.createFilesystem({ adapter, preopens });
  return {
    types: memory.types,
    preopens: {
      getDirectories: () => [...memory.preopens.getDirectories(), ...kept.preopens.getDirectories()],
    },
    flush: () => adapter.flush(),
    async dispose() {
      memory.dispose();
      kept.dispose();
      await written;
    },
  };
}

/** The workflow error as `runtara run` prints it. */
function workflowError(payload) {
  let attributes = null;
  try {
    attributes = JSON.parse(payload.attributes);
  } catch {
    // Not JSON: kept as null, as the runtara host does.
  }
  return {
    stepId: payload.stepId ?? null,
    code: payload.code,
    message: payload.message,
    category: payload.category,
    attributes,
  };
}

function parseOr(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const ok = (val) => ({ tag: 'ok', val });
const err = (val) => ({ tag: 'err', val: String(val?.message ?? val) });

/** What the component imports: WASI from the shim, the durable context from us. */
function imports(run, store, filesystem, cli) {
  const id = run.instanceId;
  const byInterface = {
    'runtara:durable/context': durableContext(run, store, filesystem),
    'wasi:cli/environment': cli.environment,
    'wasi:cli/stdin': cli.stdin,
    'wasi:cli/stdout': cli.stdout,
    'wasi:cli/stderr': cli.stderr,
    'wasi:filesystem/preopens': filesystem.preopens,
    'wasi:filesystem/types': filesystem.types,
  };
  return new Proxy(byInterface, {
    get(target, name) {
      if (name in target) return target[name];
      // `wasi:cli/terminal-input` -> wasi.cli.terminalInput
      const [, pkg, iface] = /^wasi:([a-z-]+)\/([a-z-]+)$/.exec(name) ?? [];
      const camel = iface?.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
      const found = pkg && wasi[pkg]?.[camel];
      if (!found) throw new Error(`${id}: the browser host has no ${String(name)}`);
      return found;
    },
  });
}

/** An output stream that hands the run each complete line, as a `stdout` or `stderr` event. */
function lines(run, stream) {
  const decoder = new TextDecoder();
  let pending = '';
  const emit = (line) => run._emit(stream, { line });
  return {
    write(bytes) {
      pending += decoder.decode(bytes, { stream: true });
      const complete = pending.split('\n');
      pending = complete.pop();
      complete.forEach(emit);
    },
    blockingFlush() {},
    drop() {
      pending += decoder.decode();
      if (pending) emit(pending);
      pending = '';
    },
  };
}

function durableContext(run, store, filesystem) {
  const id = run.instanceId;
  // In the sync build every call must answer at once: MemoryJournal does.
  const then = (value, f) => (value instanceof Promise ? value.then(f) : f(value));
  // What the finished step wrote to OPFS is kept before its checkpoint is (the
  // sync build cannot wait for it, and keeps nothing across a reload anyway).
  const flushed = (f) => (durable ? then(filesystem.flush(), f) : f());
  const guarded = (f) => (...args) => {
    try {
      const answer = f(...args);
      return answer instanceof Promise ? answer.catch(err) : answer;
    } catch (e) {
      return err(e);
    }
  };
  return {
    register: guarded(() => then(store.register(id), ok)),
    checkpoint: guarded((checkpointId, state) =>
      then(flushed(() => store.checkpoint(id, checkpointId, state)), (reply) => {
        if (reply.saved) run._emit('checkpoint', { id: checkpointId, seq: reply.seq });
        return ok({
          existingState: reply.existing,
          shouldPause: reply.control === 'pause',
          shouldCancel: reply.control === 'cancel',
        });
      }),
    ),
    pollSignal: () =>
      then(store.control(id), (control) => (control ? { kind: control } : undefined)),
    takeSignal: guarded((signalId) =>
      then(store.takeSignal(id, signalId), (payload) => {
        if (payload !== undefined) return ok(JSON.stringify(payload));
        if (!durable) {
          return err(
            `signal '${signalId}' has not arrived, and this browser cannot wait for it (no JSPI: WebAssembly.Suspending)`,
          );
        }
        return ok(undefined);
      }),
    ),
    // The page cannot be woken by a signal it is not running to see: the run polls.
    awaitSignal: () => ok('poll'),
    sleep: guarded((durationMs, checkpointId) => {
      const wanted = Date.now() + Number(durationMs);
      return then(store.sleepUntil(id, checkpointId, wanted), (wakeAt) =>
        durable ? waitInPlace(store, id, wakeAt) : ok('suspend'),
      );
    }),
    // `event` is the runtime's log event: {timestamp, level, step, message, context}.
    log: (level, message, event) => {
      const { step, context, timestamp } = parseOr(event) ?? {};
      run._emit('log', { level, message, step: step || null, context, timestamp });
    },
    completed: (output) => flushed(() => then(store.finish(id, 'completed', parseOr(output)), () => {})),
    failed: (error) => flushed(() => then(store.fail(id, parseOr(error)), () => {})),
    suspended: () => flushed(() => then(store.suspend(id), () => {})),
  };
}

/**
 * Waits until `wakeAt`, looking for pause and cancel: a pause suspends the
 * instance (a resumed run waits only what is left), a cancel ends the wait so
 * that the step's checkpoint sees it.
 */
async function waitInPlace(store, id, wakeAt) {
  for (;;) {
    const left = wakeAt - Date.now();
    if (left <= 0) return ok('done');
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, CONTROL_CHECK_MS)));
    const control = await store.control(id);
    if (control === 'pause') return ok('suspend');
    if (control === 'cancel') return ok('done');
  }
}
