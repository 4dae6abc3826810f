// Where an instance's state is kept in the browser: its input, status and
// result, its checkpoints, durable sleeps, signals and pause/cancel requests.
// States are kept as the JSON text the component gave. The same rules as
// runtara's state store (store/src/): a checkpoint saved once
// is kept, a taken signal is kept for a resumed run, a sleep's end is recorded
// the first time it is asked.
//
// `IndexedDbJournal` keeps it across reloads (every method returns a promise,
// so the component reaches it through JSPI); `MemoryJournal` keeps it in this
// page only (every method returns at once, for browsers without JSPI).

const FINAL = new Set(['completed', 'failed', 'cancelled']);

export function isFinal(status) {
  return FINAL.has(status);
}

function newInstance(id, input, component) {
  const now = Date.now();
  return {
    id,
    input,
    component,
    status: 'pending',
    output: undefined,
    error: undefined,
    control: null,
    wakeAt: null,
    nextSeq: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/** What `start` finds: a new instance, one to resume, one that ended, or a conflict. */
function startOutcome(instance, created, input, component) {
  if (created) return { kind: 'new', instance };
  if (input !== undefined && JSON.stringify(input) !== JSON.stringify(instance.input)) {
    return { kind: 'other-input', instance };
  }
  if (instance.component && component && instance.component !== component) {
    return { kind: 'other-component', instance };
  }
  if (isFinal(instance.status)) return { kind: 'ended', instance };
  return { kind: 'resumed', instance };
}

/** The status an instance gets when it ended with `error` (a workflow error). */
function failedStatus(error) {
  return error && error.code === 'CANCELLED' ? 'cancelled' : 'failed';
}

// ---------------------------------------------------------------------------

const DB_VERSION = 1;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('the IndexedDB transaction was aborted'));
  });
}

/** Durable: IndexedDB database `name`, one row per instance, checkpoint, sleep and signal. */
export class IndexedDbJournal {
  static async open(name) {
    const open = indexedDB.open(name, DB_VERSION);
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore('instances', { keyPath: 'id' });
      const checkpoints = db.createObjectStore('checkpoints', { keyPath: ['instance', 'id'] });
      checkpoints.createIndex('bySeq', ['instance', 'seq']);
      db.createObjectStore('sleeps', { keyPath: ['instance', 'id'] });
      db.createObjectStore('signals', { keyPath: ['instance', 'id'] });
    };
    return new IndexedDbJournal(await request(open));
  }

  constructor(db) {
    this.db = db;
    this.durable = true;
  }

  async #update(id, change) {
    const tx = this.db.transaction('instances', 'readwrite');
    const instances = tx.objectStore('instances');
    const instance = await request(instances.get(id));
    if (instance) {
      change(instance);
      instance.updatedAt = Date.now();
      instances.put(instance);
    }
    await done(tx);
    return instance;
  }

  async start(id, input, component) {
    const tx = this.db.transaction('instances', 'readwrite');
    const instances = tx.objectStore('instances');
    let instance = await request(instances.get(id));
    const created = !instance;
    if (created) {
      instance = newInstance(id, input ?? {}, component);
      instances.add(instance);
    }
    await done(tx);
    return startOutcome(instance, created, input, component);
  }

  instance(id) {
    return request(this.db.transaction('instances').objectStore('instances').get(id));
  }

  async instances() {
    return request(this.db.transaction('instances').objectStore('instances').getAll());
  }

  async register(id) {
    await this.#update(id, (i) => {
      i.status = 'running';
    });
    const index = this.db.transaction('checkpoints').objectStore('checkpoints').index('bySeq');
    const range = IDBKeyRange.bound([id, 0], [id, Number.MAX_SAFE_INTEGER]);
    const rows = await request(index.getAll(range));
    return rows.map((row) => ({ id: row.id, state: row.state }));
  }

  /** One transaction: the existing state or the new row (seq from the instance's counter), and the control. */
  async checkpoint(id, checkpointId, state) {
    const tx = this.db.transaction(['instances', 'checkpoints'], 'readwrite');
    const checkpoints = tx.objectStore('checkpoints');
    const instances = tx.objectStore('instances');
    const [existing, instance] = await Promise.all([
      request(checkpoints.get([id, checkpointId])),
      request(instances.get(id)),
    ]);
    let seq = existing?.seq;
    if (!existing) {
      seq = instance.nextSeq++;
      checkpoints.add({ instance: id, id: checkpointId, seq, state });
      instances.put(instance);
    }
    await done(tx);
    return { existing: existing?.state, control: instance.control, seq, saved: !existing };
  }

  async control(id) {
    return (await this.instance(id))?.control ?? null;
  }

  async requestControl(id, control) {
    let accepted = false;
    await this.#update(id, (i) => {
      if (!isFinal(i.status)) {
        i.control = control;
        accepted = true;
      }
    });
    return accepted;
  }

  async sleepUntil(id, checkpointId, wakeAt) {
    const tx = this.db.transaction('sleeps', 'readwrite');
    const sleeps = tx.objectStore('sleeps');
    const existing = await request(sleeps.get([id, checkpointId]));
    if (!existing) sleeps.add({ instance: id, id: checkpointId, wakeAt });
    await done(tx);
    return existing ? existing.wakeAt : wakeAt;
  }

  async sendSignal(id, signalId, payload) {
    const tx = this.db.transaction('signals', 'readwrite');
    const signals = tx.objectStore('signals');
    const existing = await request(signals.get([id, signalId]));
    const delivered = !existing?.takenAt;
    if (delivered) signals.put({ instance: id, id: signalId, payload, takenAt: null });
    await done(tx);
    return delivered;
  }

  async takeSignal(id, signalId) {
    const tx = this.db.transaction('signals', 'readwrite');
    const signals = tx.objectStore('signals');
    const signal = await request(signals.get([id, signalId]));
    if (signal && !signal.takenAt) {
      signal.takenAt = Date.now();
      signals.put(signal);
    }
    await done(tx);
    return signal?.payload;
  }

  async finish(id, status, result) {
    return this.#update(id, (i) => {
      i.status = status;
      i.control = null;
      if (status === 'completed') i.output = result;
      else i.error = result;
    });
  }

  async fail(id, error) {
    return this.finish(id, failedStatus(error), error);
  }

  /** Paused (it was asked to) or sleeping until its latest durable sleep ends. */
  async suspend(id) {
    const tx = this.db.transaction(['instances', 'sleeps'], 'readwrite');
    const instances = tx.objectStore('instances');
    const instance = await request(instances.get(id));
    const sleeps = await request(
      tx.objectStore('sleeps').getAll(IDBKeyRange.bound([id, ''], [id, '\uffff'])),
    );
    suspendInPlace(instance, sleeps);
    instances.put(instance);
    await done(tx);
    return instance;
  }

  async resume(id) {
    return this.#update(id, (i) => {
      if (i.status === 'paused') i.status = 'pending';
    });
  }
}

function suspendInPlace(instance, sleeps) {
  if (instance.control === 'pause') {
    instance.status = 'paused';
  } else {
    instance.status = 'sleeping';
    instance.wakeAt = Math.max(0, ...sleeps.map((s) => s.wakeAt));
  }
  instance.control = null;
  instance.updatedAt = Date.now();
}

// ---------------------------------------------------------------------------

/** Not durable: the same rules in this page's memory, answered at once. */
export class MemoryJournal {
  constructor() {
    this.durable = false;
    this.rows = new Map();
  }

  #row(id) {
    return this.rows.get(id);
  }

  start(id, input, component) {
    let row = this.#row(id);
    const created = !row;
    if (created) {
      row = {
        instance: newInstance(id, input ?? {}, component),
        checkpoints: new Map(),
        sleeps: new Map(),
        signals: new Map(),
      };
      this.rows.set(id, row);
    }
    return startOutcome(row.instance, created, input, component);
  }

  instance(id) {
    return this.#row(id)?.instance;
  }

  instances() {
    return [...this.rows.values()].map((row) => row.instance);
  }

  register(id) {
    const row = this.#row(id);
    row.instance.status = 'running';
    return [...row.checkpoints.entries()]
      .sort((a, b) => a[1].seq - b[1].seq)
      .map(([checkpointId, c]) => ({ id: checkpointId, state: c.state }));
  }

  checkpoint(id, checkpointId, state) {
    const row = this.#row(id);
    const existing = row.checkpoints.get(checkpointId);
    let seq = existing?.seq;
    if (!existing) {
      seq = row.instance.nextSeq++;
      row.checkpoints.set(checkpointId, { seq, state });
    }
    return { existing: existing?.state, control: row.instance.control, seq, saved: !existing };
  }

  control(id) {
    return this.instance(id)?.control ?? null;
  }

  requestControl(id, control) {
    const instance = this.instance(id);
    if (!instance || isFinal(instance.status)) return false;
    instance.control = control;
    return true;
  }

  sleepUntil(id, checkpointId, wakeAt) {
    const sleeps = this.#row(id).sleeps;
    if (!sleeps.has(checkpointId)) sleeps.set(checkpointId, wakeAt);
    return sleeps.get(checkpointId);
  }

  sendSignal(id, signalId, payload) {
    const signals = this.#row(id)?.signals;
    if (!signals) return false;
    const existing = signals.get(signalId);
    if (existing?.takenAt) return false;
    signals.set(signalId, { payload, takenAt: null });
    return true;
  }

  takeSignal(id, signalId) {
    const signal = this.#row(id).signals.get(signalId);
    if (signal && !signal.takenAt) signal.takenAt = Date.now();
    return signal?.payload;
  }

  finish(id, status, result) {
    const instance = this.instance(id);
    instance.status = status;
    instance.control = null;
    if (status === 'completed') instance.output = result;
    else instance.error = result;
    return instance;
  }

  fail(id, error) {
    return this.finish(id, failedStatus(error), error);
  }

  suspend(id) {
    const row = this.#row(id);
    const sleeps = [...row.sleeps.values()].map((wakeAt) => ({ wakeAt }));
    suspendInPlace(row.instance, sleeps);
    return row.instance;
  }

  resume(id) {
    const instance = this.instance(id);
    if (instance?.status === 'paused') instance.status = 'pending';
    return instance;
  }
}
