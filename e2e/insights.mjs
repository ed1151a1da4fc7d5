// Browser tests of the insights (frontend/static/insights.js): the first-run
// tour, the glossary and tooltips, switching framework, the value vs effort
// chart by keyboard, the glance's score history. They run after tests.mjs
// (the project is scanned) and before its final accessibility test, and
// leave the strategy as they found it.
import { assert, assertEqual, axeCheck, frameOf, poll } from './lib/harness.mjs';

const PROJECT_FRAME = 'backlogai-project';
const GLANCE_FRAME = 'backlogai-glance';

const projectFrame = (ctx) => ctx.page.frameLocator(`iframe[name="${PROJECT_FRAME}"]`);
const glanceFrame = (ctx) => ctx.page.frameLocator(`iframe[name="${GLANCE_FRAME}"]`);

async function a11y(ctx, label) {
  const vs = await axeCheck(ctx.page, label);
  (ctx.state.a11y ||= []).push({ label, violations: vs });
}

async function openProject(ctx) {
  await ctx.page.goto(ctx.sandbox.url);
  const frame = await frameOf(ctx.page, PROJECT_FRAME);
  const f = projectFrame(ctx);
  await poll(async () => (await f.getByTestId('scan-status').isHidden()) && (await f.getByTestId('backlog-row').count()) > 0
    && (await f.getByTestId('backlog-table').getAttribute('aria-busy')) !== 'true', { timeout: 60000, interval: 500, message: 'the ranked backlog' });
  return frame;
}

async function openTab(ctx, name) {
  const f = projectFrame(ctx);
  await f.getByRole('tab', { name }).click();
  await poll(async () => (await f.getByRole('tab', { name }).getAttribute('aria-selected')) === 'true', { message: `tab ${name} selected` });
}

async function backlogKeys(ctx) {
  return projectFrame(ctx).getByTestId('backlog-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
}

// saveFramework picks a framework on the Strategy tab, waits for the
// preview to re-rank, saves, and waits for the backlog to follow.
async function saveFramework(ctx, name) {
  const f = projectFrame(ctx);
  await openTab(ctx, 'Strategy');
  const rows = f.getByTestId('preview-row');
  await poll(async () => (await rows.count()) > 3, { message: 'preview of the ranked backlog' });
  const before = await rows.evaluateAll((li) => li.map((x) => x.getAttribute('data-key')));
  const backlogBefore = await backlogKeys(ctx);
  await f.getByTestId('strategy-framework').selectOption(name);
  const after = await poll(async () => {
    const keys = await rows.evaluateAll((li) => li.map((x) => x.getAttribute('data-key')));
    return keys.length && keys.join() !== before.join() ? keys : null;
  }, { timeout: 20000, message: `the preview to re-rank under ${name}` });
  await f.getByTestId('strategy-save').click();
  await openTab(ctx, 'Backlog');
  const reranked = await poll(async () => {
    const keys = await backlogKeys(ctx);
    return keys.length && keys.join() !== backlogBefore.join() ? keys : null;
  }, { timeout: 40000, interval: 1000, message: `the saved ${name} framework to re-rank the backlog` });
  return { before, after, reranked };
}

export const tests = [
  {
    name: 'tour: the first visit shows a tour; dismissing it is remembered per person',
    timeout: 60000,
    async run(ctx) {
      const frame = await openProject(ctx);
      const f = projectFrame(ctx);
      const me = await frame.evaluate(async () => (await fetch('/api/me', { headers: { Authorization: 'JWT ' + await AP.context.getToken() } })).json());
      const key = 'backlogai.tour.done.' + me.accountId;
      await frame.evaluate((k) => localStorage.removeItem(k), key);
      await ctx.page.reload();
      let fr = await openProject(ctx);
      const tour = f.getByTestId('tour');
      await tour.waitFor();
      assert(/\(1 of 5\)/.test(await tour.getByRole('heading').innerText()), 'tour does not start at step 1 of 5');
      const steps = [];
      for (let i = 0; i < 4; i++) {
        steps.push((await f.getByTestId('tour-step').innerText()).trim());
        await f.getByTestId('tour-next').click();
      }
      steps.push((await f.getByTestId('tour-step').innerText()).trim());
      assertEqual(new Set(steps).size, 5, 'distinct tour steps');
      assertEqual((await f.getByTestId('tour-next').innerText()).trim(), 'Done', 'last step button');
      assertEqual(await f.locator('.tour-target').count(), 1, 'highlighted elements on the last step');
      await a11y(ctx, 'tour');
      await ctx.shot('tour');
      await f.getByTestId('tour-back').click();
      assert(/\(4 of 5\)/.test(await tour.getByRole('heading').innerText()), 'Back does not go to step 4');
      await f.getByTestId('tour-skip').click();
      await poll(async () => tour.isHidden(), { message: 'tour hidden after Skip' });
      assertEqual(await fr.evaluate((k) => localStorage.getItem(k), key), '1', 'dismissal stored for this person');
      assertEqual(await f.locator('.tour-target').count(), 0, 'highlight left after the tour');
      // Remembered: a reload does not show it; "Take the tour" does, Escape closes it.
      await ctx.page.reload();
      fr = await openProject(ctx);
      await f.getByTestId('tour-restart').waitFor();
      await ctx.page.waitForTimeout(500);
      assert(await tour.isHidden(), 'tour shown again after it was dismissed');
      await f.getByTestId('tour-restart').click();
      await tour.waitFor();
      await f.getByTestId('tour-next').press('Escape');
      await poll(async () => tour.isHidden(), { message: 'tour hidden after Escape' });
      // Another person still gets it.
      assertEqual(await fr.evaluate(() => localStorage.getItem('backlogai.tour.done.someone-else')), null, 'the key is per person');
    },
  },
  {
    name: 'glossary and tooltips: every score, quality, class and flag is described',
    timeout: 30000,
    async run(ctx) {
      await openProject(ctx);
      const f = projectFrame(ctx);
      const cells = { 'backlog-score': 'gl-score', 'backlog-moscow': 'gl-moscow', 'backlog-quality': 'gl-quality', 'backlog-estimate': 'gl-estimate' };
      for (const [testid, gl] of Object.entries(cells)) {
        const n = f.getByTestId(testid);
        const total = await n.count();
        const described = await n.evaluateAll((xs, g) => xs.filter((x) => x.title && (x.getAttribute('aria-describedby') || '').split(' ').includes(g)).length, gl);
        assert(total > 0 && described === total, `${testid}: ${described} of ${total} with a tooltip and ${gl}`);
      }
      const flags = f.locator('#backlog-body .lozenge.flag');
      if (await flags.count()) {
        const d = await flags.first().getAttribute('aria-describedby');
        assert(/gl-flag-/.test(d || ''), `flag described by ${d}`);
        const target = await flags.first().evaluate((n) => document.getElementById(n.getAttribute('aria-describedby').split(' ').pop()).textContent);
        assert(target.length > 20, 'flag description is empty');
      }
      await f.getByTestId('glossary-open').click();
      const dlg = f.getByRole('dialog', { name: 'Glossary' });
      await dlg.waitFor();
      for (const term of ['Score', 'MoSCoW class', 'Quality', 'Flag: duplicate', 'Flag: vague', 'Flag: stale', 'Flag: too big', 'Frameworks']) {
        assert(await dlg.getByText(term, { exact: true }).isVisible(), `glossary lacks ${term}`);
      }
      await a11y(ctx, 'glossary');
      await ctx.shot('glossary');
      await f.getByTestId('glossary-close').click();
      await poll(async () => dlg.isHidden(), { message: 'glossary closed' });
      await f.getByTestId('glossary-open').click();
      await dlg.waitFor();
      await ctx.page.keyboard.press('Escape');
      await poll(async () => dlg.isHidden(), { message: 'glossary closed by Escape' });
      assertEqual(await f.locator(':focus').getAttribute('data-testid'), 'glossary-open', 'focus back on the Glossary button');
    },
  },
  {
    name: 'frameworks: switching to RICE re-ranks the preview and the backlog; the glance explains the inputs',
    timeout: 120000,
    async run(ctx) {
      await openProject(ctx);
      const { reranked } = await saveFramework(ctx, 'rice');
      ctx.state.riceTop = reranked[0];
      const f = projectFrame(ctx);
      const scores = await f.getByTestId('backlog-score').evaluateAll((tds) => tds.map((td) => Number(td.textContent.trim())));
      assert(scores.every((s, i) => i === 0 || scores[i - 1] >= s), `backlog not ranked by the RICE percentile: ${scores.slice(0, 10)}`);
      // The glance of the top issue shows the RICE formula and where each input came from.
      const link = f.getByTestId('backlog-issue-link').first();
      const key = (await link.innerText()).trim();
      await link.click();
      await ctx.page.waitForURL(new RegExp(`/sandbox/issue/${key}`));
      await frameOf(ctx.page, GLANCE_FRAME);
      const g = glanceFrame(ctx);
      await poll(async () => (await g.getByTestId('glance-panel').getAttribute('data-state')) === 'analysed', { message: `glance of ${key}` });
      const formula = await g.getByTestId('glance-framework-formula').innerText();
      assert(/^RICE = reach [\d.]+ × impact [\d.]+ × confidence [\d.]+ % ÷ effort [\d.]+ = [\d.]+/.test(formula), `formula: ${formula}`);
      assertEqual(await g.getByTestId('glance-framework-input').count(), 4, 'RICE inputs listed');
      const sources = await g.getByTestId('glance-framework-input').evaluateAll((li) => li.map((x) => x.getAttribute('data-source')));
      assert(sources.every((s) => /derived from the pillars|entered|Jira field/.test(s)), `sources ${sources}`);
      if (sources.some((s) => /derived/.test(s))) await g.getByTestId('glance-framework-missing').waitFor();
      // The score moved under RICE: the history says why.
      const spark = g.getByTestId('glance-sparkline');
      await spark.waitFor({ timeout: 15000 });
      assert(/Score over time/.test(await spark.getAttribute('aria-label')), 'sparkline label');
      const last = (await g.getByTestId('glance-history-last').innerText()).trim();
      assert(/^(Why it moved: Score \d+ → \d+ \([+−]\d+\) on .+: .+|First scored on \d{4}-\d\d-\d\d)/.test(last), `last change: ${last}`);
      ctx.state.historyText = last;
      await a11y(ctx, 'glance with framework and history');
      await ctx.shot('glance-framework-history');
      // Inputs entered in the glance replace the derived ones, as the person.
      await g.getByTestId('glance-inputs-toggle').click();
      const form = g.getByTestId('glance-inputs-form');
      await form.getByLabel('reach').fill('250000');
      await form.getByLabel('confidence').fill('100');
      await g.getByTestId('glance-inputs-save').click();
      try {
        await poll(async () => /reach 250000/.test(await g.getByTestId('glance-framework-formula').innerText()), { timeout: 20000, message: 'the entered reach in the formula' });
      } catch (e) {
        const slot = await g.getByTestId('glance-inputs-error').innerText().catch(() => '?');
        throw new Error(`${e.message}; the form said: ${slot || '(nothing)'}`);
      }
      const kinds = await g.getByTestId('glance-framework-input').evaluateAll((li) => li.map((x) => x.getAttribute('data-source')));
      assertEqual(kinds.filter((k) => /entered in the glance/.test(k)).length, 2, `entered inputs (${kinds})`);
      // Persisted: a reload of the issue shows them again.
      await ctx.page.reload();
      await frameOf(ctx.page, GLANCE_FRAME);
      await poll(async () => /reach 250000 × impact [\d.]+ × confidence 100 %/.test(await glanceFrame(ctx).getByTestId('glance-framework-formula').innerText().catch(() => '')),
        { timeout: 20000, message: 'entered inputs after a reload' });
    },
  },
  {
    name: 'value vs effort: quick wins labelled, arrow keys move between points, table fallback',
    timeout: 60000,
    async run(ctx) {
      await openProject(ctx);
      const f = projectFrame(ctx);
      await openTab(ctx, 'Health');
      const chart = f.getByTestId('chart-value-effort');
      const points = chart.getByTestId('ve-point');
      await poll(async () => (await points.count()) > 5, { timeout: 20000, message: 'points on the value vs effort chart' });
      assertEqual((await chart.getByTestId('ve-quadrant-label').textContent()).trim(), 'Quick wins', 'quadrant label');
      const quick = await points.evaluateAll((cs) => cs.filter((c) => c.getAttribute('data-quadrant') === 'quick').length);
      assert(quick > 0, 'no quick win on the chart');
      assertEqual(await points.evaluateAll((cs) => cs.filter((c) => c.getAttribute('tabindex') === '0').length), 1, 'one tab stop');
      // Keyboard: focus the chart's tab stop, then move with the arrows.
      await points.first().focus();
      const focused = () => f.locator(':focus').evaluate((n) => ({ key: n.getAttribute('data-key'), label: n.getAttribute('aria-label'), tab: n.getAttribute('tabindex') }));
      const a = await focused();
      await ctx.page.keyboard.press('ArrowDown');
      const b = await focused();
      await ctx.page.keyboard.press('ArrowRight');
      const c = await focused();
      assert(a.key && b.key && a.key !== b.key, `ArrowDown did not move focus (${a.key} → ${b.key})`);
      assert(c.key && c.key !== b.key, `ArrowRight did not move focus (${b.key} → ${c.key})`);
      assert(/: value \d+, effort [\d.]+ points.*, (Quick win|Big bet|Fill-in|Time sink), /.test(c.label), `point label ${c.label}`);
      assertEqual(c.tab, '0', 'the focused point is the tab stop');
      await ctx.page.keyboard.press('ArrowUp');
      await ctx.page.keyboard.press('Home');
      assertEqual((await focused()).key, a.key, 'Home goes to the highest score');
      await a11y(ctx, 'health with value vs effort');
      await ctx.shot('value-effort');
      // Table fallback: one row per point.
      await chart.getByText('Show as table').click();
      const rows = chart.getByTestId('ve-table').locator('tbody tr');
      assertEqual(await rows.count(), await points.count(), 'table rows');
      // The trend has a point after the re-scores.
      await f.getByTestId('chart-trend').locator('svg[role="img"]').waitFor({ timeout: 15000 });
    },
  },
  {
    name: 'frameworks: back to the five pillars restores the pillar ranking',
    timeout: 90000,
    async run(ctx) {
      await openProject(ctx);
      await saveFramework(ctx, 'pillars');
      const f = projectFrame(ctx);
      const link = f.getByTestId('backlog-issue-link').first();
      const key = (await link.innerText()).trim();
      await link.click();
      await ctx.page.waitForURL(new RegExp(`/sandbox/issue/${key}`));
      await frameOf(ctx.page, GLANCE_FRAME);
      const g = glanceFrame(ctx);
      await poll(async () => (await g.getByTestId('glance-panel').getAttribute('data-state')) === 'analysed', { message: `glance of ${key}` });
      assertEqual(await g.getByTestId('glance-framework').count(), 0, 'framework explanation under the pillars');
    },
  },
];
