#!/usr/bin/env node
// Browser tests of BacklogAI: starts `bin/backlogai sandbox` (the app on a
// fresh embedded database, the emulated Jira with the demo project, a
// signed install) and a local fake LLM, drives the /sandbox shell and the
// app's real iframes in Debian's chromium through playwright-core, and
// checks accessibility with axe-core. Builds nothing: run `make e2e`.
//
//   UPDATE_SCREENSHOTS=1   write the screenshots to docs/screenshots/
//   E2E_ONLY=regexp        run only the tests whose name matches (and
//                          the ones they depend on are not run: use with care)
//   CHROMIUM_PATH          browser binary (default /usr/bin/chromium)
//   BACKLOGAI_BIN          app binary (default ../bin/backlogai)
//   E2E_KEEP=1             keep the run's folder (logs, screenshots) on success
//
// Prints one line per test and closes with "N passed, N failed"; exits
// non-zero when any test failed. The sandbox is always stopped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { startFakeLLM } from './lib/fake-llm.mjs';
import { startSandbox, tail } from './lib/sandbox.mjs';
import { screenshotter } from './lib/harness.mjs';
import { tests as baseTests } from './tests.mjs';
import { tests as insightTests } from './insights.mjs';
import { tests as forgeTests } from './forge.mjs';
import { tests as criteriaTests } from './criteria.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..');
const BIN = process.env.BACKLOGAI_BIN || path.join(ROOT, 'bin', 'backlogai');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
const ONLY = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY, 'i') : null;
// A bound on the whole run, so a hung page cannot stall CI: about 2.5 min
// on a quiet 2-core machine, 5-6 min when other builds share it.
const TOTAL_BUDGET_MS = Number(process.env.E2E_BUDGET_MINUTES || 12) * 60 * 1000;

const started = Date.now();
let sandbox = null;
let llm = null;
let browser = null;
let runDir = null;
let passed = 0;
let failed = 0;

function elapsed(t0) {
  return ((Date.now() - t0) / 1000).toFixed(1) + 's';
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (sandbox) await sandbox.stop().catch(() => {});
  sandbox = null;
  if (llm) await llm.close().catch(() => {});
  llm = null;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.error(`\ne2e: ${sig}: stopping the sandbox`);
    await cleanup();
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(130);
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000}s`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  for (const [what, p] of [['app binary', BIN], ['chromium', CHROMIUM]]) {
    if (!fs.existsSync(p)) {
      console.error(`e2e: ${what} not found at ${p}` + (what === 'app binary' ? ' (run `make build`, or `make e2e`)' : ' (apt-get install chromium)'));
      failed++;
      return;
    }
  }
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlogai-e2e-'));
  console.log(`e2e: run folder ${runDir}`);

  llm = await startFakeLLM();
  let t0 = Date.now();
  sandbox = await startSandbox({
    bin: BIN, dir: runDir,
    env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'sk-e2e-fake', OPENAI_MODEL: 'fake-model' },
  });
  console.log(`e2e: sandbox ready at ${sandbox.url} in ${elapsed(t0)} (emulated Jira ${sandbox.emu}, fake LLM ${llm.url})`);

  t0 = Date.now();
  const profile = path.join(runDir, 'chromium-profile');
  fs.mkdirSync(profile);
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  browser.setDefaultTimeout(15000);
  const page = browser.pages()[0] || await browser.newPage();
  const consoleErrors = [];
  browser.on('weberror', (err) => consoleErrors.push(String(err.error())));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text())) consoleErrors.push(msg.text());
  });
  page.on('response', (res) => {
    if (res.status() >= 400) consoleErrors.push(`HTTP ${res.status()} ${res.request().method()} ${res.url().replace(/jwt=[^&]+/, 'jwt=…')}`);
  });
  console.log(`e2e: chromium ${browser.browser()?.version() ?? ''} started in ${elapsed(t0)}`);

  const shots = screenshotter({ update: UPDATE, docsDir: path.join(ROOT, 'docs', 'screenshots'), runDir });
  // Screenshots show the page, not the flags of earlier steps.
  async function shot(name) {
    const close = page.locator('#flags').getByRole('button', { name: 'Dismiss' });
    while (await close.count()) await close.first().click();
    return shots.shot(page, name);
  }
  const ctx = { page, browser, sandbox, llm, shot, consoleErrors, state: {}, update: UPDATE };

  // The insights run before the final accessibility test, which reads
  // every page's result.
  const last = baseTests.findIndex((t) => t.name.startsWith('accessibility:'));
  // The Forge host's tests come last: they switch the shell to Forge and back.
  const extra = [...insightTests, ...criteriaTests];
  const tests = (last < 0 ? baseTests.concat(extra) : [...baseTests.slice(0, last), ...extra, ...baseTests.slice(last)]).concat(forgeTests);
  for (const t of tests) {
    if (ONLY && !ONLY.test(t.name)) continue;
    const remaining = TOTAL_BUDGET_MS - (Date.now() - started);
    const t1 = Date.now();
    try {
      if (remaining <= 0) throw new Error(`the run is over its ${TOTAL_BUDGET_MS / 60000} minute budget`);
      await withTimeout(t.run(ctx), Math.min(t.timeout || 60000, remaining), t.name);
      passed++;
      console.log(`  ok    ${t.name} (${elapsed(t1)})`);
    } catch (err) {
      failed++;
      console.log(`  FAIL  ${t.name} (${elapsed(t1)})`);
      console.log('        ' + String((err && err.message) || err).split('\n').join('\n        '));
      const file = path.join(runDir, 'failures', t.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase() + '.png');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await page.screenshot({ path: file }).catch(() => {});
      console.log(`        screenshot: ${file}`);
    }
  }
  if (shots.taken.length && (UPDATE || failed > 0 || process.env.E2E_KEEP)) console.log(`e2e: ${shots.taken.length} screenshots in ${shots.dir}`);
  if (consoleErrors.length) {
    console.log(`e2e: browser console errors (${consoleErrors.length}):`);
    for (const e of consoleErrors.slice(0, 10)) console.log('        ' + e.slice(0, 300));
  }
}

let crashed = null;
try {
  await main();
} catch (err) {
  crashed = err;
  failed++;
  console.error('e2e: ' + (err && err.stack ? err.stack : err));
} finally {
  const log = sandbox && sandbox.logFile;
  await cleanup();
  if ((failed > 0 || crashed) && log) {
    console.log(`e2e: last lines of the sandbox log (${log}):\n` + tail(log, 25).split('\n').map((l) => '        ' + l).join('\n'));
  }
  if (runDir && failed === 0 && !process.env.E2E_KEEP) fs.rmSync(runDir, { recursive: true, force: true });
  console.log(`e2e: finished in ${elapsed(started)}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}
