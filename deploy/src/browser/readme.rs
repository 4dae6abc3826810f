//! The README written into a browser deployment: serving it, using its API,
//! bundling it, and the browsers it needs.

use super::{BrowserApp, SHIM_VERSION};

impl BrowserApp {
    /// The README, in Markdown.
    pub fn readme(&self) -> String {
        let agents = if self.agents.is_empty() {
            "no agents".to_owned()
        } else {
            self.agents.join(", ")
        };
        format!(
            "# {name} in the browser\n\n\
             Written by `runtara deploy browser`. The scenario, composed with its agents ({agents}), is the same \
             WASI Preview 2 component `runtara run` runs, transpiled to JavaScript by jco's transpiler. WASI comes \
             from `@bytecodealliance/preview2-shim` {SHIM_VERSION} (npm); `runtara:durable/context` from \
             `runtara.js`.\n\n\
             | file | what it is |\n\
             |---|---|\n\
             | `index.html`, `demo.js` | a demo page: an input form, the output, log lines, pause, resume, cancel and signals |\n\
             | `runtara.js` | the browser host: `start`, `resumeUnfinished`, `instances` |\n\
             | `journal.js` | where instances are kept: IndexedDB, or memory without JSPI |\n\
             | `worker.js`, `worker-client.js` | the Web Worker entry, and the page's side of it |\n\
             | `scenario/` | the transpiled component: `jspi.js`, `sync.js`, its core modules and `scenario.json` |\n\
             | `package.json` | the npm dependency: `@bytecodealliance/preview2-shim` |\n\n\
             ## Serve it\n\n\
             ```sh\n\
             npm install          # in this directory: node_modules/@bytecodealliance/preview2-shim\n\
             python3 -m http.server 8000   # or any static server\n\
             ```\n\n\
             Open <http://127.0.0.1:8000/>. The files need no build step: the modules import each other, and the \
             shim, by relative paths. Serve `.wasm` as `application/wasm` (the core modules are compiled while they \
             download) and `.js` as `text/javascript`. Pages must come from `http://localhost` or `https://`: \
             IndexedDB, Web Locks and module Workers need a secure context.\n\n\
             ## Use it from your page\n\n\
             ```js\n\
             import {{ start, resumeUnfinished, durable }} from './runtara.js';\n\n\
             const run = await start({{ order: {{ id: 'A-17' }} }}, {{ instanceId: 'order-42', worker: true }});\n\
             run.addEventListener('log', (e) => console.log(e.detail.level, e.detail.message));\n\
             run.addEventListener('checkpoint', (e) => console.log('saved', e.detail.id));\n\
             run.addEventListener('status', (e) => console.log(e.detail.status));\n\
             try {{\n  console.log(await run.result);   // the output\n}} catch (error) {{\n  \
             console.log(error.code, error.message); // {{stepId, code, message, category, attributes}}\n}}\n\
             ```\n\n\
             - `start(input, {{ instanceId, worker, files, opfs }})` starts an instance, or resumes it when it exists and \
             has not ended (leave `input` out, or give the one it started with). An instance that ended answers with \
             its result again.\n\
             - `worker: true` runs it in a Web Worker, so the page stays responsive; otherwise it runs in the page.\n\
             - `files` grants the file agent an in-memory directory tree: `{{ '/data': {{ dir: {{ 'a.csv': {{ source: \
             'id,name' }} }} }} }}`. `opfs` grants it directories of the Origin Private File System, which outlive \
             the page: `{{ '/data': 'orders' }}` (what a step wrote is kept there before its checkpoint is; give one \
             running instance a directory at a time).\n\
             - The handle: `result` (settles when the instance ends), `pause()`, `resume()`, `cancel()`, \
             `signal(stepPath, payload)` (the WaitForSignal step's path, e.g. `approve` or `split[2].approve`), \
             `status`, and the events `log`, `checkpoint`, `status`, and `stdout` and `stderr` (what the \
             component printed, line by line).\n\
             - `resumeUnfinished()` resumes every instance a reload left running or sleeping; `instances()` lists \
             them all.\n\n\
             ## Durability\n\n\
             With JSPI (`WebAssembly.Suspending`: Chromium 137 and later, and browsers that ship it since), \
             checkpoints, durable sleeps and signals are kept in IndexedDB (database `runtara:{name}`). A page \
             reloaded or reopened mid-run resumes the instance where it stopped, without redoing finished steps; a \
             durable sleep waits only what is left; a WaitForSignal step gets a signal sent before the reload. \
             Pause and cancel take effect at the next checkpoint, as under `runtara run`. One tab runs an instance \
             at a time (Web Locks).\n\n\
             Without JSPI, `sync.js` runs instead, and `durable` is false: checkpoints are kept in the page's \
             memory and lost on reload; durable sleeps stop the run and start it again when they are over; a \
             WaitForSignal step fails unless its signal was sent before the step asked; retries do not wait \
             between attempts. The demo page says which mode it is in.\n\n\
             ## Agents in the browser\n\n\
             utils, transform, text, csv, xml, crypto, compression and datetime run as they do anywhere. http sends \
             its requests with `fetch`: the target must allow this page's origin (CORS), and a refused request is \
             the agent's usual error. file works on the directories given as `files` and `opfs`. sftp needs sockets and is \
             refused when the scenario is compiled.\n\n\
             ## Bundle it\n\n\
             For production, bundle the modules with a bundler that follows relative imports, e.g. esbuild \
             (npm):\n\n\
             ```sh\n\
             npx esbuild runtara.js worker.js demo.js --bundle --format=esm --splitting --minify --outdir=dist\n\
             cp -r scenario index.html dist/\n\
             ```\n\n\
             `worker.js` must stay an entry of its own (the page starts it by that name), and `scenario/` is \
             copied as it is: the host loads `jspi.js` or `sync.js` and the core modules from there at run \
             time, whichever the browser can run.\n",
            name = self.name,
        )
    }
}
