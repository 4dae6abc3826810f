// The demo page: starts the scenario on the input in the form, shows its
// status, output or error and log lines, and sends pause, resume, cancel and
// signals. An instance left unfinished by a reload is resumed on load.

import { start, durable, info, instances } from './runtara.js';

const $ = (id) => document.getElementById(id);
let run;

$('name').textContent = info.title || info.name;
$('description').textContent = info.description ?? '';
$('agents').textContent = info.agents.length ? `agents: ${info.agents.join(', ')}` : '';
$('input').value = JSON.stringify(info.exampleInput ?? {}, null, 2);
$('mode').textContent = durable
  ? 'durable: checkpoints in IndexedDB'
  : 'not durable: this browser has no JSPI, so checkpoints are kept in memory and lost on reload';
$('mode').className = `badge ${durable ? 'durable' : 'volatile'}`;

function show(status) {
  $('status').textContent = `(${status})`;
  $('status').dataset.status = status;
  const live = !['completed', 'failed', 'cancelled'].includes(status);
  $('pause').disabled = !live || status === 'paused';
  $('resume').disabled = status !== 'paused';
  $('cancel').disabled = !live;
  $('signal').disabled = !live;
  $('start').disabled = live && status !== 'paused';
}

function logLine({ level, message, step, context }) {
  if ($('log').firstElementChild?.tagName === 'PRE') $('log').textContent = '';
  const line = document.createElement('div');
  line.className = `level-${level}`;
  line.textContent = `${level.toUpperCase()} ${step ? `[${step}] ` : ''}${message}`;
  $('log').append(line);
  // A WaitForSignal step says which signal it waits for: the form's default.
  const signalId = context?.signalId;
  if (signalId && !$('signal-step').value) $('signal-step').value = signalId;
  $('log').scrollTop = $('log').scrollHeight;
}

async function follow(handle) {
  run = handle;
  $('instance').value = handle.instanceId;
  $('instance-shown').textContent = `instance ${handle.instanceId}`;
  $('output').textContent = 'Running...';
  $('output').className = 'muted';
  show(handle.status);
  handle.addEventListener('status', (e) => show(e.detail.status));
  handle.addEventListener('log', (e) => logLine(e.detail));
  try {
    const output = await handle.result;
    $('output').textContent = JSON.stringify(output, null, 2);
    $('output').className = '';
  } catch (error) {
    $('output').textContent = JSON.stringify({ error }, null, 2);
    $('output').className = 'level-error';
  }
  show(handle.status);
  // The next start is a new instance, unless an id is typed in.
  $('instance').value = '';
}

$('start-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  let input;
  try {
    input = JSON.parse($('input').value);
  } catch (e) {
    $('output').textContent = `The input is not JSON: ${e.message}`;
    $('output').className = 'level-error';
    return;
  }
  $('log').innerHTML = '<pre class="muted">No log lines yet.</pre>';
  const instanceId = $('instance').value.trim() || undefined;
  try {
    await follow(await start(input, { instanceId, worker: $('in-worker').checked }));
  } catch (e) {
    $('output').textContent = String(e.message ?? e);
    $('output').className = 'level-error';
  }
});
$('pause').onclick = () => run?.pause();
$('resume').onclick = () => run?.resume();
$('cancel').onclick = () => run?.cancel();
$('signal').onclick = async () => {
  let payload;
  try {
    payload = JSON.parse($('signal-payload').value || 'null');
  } catch (e) {
    $('output').textContent = `The signal payload is not JSON: ${e.message}`;
    return;
  }
  await run?.signal($('signal-step').value.trim(), payload);
};

// A reload mid-run: go on with the latest instance that has not ended.
const unfinished = (await instances())
  .filter((i) => !['completed', 'failed', 'cancelled'].includes(i.status))
  .sort((a, b) => b.updatedAt - a.updatedAt)[0];
if (unfinished) {
  $('input').value = JSON.stringify(unfinished.input, null, 2);
  follow(await start(undefined, { instanceId: unfinished.id, worker: $('in-worker').checked }));
}
