// Drives Debian's Chromium in real time with puppeteer-core for tests/browser.rs:
//
//   node driver.mjs PLAN.json   ->   one JSON line of results on stdout
//
// PLAN: { root, nodeModules, chromium, screenshots, task, ... }. `root` holds
// deployed folders (`runtara deploy browser`), served over loopback HTTP; any
// `/<folder>/node_modules/...` is served from `nodeModules`, the shared npm
// install. Tasks:
// - parity: { cases: [{ name, folder, input, signals, files, modes }] } runs each
//   case in a fresh page (`page`), in a Web Worker (`worker`) or in a page
//   without JSPI (`nojspi`), returning { output } or { error } (the workflow
//   error) or { hostError }. `servers` maps a placeholder in inputs (e.g.
//   `${SERVER}`) to a folder served with CORS headers.
// - reload: { folder, input, signal: { step, payload }, counter } starts the
//   instance from the demo page, reloads during the durable Delay and again
//   while WaitForSignal waits, sends the signal through the form, and returns
//   the output shown, the page's log and the counts the loopback server saw.
// - cors: { folder, cases: [{ name, input }] } runs each in the page, against a
//   loopback server that sends CORS headers and one that does not.
// - control: { folder, input, modes } pauses an instance during its durable
//   Delay, resumes it, and cancels it while it waits for a signal; pauses a
//   second one and cancels it while paused. Returns what each saw.
// - opfs: { folder, input, directory, mode } starts an instance whose file
//   agent writes to an OPFS directory, reloads the page once the first step
//   checkpointed, resumes it, and returns its result and the file as OPFS has it.
// - demo: { shots: [{ name, folder, input }] } fills the demo page's form, starts,
//   waits for the output and saves `<screenshots>/<name>.png`.

import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
// puppeteer-core from the shared install (ES modules ignore NODE_PATH).
const installed = createRequire(path.join(plan.nodeModules, 'installed.js'));
const { default: puppeteer } = await import(pathToFileURL(installed.resolve('puppeteer-core')));
const CASE_TIMEOUT_MS = plan.caseTimeoutMs ?? 60_000;

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

function listen(handler) {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${server.address().port}` })),
  );
}

/** The deployed folders, and `node_modules` from the shared install. */
function serveFolders(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const parts = decodeURIComponent(url.pathname).split('/').filter(Boolean);
  if (parts.includes('..')) return send(res, 400, 'no');
  if (parts.at(-1) === '__blank.html') {
    return send(res, 200, '<!doctype html><title>runtara test</title>', 'text/html');
  }
  const modules = parts.indexOf('node_modules');
  const file =
    modules >= 0
      ? path.join(plan.nodeModules, ...parts.slice(modules + 1))
      : path.join(plan.root, ...parts, url.pathname.endsWith('/') ? 'index.html' : '');
  fs.readFile(file, (error, data) => {
    if (error) return send(res, 404, `not found: ${url.pathname}`);
    send(res, 200, data, TYPES[path.extname(file)] ?? 'application/octet-stream');
  });
}

function send(res, status, body, type = 'text/plain') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** Serves `dir`'s files to any page (CORS). */
function serveDir(dir) {
  return (req, res) => {
    const parts = decodeURIComponent(new URL(req.url, 'http://localhost').pathname).split('/');
    if (parts.includes('..')) return send(res, 400, 'no');
    fs.readFile(path.join(dir, ...parts), (error, data) => {
      res.writeHead(error ? 404 : 200, {
        'content-type': error ? 'text/plain' : 'application/json',
        'access-control-allow-origin': '*',
      });
      res.end(error ? 'not found' : data);
    });
  };
}

/** `value` with each placeholder of `bases` replaced by its server's base URL. */
function substitute(value, bases) {
  let text = JSON.stringify(value);
  for (const [placeholder, base] of Object.entries(bases)) text = text.replaceAll(placeholder, base);
  return JSON.parse(text);
}

/** Counts requests by path; `cors` says whether it lets pages read its answers. */
function counter(cors) {
  const counts = {};
  const handler = (req, res) => {
    const headers = { 'content-type': 'application/json' };
    if (cors) {
      headers['access-control-allow-origin'] = '*';
      headers['access-control-allow-headers'] = '*';
      headers['access-control-allow-methods'] = 'GET, POST, PUT, DELETE, OPTIONS';
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, headers);
      return res.end();
    }
    const key = new URL(req.url, 'http://localhost').pathname;
    counts[key] = (counts[key] ?? 0) + 1;
    res.writeHead(200, headers);
    res.end(JSON.stringify({ path: key, count: counts[key] }));
  };
  return { counts, handler };
}

async function launch() {
  return puppeteer.launch({
    executablePath: plan.chromium,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

async function newPage(browser, errors) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('favicon')) errors.push(`console: ${m.text()}`);
  });
  return page;
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one case in a fresh page: in the page itself, or in a Web Worker. */
async function runCase(browser, base, testCase, mode) {
  const errors = [];
  const page = await newPage(browser, errors);
  if (mode === 'nojspi') {
    // A browser without JSPI: the host must pick the sync build.
    await page.evaluateOnNewDocument(() => {
      delete WebAssembly.Suspending;
      delete WebAssembly.promising;
    });
  }
  try {
    await page.goto(`${base}/${testCase.folder}/__blank.html`);
    const result = await withTimeout(
      page.evaluate(
        async ({ folder, input, signals, files, worker, instanceId }) => {
          const { start, durable } = await import(`/${folder}/runtara.js`);
          const run = await start(input, { instanceId, worker, files });
          for (const [step, payload] of Object.entries(signals ?? {})) {
            await run.signal(step, payload);
          }
          try {
            return { durable, output: await run.result };
          } catch (error) {
            return { durable, error };
          }
        },
        {
          folder: testCase.folder,
          input: testCase.input,
          signals: testCase.signals,
          files: testCase.files,
          worker: mode === 'worker',
          instanceId: `${testCase.name}-${mode}-${Date.now()}`,
        },
      ),
      `${testCase.name} (${mode})`,
    );
    return result;
  } catch (error) {
    return { hostError: String(error?.message ?? error), console: errors };
  } finally {
    await page.close();
  }
}

async function parity(browser, base) {
  const servers = [];
  const bases = {};
  for (const [placeholder, dir] of Object.entries(plan.servers ?? {})) {
    const served = await listen(serveDir(dir));
    servers.push(served.server);
    bases[placeholder] = served.base;
  }
  try {
    const results = [];
    for (const testCase of plan.cases) {
      const input = substitute(testCase.input, bases);
      for (const mode of testCase.modes ?? ['page', 'worker']) {
        const started = Date.now();
        const result = await runCase(browser, base, { ...testCase, input }, mode);
        results.push({ name: testCase.name, mode, ms: Date.now() - started, ...result });
      }
    }
    return results;
  } finally {
    servers.forEach((server) => server.close());
  }
}

/** Waits until the demo page's log shows a line containing `text`. */
function logShows(page, text) {
  return page.waitForFunction(
    (t) => document.getElementById('log').textContent.includes(t),
    { timeout: CASE_TIMEOUT_MS },
    text,
  );
}

function outputShown(page) {
  return page.waitForFunction(
    () => ['completed', 'failed', 'cancelled'].includes(document.getElementById('status').dataset.status),
    { timeout: CASE_TIMEOUT_MS },
  );
}

/** What the demo page shows, for a failure's report. */
async function pageState(page) {
  try {
    return await page.evaluate(() => ({
      status: document.getElementById('status').textContent,
      shown: document.getElementById('output').textContent,
      log: document.getElementById('log').textContent,
    }));
  } catch (error) {
    return { pageState: String(error) };
  }
}

async function reload(browser, base) {
  const { counts, handler } = counter(true);
  const { server, base: counterBase } = await listen(handler);
  const errors = [];
  const page = await newPage(browser, errors);
  const steps = [];
  try {
    await page.goto(`${base}/${plan.folder}/`);
    await page.waitForFunction(() => document.getElementById('mode').textContent.length > 0);
    const durable = await page.$eval('#mode', (e) => e.classList.contains('durable'));
    const input = { ...plan.input, base: counterBase };
    await page.$eval('#input', (e, text) => (e.value = text), JSON.stringify(input));
    await page.$eval('#instance', (e, id) => (e.value = id), plan.instanceId);
    await page.click('#start');
    // The durable Delay has begun once the step before it checkpointed and
    // the log says the wait started.
    await logShows(page, plan.delayLog);
    steps.push({ at: 'delay', counts: { ...counts } });
    await page.reload();
    await logShows(page, plan.signalLog);
    steps.push({ at: 'signal wait', counts: { ...counts } });
    await page.reload();
    await logShows(page, plan.signalLog);
    await page.$eval('#signal-step', (e, step) => (e.value = step), plan.signal.step);
    await page.$eval('#signal-payload', (e, text) => (e.value = text), JSON.stringify(plan.signal.payload));
    await page.waitForFunction(() => !document.getElementById('signal').disabled);
    await page.click('#signal');
    await outputShown(page);
    const status = await page.$eval('#status', (e) => e.dataset.status);
    const output = JSON.parse(await page.$eval('#output', (e) => e.textContent));
    const log = await page.$eval('#log', (e) => e.textContent);
    await page.screenshot({ path: path.join(plan.screenshots, 'reload-resumed.png') });
    return { durable, status, output, log, counts, steps, console: errors };
  } catch (error) {
    return { failure: String(error?.message ?? error), ...(await pageState(page)), counts, steps, console: errors };
  } finally {
    await page.close();
    server.close();
  }
}

async function cors(browser, base) {
  const open = counter(true);
  const closed = counter(false);
  const allowed = await listen(open.handler);
  const refused = await listen(closed.handler);
  try {
    const results = [];
    // NO_CORS_BASE first: CORS_BASE is a part of it.
    const bases = { NO_CORS_BASE: refused.base, CORS_BASE: allowed.base };
    for (const testCase of plan.cases) {
      const input = substitute(testCase.input, bases);
      const result = await runCase(browser, base, { ...testCase, folder: plan.folder, input }, testCase.mode ?? 'page');
      results.push({ name: testCase.name, ...result });
    }
    return { results, allowedCounts: open.counts, refusedCounts: closed.counts };
  } finally {
    allowed.server.close();
    refused.server.close();
  }
}

/** Pause, resume and cancel through the page's API, in the page or a Worker. */
async function control(browser, base) {
  const { counts, handler } = counter(true);
  const served = await listen(handler);
  const results = [];
  try {
    for (const mode of plan.modes) {
      const errors = [];
      const page = await newPage(browser, errors);
      try {
        await page.goto(`${base}/${plan.folder}/__blank.html`);
        const seen = await withTimeout(
          page.evaluate(
            async ({ folder, input, worker, mode }) => {
              const { start } = await import(`/${folder}/runtara.js`);
              const next = (run, type, test) =>
                new Promise((resolve) => {
                  const listener = (e) => {
                    if (test(e.detail)) {
                      run.removeEventListener(type, listener);
                      resolve(e.detail);
                    }
                  };
                  run.addEventListener(type, listener);
                });
              const ended = (run) => run.result.then((output) => ({ output }), (error) => ({ error }));
              const seen = {};

              // Paused during the Delay, resumed, cancelled during the signal wait.
              const run = await start(input, { instanceId: `control-${mode}`, worker });
              await next(run, 'checkpoint', (d) => d.id === 'napping');
              const paused = next(run, 'status', (d) => d.status === 'paused');
              seen.pauseAccepted = await run.pause();
              await paused;
              seen.statusAfterPause = run.status;
              const waiting = next(run, 'log', (d) => d.message.includes('waiting for signal'));
              seen.resumeAccepted = await run.resume();
              await waiting;
              seen.cancelAccepted = await run.cancel();
              seen.first = await ended(run);

              // Paused, then cancelled while paused: it ends at once.
              const other = await start(input, { instanceId: `control-paused-${mode}`, worker });
              await next(other, 'checkpoint', (d) => d.id === 'napping');
              const otherPaused = next(other, 'status', (d) => d.status === 'paused');
              await other.pause();
              await otherPaused;
              seen.cancelWhilePausedAccepted = await other.cancel();
              seen.second = await ended(other);
              return seen;
            },
            { folder: plan.folder, input: { ...plan.input, base: served.base }, worker: mode === 'worker', mode },
          ),
          `control (${mode})`,
        );
        results.push({ mode, ...seen, console: errors });
      } catch (error) {
        results.push({ mode, failure: String(error?.message ?? error), console: errors });
      } finally {
        await page.close();
      }
    }
    return { results, counts };
  } finally {
    served.server.close();
  }
}

/** A file in an OPFS directory survives a reload, and a resumed run does not write it twice. */
async function opfs(browser, base) {
  const errors = [];
  const page = await newPage(browser, errors);
  const options = { instanceId: 'opfs-1', opfs: { '/data': plan.directory }, worker: plan.mode === 'worker' };
  try {
    await page.goto(`${base}/${plan.folder}/__blank.html`);
    await withTimeout(
      page.evaluate(
        async ({ folder, input, options }) => {
          const { start } = await import(`/${folder}/runtara.js`);
          const run = await start(input, options);
          await new Promise((resolve) =>
            run.addEventListener('checkpoint', (e) => e.detail.id === 'first' && resolve()),
          );
        },
        { folder: plan.folder, input: plan.input, options },
      ),
      'the first step',
    );
    await page.reload();
    const result = await withTimeout(
      page.evaluate(
        async ({ folder, options, directory }) => {
          const { start } = await import(`/${folder}/runtara.js`);
          const run = await start(undefined, options);
          const ended = await run.result.then((output) => ({ output }), (error) => ({ error }));
          const root = await navigator.storage.getDirectory();
          const dir = await root.getDirectoryHandle(directory);
          const file = await (await dir.getFileHandle('log.txt')).getFile();
          return { ...ended, kept: await file.text() };
        },
        { folder: plan.folder, options, directory: plan.directory },
      ),
      'the resumed run',
    );
    return { ...result, console: errors };
  } catch (error) {
    return { failure: String(error?.message ?? error), console: errors };
  } finally {
    await page.close();
  }
}

async function demo(browser, base) {
  const shots = [];
  for (const shot of plan.shots) {
    const errors = [];
    const page = await newPage(browser, errors);
    await page.setViewport({ width: 1200, height: 820 });
    try {
      await page.goto(`${base}/${shot.folder}/`);
      await page.waitForFunction(() => document.getElementById('mode').textContent.length > 0);
      await page.$eval('#input', (e, text) => (e.value = text), JSON.stringify(shot.input, null, 2));
      await page.click('#start');
      await outputShown(page);
      const file = path.join(plan.screenshots, `${shot.name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      shots.push({
        name: shot.name,
        file,
        status: await page.$eval('#status', (e) => e.dataset.status),
        output: await page.$eval('#output', (e) => e.textContent),
        log: await page.$eval('#log', (e) => e.textContent),
        console: errors,
      });
    } finally {
      await page.close();
    }
  }
  return shots;
}

const TASKS = { parity, reload, cors, control, opfs, demo };

const { server, base } = await listen(serveFolders);
const browser = await launch();
try {
  fs.mkdirSync(plan.screenshots, { recursive: true });
  const result = await TASKS[plan.task](browser, base);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await browser.close();
  server.close();
}
