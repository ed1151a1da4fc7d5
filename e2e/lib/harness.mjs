// Small helpers for the browser tests: assertions, polling, the axe-core
// accessibility check (per frame), screenshots.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export class AssertionError extends Error {}

export function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

// stable serialises with sorted object keys, so key order never matters.
function stable(v) {
  if (Array.isArray(v)) return '[' + v.map(stable).join(',') + ']';
  if (v && typeof v === 'object') return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + stable(v[k])).join(',') + '}';
  return JSON.stringify(v);
}

export function assertEqual(got, want, what) {
  if (stable(got) !== stable(want)) {
    throw new AssertionError(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

/** poll calls fn until it returns a truthy value, and returns that value. */
export async function poll(fn, { timeout = 15000, interval = 200, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : last !== undefined ? ` (last value ${JSON.stringify(last)})` : '';
      throw new AssertionError(`timed out after ${timeout} ms waiting for ${message}${why}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** frameOf returns a named frame of the page once it has loaded a document. */
export async function frameOf(page, name, timeout = 15000) {
  return poll(async () => {
    const f = page.frame({ name });
    if (!f || f.url() === 'about:blank' || f.url() === '') return null;
    const ready = await f.evaluate(() => document.readyState !== 'loading' && !!window.AP).catch(() => false);
    return ready ? f : null;
  }, { timeout, message: `frame ${name}` });
}

const BLOCKING = new Set(['serious', 'critical']);

/**
 * axeCheck runs axe-core in the page and each of its frames (each frame
 * on its own, so same-origin and cross-origin frames are treated alike)
 * and returns the serious and critical violations, labelled by frame.
 */
export async function axeCheck(page, label) {
  const found = [];
  for (const frame of page.frames()) {
    const url = frame.url();
    if (!url || url === 'about:blank') continue;
    const name = frame === page.mainFrame() ? 'shell' : (frame.name() || url);
    // Evaluated as a DevTools expression, so the page's CSP (no eval, no
    // inline scripts) does not stop the injection and need not be relaxed.
    if (!(await frame.evaluate(() => !!window.axe))) await frame.evaluate(AXE_SOURCE + '\n;0');
    const result = await frame.evaluate(async () => {
      // axe's default rule set (WCAG 2.x A/AA and best practices; no
      // experimental rules), as @axe-core/playwright runs it.
      const r = await window.axe.run(document, { iframes: false, resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || '').split('\n').slice(0, 3).join(' ') })),
      }));
    });
    for (const v of result) {
      if (BLOCKING.has(v.impact)) found.push({ page: label, frame: name, ...v });
    }
  }
  return found;
}

export function formatViolations(vs) {
  return vs.map((v) => `  [${v.impact}] ${v.id} in ${v.page}/${v.frame}: ${v.help}\n` +
    v.nodes.map((n) => `      ${n.target}: ${n.summary}`).join('\n')).join('\n');
}

/** Screenshots go to docs/screenshots with UPDATE_SCREENSHOTS=1, else to the run's folder. */
export function screenshotter({ update, docsDir, runDir }) {
  const dir = update ? docsDir : path.join(runDir, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  const taken = [];
  return {
    dir,
    taken,
    async shot(page, name) {
      const file = path.join(dir, name + '.png');
      await page.screenshot({ path: file, fullPage: false, animations: 'disabled', caret: 'hide' });
      taken.push(file);
      return file;
    },
  };
}
