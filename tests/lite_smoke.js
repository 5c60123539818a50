#!/usr/bin/env node
// lite_smoke.js: open one course notebook in a served JupyterLite site (tests/lite_check.sh
// builds and serves it) in headless Chromium, run its code cells one by one in the Pyodide
// kernel, and check them against the notebook's stored outputs.
//
// Rules:
// 1. Offline: the browser may only reach the site's own origin. Every other request is aborted
//    and listed (by host) in the report: that is what the site needs from the network.
// 2. The first cell (the `lite-setup` cell that `python -m minikafka.course lite` adds) must
//    run without an error: it installs minikafka and ipywidgets from the site.
// 3. Every other code cell runs, in order, each to its end, whatever the cells before did.
//    A cell that raises counts as "needs matplotlib" when its error names matplotlib, or when it
//    is a NameError for a name that such a cell was to define; every other error fails. A cell
//    whose result is a picture's text twin (minikafka.viz without matplotlib) is "text twin".
// 3b. Every widget output must render as a live ipywidgets view, not as an error or as text,
//     and a click on the first widget button must change what that widget shows (the click goes
//     to the kernel and back over the widgets' comm).
// 4. A cell that ran must print exactly the stdout stored in the repository's notebook (the
//    simulator is deterministic). `--expect TEXT` (repeatable) must appear in some cell's stdout.
// 5. At least `--min-ok N` code cells (the setup cell included) must run and match.
// Exit status 0 = PASS, 1 = FAIL, 2 = setup error. The last line is the PASS/FAIL summary.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const USAGE = `usage: node lite_smoke.js --url http://127.0.0.1:PORT --notebook notebooks/NAME.ipynb --out DIR
  [--expect TEXT]... [--min-ok N] [--chromium PATH] [--kernel-timeout SEC] [--cell-timeout SEC]`;

function parseArgs(argv) {
  const o = { url: null, notebook: null, out: null, expect: [], minOk: 5, chromium: '/usr/bin/chromium',
    kernelTimeout: 240, cellTimeout: 120 };
  for (let i = 0; i < argv.length; i++) {
    const next = () => { if (i + 1 >= argv.length) fail2(`missing value for ${argv[i]}`); return argv[++i]; };
    switch (argv[i]) {
      case '--url': o.url = next().replace(/\/+$/, ''); break;
      case '--notebook': o.notebook = next(); break;
      case '--out': o.out = next(); break;
      case '--expect': o.expect.push(next()); break;
      case '--min-ok': o.minOk = +next(); break;
      case '--chromium': o.chromium = next(); break;
      case '--kernel-timeout': o.kernelTimeout = +next(); break;
      case '--cell-timeout': o.cellTimeout = +next(); break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: fail2(`unknown argument ${argv[i]}`);
    }
  }
  if (!o.url || !o.notebook || !o.out) fail2('--url, --notebook and --out are required');
  return o;
}
function fail2(msg) { console.error(`lite_smoke: ${msg}\n${USAGE}`); process.exit(2); }

const opts = parseArgs(process.argv.slice(2));
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  fail2(`cannot load playwright-core (${e.message}); set NODE_PATH to a node_modules that has it`);
}

const T0 = Date.now();
const secs = () => ((Date.now() - T0) / 1000).toFixed(1);
const log = (msg) => console.log(`[${secs().padStart(5)}s] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const origin = new URL(opts.url).origin;
const report = { url: opts.url, notebook: opts.notebook, blocked: {}, cells: [], problems: [],
  consoleErrors: [], pageErrors: [], timings: {} };

async function poll(fn, ms, every = 500) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) return null;
    await sleep(every);
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
  })]).finally(() => clearTimeout(timer));
}

// Rule 3: the names a cell assigns at the top level (`name = ...`, `a, b = ...`, def, class, import ... as).
function assignedNames(source) {
  const names = new Set();
  for (const line of source.split('\n')) {
    let m = line.match(/^([A-Za-z_][\w, ]*)=(?!=)/);
    if (m) m[1].split(',').forEach((n) => n.trim() && names.add(n.trim()));
    m = line.match(/^(?:def|class)\s+([A-Za-z_]\w*)/);
    if (m) names.add(m[1]);
  }
  return names;
}

const stdoutOf = (outputs) => outputs.filter((o) => o.output_type === 'stream' && o.name === 'stdout')
  .map((o) => (Array.isArray(o.text) ? o.text.join('') : o.text)).join('');

async function main() {
  fs.mkdirSync(opts.out, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lite-smoke-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: opts.chromium, headless: true, viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  // Rule 1: the site's origin only; service-worker requests are routed too
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    let host = url;
    try { host = new URL(url).host; } catch (e) { /* keep the url */ }
    (report.blocked[host] = report.blocked[host] || []).push(url);
    return route.abort('internetdisconnected');
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') report.consoleErrors.push(m.text().slice(0, 300)); });
  page.on('pageerror', (e) => report.pageErrors.push(String(e).slice(0, 300)));
  let ok = false;
  let summary = '';
  try {
    const target = `${opts.url}/lab/index.html?path=${encodeURIComponent(opts.notebook)}`;
    log(`open ${target}`);
    await page.goto(target, { waitUntil: 'domcontentloaded' });
    const opened = await poll(() => page.evaluate((nb) => {
      const app = window.jupyterapp;
      if (!app) return null;
      const panel = [...app.shell.widgets('main')].find((w) => w.context && w.context.path === nb && w.content);
      if (!panel || !panel.context.isReady) return null;
      window.__liteSmokePanel = panel;
      return panel.content.widgets.length;
    }, opts.notebook), 120000);
    if (!opened) throw new Error('the notebook did not open in 120 s (is exposeAppInBrowser set in jupyter-lite.json?)');
    report.timings.opened = +secs();
    log(`notebook open: ${opened} cells`);
    await page.screenshot({ path: path.join(opts.out, '01-opened.png') });

    // the stored outputs, before anything runs
    const cells = await page.evaluate(() => window.__liteSmokePanel.content.widgets.map((c, i) => ({
      index: i, type: c.model.type, id: c.model.id, source: c.model.sharedModel.getSource(),
      stored: c.model.type === 'code' ? c.model.outputs.toJSON() : [],
    })));
    const code = cells.filter((c) => c.type === 'code' && c.source.trim());
    if (!code.length || code[0].id !== 'lite-setup') throw new Error('the first cell is not the lite-setup cell');

    const kernel = await poll(() => page.evaluate(() => {
      const k = window.__liteSmokePanel.sessionContext.session && window.__liteSmokePanel.sessionContext.session.kernel;
      return k ? `${k.name} (${k.status})` : null;
    }), opts.kernelTimeout * 1000);
    if (!kernel) throw new Error(`no kernel session in ${opts.kernelTimeout} s`);
    log(`kernel session: ${kernel}`);

    const failedNames = new Set();
    for (const cell of code) {
      const started = Date.now();
      const timeout = (cell.id === 'lite-setup' ? opts.kernelTimeout + opts.cellTimeout : opts.cellTimeout) * 1000;
      let outputs = [];
      let runError = null;
      try {
        await withTimeout(page.evaluate(async (index) => {
          const panel = window.__liteSmokePanel;
          panel.content.activeCellIndex = index;
          panel.content.deselectAll();
          return window.jupyterapp.commands.execute('notebook:run-cell');
        }, cell.index), timeout, `cell ${cell.index + 1}`);
        await poll(() => page.evaluate((index) => {
          const panel = window.__liteSmokePanel;
          const k = panel.sessionContext.session.kernel;
          const m = panel.content.widgets[index].model;
          return k.status === 'idle' && m.executionCount !== null;
        }, cell.index), 10000, 100);
        outputs = await page.evaluate((index) => window.__liteSmokePanel.content.widgets[index].model.outputs.toJSON(),
          cell.index);
      } catch (e) {
        runError = e.message.split('\n')[0];
      }
      const error = outputs.find((o) => o.output_type === 'error');
      const got = stdoutOf(outputs);
      const want = stdoutOf(cell.stored);
      const entry = { cell: cell.index + 1, id: cell.id, seconds: (Date.now() - started) / 1000, status: 'ok',
        detail: '', stdout: got };
      if (runError) {
        entry.status = 'FAIL';
        entry.detail = runError;
      } else if (error) {
        const what = `${error.ename}: ${error.evalue}`;
        const nameError = /NameError/.test(error.ename) && [...failedNames].some((n) => error.evalue.includes(`'${n}'`));
        if (/matplotlib/.test(what) || nameError) {
          entry.status = 'needs matplotlib';
          assignedNames(cell.source).forEach((n) => failedNames.add(n));
        } else {
          entry.status = 'FAIL';
        }
        entry.detail = what.slice(0, 200);
      } else if (outputs.some((o) => o.data && /matplotlib is not installed here/.test(String(o.data['text/plain'])))) {
        entry.status = 'text twin';
        entry.detail = String(outputs.find((o) => o.data && o.data['text/plain']).data['text/plain']).split('\n')[0];
      } else if (cell.id !== 'lite-setup' && want && got !== want) {
        entry.status = 'FAIL';
        const a = got.split('\n');
        const b = want.split('\n');
        const line = a.findIndex((l, i) => l !== b[i]);
        entry.detail = `stdout differs from the stored output at line ${line + 1}: got ${JSON.stringify(a[line])},`
          + ` stored ${JSON.stringify(b[line])}`;
      } else if (cell.id !== 'lite-setup' && !want && got) {
        entry.detail = 'printed output where none is stored';
      }
      report.cells.push(entry);
      log(`cell ${String(entry.cell).padStart(3)} ${entry.status.padEnd(16)} ${entry.seconds.toFixed(1).padStart(5)} s`
        + `  ${entry.detail || (got.split('\n')[0] || '').slice(0, 90)}`);
    }
    report.timings.ran = +secs();

    // rule 3b: widget views, once they had time to render
    await sleep(2000);
    const widgets = await page.evaluate(() => {
      const node = window.__liteSmokePanel.content.node;
      const views = [...node.querySelectorAll('.jp-OutputArea-output')].filter((o) => o.querySelector('.jupyter-widgets')
        || /Error displaying widget|Loading widget|[A-Z]\w+\(value=/.test(o.textContent));
      return views.map((o) => {
        const r = o.getBoundingClientRect();
        const text = o.textContent.replace(/\s+/g, ' ').trim();
        const bad = /Error displaying widget|Loading widget/.test(text) || !o.querySelector('.jupyter-widgets');
        return { ok: !bad && r.width > 0 && r.height > 0, text: text.slice(0, 120) };
      });
    });
    report.widgets = widgets;
    widgets.filter((w) => !w.ok).forEach((w) => report.problems.push(`a widget did not render: ${w.text}`));
    log(`widget views rendered: ${widgets.filter((w) => w.ok).length}/${widgets.length}`);
    const button = page.locator('.jp-OutputArea-output .jupyter-widgets button.widget-button').first();
    if (widgets.some((w) => w.ok) && await button.count()) {
      const view = page.locator('.jp-OutputArea-output:has(.jupyter-widgets button.widget-button)').first();
      const before = await view.innerText();
      const label = ((await button.textContent()) || (await button.getAttribute('title')) || '').trim();
      await button.scrollIntoViewIfNeeded();
      await button.click();
      const changed = await poll(async () => (await view.innerText()) !== before, 20000, 250);
      report.click = { button: label, changed: !!changed };
      log(`clicked the widget button "${label}": the widget ${changed ? 'changed' : 'did NOT change'}`);
      if (!changed) report.problems.push(`a click on the widget button "${label}" changed nothing`);
      await page.screenshot({ path: path.join(opts.out, '02b-widget-clicked.png') });
    }

    // screenshots: the cell that prints offsets, then the whole notebook
    await page.evaluate(() => {
      const panel = window.__liteSmokePanel;
      const i = panel.content.widgets.findIndex((c) => c.model.type === 'code'
        && c.model.outputs.toJSON().some((o) => o.output_type === 'stream' && String(o.text).includes('-> offset')));
      if (i >= 0) { panel.content.activeCellIndex = i; panel.content.scrollToItem(i, 'start'); }
    });
    await sleep(800);
    await page.screenshot({ path: path.join(opts.out, '02-offsets.png') });
    const height = await page.evaluate(() => {
      const outer = window.__liteSmokePanel.content.node.querySelector('.jp-WindowedPanel-outer');
      const inner = outer && outer.firstElementChild;
      return Math.min(16000, Math.ceil((inner ? inner.scrollHeight : 900) + 200));
    });
    await page.evaluate(() => { window.__liteSmokePanel.content.scrollToItem(0, 'start'); });
    await page.setViewportSize({ width: 1280, height: Math.max(900, height) });
    await sleep(1500);
    await page.screenshot({ path: path.join(opts.out, '03-after-run-full.png') });

    // the verdict
    const wantWidgets = cells.filter((c) => c.stored.some((o) => o.data && o.data['application/vnd.jupyter.widget-view+json']))
      .map((c) => c.index + 1).filter((n) => report.cells.some((e) => e.cell === n && e.status === 'ok'));
    if (widgets.filter((w) => w.ok).length < wantWidgets.length) {
      report.problems.push(`cells ${wantWidgets.join(', ')} show widgets, ${widgets.filter((w) => w.ok).length} rendered`);
    }
    const setup = report.cells[0];
    if (setup.status !== 'ok') report.problems.push(`the setup cell failed: ${setup.detail}`);
    for (const c of report.cells.slice(1)) if (c.status === 'FAIL') report.problems.push(`cell ${c.cell}: ${c.detail}`);
    const allStdout = report.cells.map((c) => c.stdout).join('\n');
    for (const text of opts.expect) if (!allStdout.includes(text)) report.problems.push(`no cell printed ${JSON.stringify(text)}`);
    const okCells = report.cells.filter((c) => c.status === 'ok').length;
    if (okCells < opts.minOk) report.problems.push(`only ${okCells} cells ran clean, expected >= ${opts.minOk}`);
    const needs = report.cells.filter((c) => c.status === 'needs matplotlib').map((c) => c.cell);
    const twins = report.cells.filter((c) => c.status === 'text twin').map((c) => c.cell);
    const hosts = Object.keys(report.blocked).sort();
    ok = report.problems.length === 0;
    summary = `${ok ? 'PASS' : 'FAIL'} ${opts.notebook}: ${okCells}/${report.cells.length} code cells ran offline and `
      + `matched the stored stdout; text twins: ${twins.length ? 'cells ' + twins.join(', ') : 'none'}; `
      + `widgets rendered: ${widgets.filter((w) => w.ok).length}`
      + `${report.click ? ` (click on "${report.click.button}" ${report.click.changed ? 'answered' : 'UNANSWERED'})` : ''}; `
      + `needs matplotlib: ${needs.length ? 'cells ' + needs.join(', ') : 'none'}; `
      + `blocked hosts: ${hosts.length ? hosts.join(', ') : 'none'}; ${secs()} s`
      + (ok ? '' : ` [${report.problems.join('; ')}]`);
  } catch (e) {
    summary = `FAIL ${opts.notebook}: ${e.message.split('\n')[0]} (${secs()} s)`;
    await page.screenshot({ path: path.join(opts.out, '99-failure.png') }).catch(() => {});
  } finally {
    fs.writeFileSync(path.join(opts.out, 'report.json'), JSON.stringify(report, null, 1));
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(opts.out, 'summary.txt'), summary + '\n');
  console.log(summary);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.error(`lite_smoke: ${e.stack || e}`); process.exit(2); });
