// Browser tests of the Strategy tab's framework editor
// (frontend/static/criteria.js): a PM maps RICE reach to the site's Reach
// field, and builds custom weighted criteria with one read from the
// Business value field; each save re-ranks the backlog and the glance says
// which Jira field an input came from. They leave the strategy on the five
// pillars, as they found it.
import { assert, frameOf, poll } from './lib/harness.mjs';

const PROJECT_FRAME = 'backlogai-project';
const GLANCE_FRAME = 'backlogai-glance';

const projectFrame = (ctx) => ctx.page.frameLocator(`iframe[name="${PROJECT_FRAME}"]`);
const glanceFrame = (ctx) => ctx.page.frameLocator(`iframe[name="${GLANCE_FRAME}"]`);

async function openProject(ctx) {
  await ctx.page.goto(ctx.sandbox.url);
  await frameOf(ctx.page, PROJECT_FRAME);
  const f = projectFrame(ctx);
  await poll(async () => (await f.getByTestId('scan-status').isHidden()) && (await f.getByTestId('backlog-row').count()) > 0
    && (await f.getByTestId('backlog-table').getAttribute('aria-busy')) !== 'true', { timeout: 60000, interval: 500, message: 'the ranked backlog' });
}

async function openTab(ctx, name) {
  const f = projectFrame(ctx);
  await f.getByRole('tab', { name }).click();
  await poll(async () => (await f.getByRole('tab', { name }).getAttribute('aria-selected')) === 'true', { message: `tab ${name} selected` });
}

const backlogKeys = (ctx) => projectFrame(ctx).getByTestId('backlog-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
const previewKeys = (ctx) => projectFrame(ctx).getByTestId('preview-row').evaluateAll((li) => li.map((x) => x.getAttribute('data-key')));

// edit runs change on the Strategy tab, waits for the preview to re-rank,
// saves and waits for the backlog to follow; it returns the new order.
async function editAndSave(ctx, what, change) {
  const f = projectFrame(ctx);
  await openProject(ctx);
  const backlogBefore = await backlogKeys(ctx);
  await openTab(ctx, 'Strategy');
  await poll(async () => (await f.getByTestId('preview-row').count()) > 3, { message: 'preview of the ranked backlog' });
  const before = await previewKeys(ctx);
  await change(f);
  await poll(async () => {
    const keys = await previewKeys(ctx);
    return keys.length && keys.join() !== before.join();
  }, { timeout: 20000, message: `the preview to re-rank after ${what}` });
  await f.getByTestId('strategy-save').click();
  await poll(async () => {
    const err = (await f.getByTestId('strategy-error').innerText()).trim();
    if (err) throw new Error(`saving ${what}: ${err}`);
    return /Strategy saved/.test(await ctx.page.locator('#flags').innerText());
  }, { message: `saving ${what}` });
  // The rescore reads the newly mapped field first: reload, as a PM would.
  return poll(async () => {
    await openProject(ctx);
    const keys = await backlogKeys(ctx);
    return keys.length && keys.join() !== backlogBefore.join() ? keys : null;
  }, { timeout: 60000, interval: 2000, message: `the backlog to re-rank after ${what}` });
}

// glanceInputs opens an issue and returns its framework inputs' sources.
async function glanceInputs(ctx, key) {
  await ctx.page.goto(new URL('/sandbox/issue/' + key + '?glance=open', ctx.sandbox.url).href);
  await frameOf(ctx.page, GLANCE_FRAME);
  const g = glanceFrame(ctx);
  await poll(async () => (await g.getByTestId('glance-panel').getAttribute('data-state')) === 'analysed', { message: `glance of ${key}` });
  await g.getByTestId('glance-framework').waitFor();
  return g.getByTestId('glance-framework-input').evaluateAll((li) => li.map((x) => ({ text: x.textContent.trim(), source: x.getAttribute('data-source') })));
}

export const tests = [
  {
    name: 'criteria: mapping RICE reach to the Reach field re-ranks; the glance says "from Jira field Reach"',
    timeout: 150000,
    async run(ctx) {
      await openProject(ctx);
      const order = await editAndSave(ctx, 'mapping reach', async (f) => {
        await f.getByTestId('strategy-framework').selectOption('rice');
        const reach = f.locator('[data-testid="fw-map-select"][data-input="reach"]');
        await poll(async () => (await reach.locator('option').count()) > 1, { message: 'the site\'s number fields in the mapping select' });
        await reach.selectOption({ label: 'Reach' });
      });
      // Under RICE a real reach (thousands of shoppers) beats the pillar
      // index (at most 1000): the top issues' reach is the field's (one
      // may hold a reach an earlier test entered in its glance instead).
      const seen = [];
      for (const key of order.slice(0, 3)) {
        const reach = (await glanceInputs(ctx, key)).find((i) => /^reach\b/.test(i.text));
        seen.push(`${key}: ${reach && reach.text}`);
        if (reach && reach.source === 'from Jira field Reach') return;
      }
      throw new Error(`no reach from Jira field Reach among the top three: ${seen.join('; ')}`);
    },
  },
  {
    name: 'criteria: a custom criterion added in the editor, read from Business value, changes the ranking',
    timeout: 150000,
    async run(ctx) {
      await openProject(ctx);
      const f = projectFrame(ctx);
      const order = await editAndSave(ctx, 'custom criteria', async (fr) => {
        await fr.getByTestId('strategy-framework').selectOption('custom');
        await fr.getByTestId('fw-criteria').waitFor();
        await fr.getByTestId('fw-criterion-add').click();
        const row = fr.getByTestId('fw-criterion').last();
        await row.getByTestId('fw-criterion-name').fill('Business value');
        await row.getByTestId('fw-criterion-weight').fill('4');
        const sel = row.getByTestId('fw-map-select');
        await poll(async () => (await sel.locator('option').count()) > 1, { message: 'the site\'s number fields in the criterion\'s select' });
        await sel.selectOption({ label: 'Business value' });
      });
      const inputs = await glanceInputs(ctx, order[0]);
      const bv = inputs.find((i) => /^Business value\b/.test(i.text));
      assert(bv && bv.source === 'from Jira field Business value', `${order[0]} Business value: ${JSON.stringify(inputs)}`);
      const formula = await glanceFrame(ctx).getByTestId('glance-framework-formula').innerText();
      assert(/^Weighted criteria = 10 × \(1 × User Value [\d.]+ \+ 4 × Business value [\d.]+\)/.test(formula), `formula: ${formula}`);
      // A criterion's weight is validated by the server, which names it.
      await openProject(ctx);
      await openTab(ctx, 'Strategy');
      await f.getByTestId('fw-criterion-weight').last().fill('1000');
      await f.getByTestId('strategy-save').click();
      await poll(async () => /framework\.criteria\[1\]\.weight/.test(await f.getByTestId('strategy-error').innerText()), { message: 'the weight refused, named' });
      // Back to the pillars, as the tests found it.
      await f.getByTestId('strategy-reset').click();
      await editAndSave(ctx, 'the pillars', async (fr) => { await fr.getByTestId('strategy-framework').selectOption('pillars'); });
    },
  },
];
