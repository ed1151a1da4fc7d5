// Browser tests of the Forge host: the /sandbox shell as Jira with the
// app installed as a Forge app (?host=forge). The glance and the project
// page are the Custom UI resources (forge/ui: index.html, loader.js and
// the pages' own static files) with the sandbox's @forge/bridge shim;
// every call reaches the app through the emulated Forge, which mints a
// Forge Invocation Token for the person and the module.
//
// They run after every Connect test and leave the shell on Connect.
// Alone: E2E_ONLY=forge (they activate and scan the project themselves).
import { assert, poll } from './lib/harness.mjs';

const PROJECT_FRAME = 'backlogai-project';
const GLANCE_FRAME = 'backlogai-glance';

async function emu(ctx, path) {
  const r = await fetch(ctx.sandbox.emu + path);
  assert(r.ok, `emulator ${path}: HTTP ${r.status}`);
  return r.json();
}

// forgeFrame waits for a Custom UI frame whose page the loader has
// mounted (host.js found the bridge, and there is no AP at all).
async function forgeFrame(page, name, timeout = 20000) {
  return poll(async () => {
    const f = page.frame({ name });
    if (!f || !/\/sandbox\/forge\/ui\//.test(f.url())) return null;
    const ok = await f.evaluate(() => !!(window.BAIHost && window.BAIHost.kind === 'forge' && !window.AP && document.body.dataset.page))
      .catch(() => false);
    return ok ? f : null;
  }, { timeout, message: `Custom UI frame ${name}` });
}

function frameLoc(ctx, name) {
  return ctx.page.frameLocator(`iframe[name="${name}"]`);
}

// openForgeProject opens the project page on the Forge host as a person
// (default: the project lead; earlier tests may have switched the shell).
async function openForgeProject(ctx, as = '') {
  if (!as) {
    const info = await emu(ctx, '/_emulator/info');
    as = (info.users.find((u) => /project lead/.test(u.rights)) || {}).accountId || '';
  }
  await ctx.page.goto(`${ctx.sandbox.app}/sandbox?host=forge&project=SHOP&as=${encodeURIComponent(as)}`);
  return forgeFrame(ctx.page, PROJECT_FRAME);
}

export const tests = [
  {
    name: 'forge: the project page as Custom UI lists the ranked backlog through the bridge',
    timeout: 150000,
    async run(ctx) {
      const { page } = ctx;
      const frame = await openForgeProject(ctx);
      assert(/\/sandbox\/forge\/ui\/project\/(#.*)?$/.test(frame.url()), `project frame at ${frame.url()}`);
      assert(await page.getByRole('navigation', { name: 'App host' }).getByRole('link', { name: 'Forge' }).getAttribute('aria-current') === 'true',
        'the host switch does not show Forge');
      const f = frameLoc(ctx, PROJECT_FRAME);
      await poll(async () => (await f.getByTestId('scan-status').isHidden())
        && (await f.getByTestId('backlog-row').count()) >= 10
        && (await f.getByTestId('backlog-table').getAttribute('aria-busy')) !== 'true',
      { timeout: 130000, interval: 500, message: 'the ranked backlog in the Custom UI project page' });
      const scores = await f.getByTestId('backlog-score').evaluateAll((tds) => tds.map((td) => Number(td.textContent.trim())));
      assert(scores.every((s, i) => i === 0 || scores[i - 1] >= s), `backlog not ranked by score: ${scores.join(', ')}`);
      // The page context came from view.getContext(), not from a signed URL.
      const ctxKey = await frame.evaluate(() => window.BAIHost.context().then((c) => c.projectKey));
      assert(ctxKey === 'SHOP', `view.getContext project ${ctxKey}`);
      ctx.state.forgeRows = await f.getByTestId('backlog-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
    },
  },
  {
    name: 'forge: an override from the Custom UI project page is saved as the person, with a Jira flag',
    timeout: 60000,
    async run(ctx) {
      const { page } = ctx;
      const frame = await openForgeProject(ctx);
      const f = frameLoc(ctx, PROJECT_FRAME);
      await poll(async () => (await f.getByTestId('backlog-row').count()) > 0, { message: 'backlog rows' });
      const key = await f.getByTestId('backlog-row').last().getAttribute('data-key');
      await f.locator(`tr[data-key="${key}"]`).getByTestId('backlog-row-select').check();
      await f.getByTestId('bulk-override').click();
      await f.getByTestId('bulk-moscow').selectOption('Must');
      await f.getByTestId('bulk-reason').fill('Forge browser test: contract renewal');
      await f.getByTestId('bulk-apply').click();
      // B.flag went through the bridge's showFlag to the host page.
      await page.locator('#flags').getByText('Overrides saved').waitFor();
      const detail = await poll(() => frame.evaluate((k) => window.BAI.api('GET', '/issues/' + k), key),
        { message: `the override of ${key}` });
      const info = await emu(ctx, '/_emulator/info');
      const lead = info.users.find((u) => /project lead/.test(u.rights)) || {};
      const o = (detail.analysis && detail.analysis.score && detail.analysis.score.override) || {};
      assert(o.moscow === 'Must' && o.accountId === lead.accountId,
        `override of ${key}: ${JSON.stringify(o)}, want Must by ${lead.accountId}`);
      await frame.evaluate((k) => window.BAI.api('DELETE', '/issues/' + k + '/override'), key);
    },
  },
  {
    name: 'forge: the glance as Custom UI shows score, class and findings; a link goes to Jira as the person',
    timeout: 90000,
    async run(ctx) {
      const { page } = ctx;
      const info = await emu(ctx, '/_emulator/info');
      const member = info.users.find((u) => /links/.test(u.rights));
      assert(member, 'no demo user who links issues');
      const frame = await openForgeProject(ctx, member.accountId);
      // A vague issue with a likely duplicate: findings and a link to make.
      const pick = await frame.evaluate(async () => {
        const res = await window.BAI.api('GET', '/projects/SHOP/backlog?flag=duplicate&limit=50');
        const rows = (res.rows || []).slice().sort((a, b) => b.flags.includes('vague') - a.flags.includes('vague'));
        for (const r of rows) {
          const d = await window.BAI.api('GET', '/issues/' + r.key);
          const linked = new Set(((d.issue && d.issue.links) || []).map((l) => l.otherKey || l.OtherKey));
          if (((d.analysis && d.analysis.duplicates) || []).some((x) => x.band && !linked.has(x.key))) return r;
        }
        return null;
      });
      assert(pick, 'no issue with a likely duplicate left to link');
      // router.navigate: the issue link in the Custom UI page opens the issue.
      const f = frameLoc(ctx, PROJECT_FRAME);
      await f.getByTestId('backlog-search').fill(pick.key);
      const link = f.locator(`a[data-issue-key="${pick.key}"]`).first();
      await link.waitFor();
      await link.click();
      await page.waitForURL(new RegExp(`/sandbox/issue/${pick.key}\\?glance=open`));
      const gf = await forgeFrame(page, GLANCE_FRAME);
      assert(/\/sandbox\/forge\/ui\/glance\/(#.*)?$/.test(gf.url()), `glance frame at ${gf.url()}`);
      const g = frameLoc(ctx, GLANCE_FRAME);
      await poll(async () => (await g.getByTestId('glance-panel').getAttribute('data-state')) === 'analysed', { message: `glance of ${pick.key} analysed` });
      const score = Number(((await g.getByTestId('glance-score').innerText()).match(/\d+/) || ['-1'])[0]);
      assert(score === pick.score, `glance score ${score}, backlog ${pick.score}`);
      const moscow = (await g.getByTestId('glance-moscow').textContent()).trim();
      assert(moscow === pick.moscow, `glance class ${moscow}, backlog ${pick.moscow}`);
      const label = (await page.locator('#glance-label').textContent()).trim();
      assert(label === `${score} · ${moscow}`, `glance lozenge in Jira ${JSON.stringify(label)}`);
      if (pick.flags.includes('vague')) assert(await g.getByTestId('finding').count() >= 1, `no findings on vague ${pick.key}`);
      assert(await g.getByTestId('invest-letter').count() === 6, 'INVEST letters');
      // Link the first likely duplicate: the app creates the link in Jira
      // with the person's Forge user token, so Jira's history names them.
      const dup = g.getByTestId('duplicate').filter({ has: g.getByTestId('duplicate-link-button') }).first();
      const other = await dup.getAttribute('data-key');
      await dup.getByTestId('duplicate-link-button').click();
      await dup.getByTestId('duplicate-confirm').click();
      await poll(async () => (await g.locator(`[data-key="${other}"]`).getByTestId('duplicate-linked').count()) > 0,
        { message: `${pick.key} linked to ${other}` });
      const issue = await emu(ctx, `/_emulator/issues/${pick.key}?expand=changelog`);
      const h = (issue.changelog.histories || []).find((x) => x.items.some((i) => i.field === 'Link' && i.to === other));
      assert(h, `no Link history to ${other} on ${pick.key}`);
      assert(h.author && h.author.accountId === member.accountId,
        `the link was made by ${h.author && h.author.accountId}, want ${member.accountId} (${member.displayName})`);
      // Back to the Connect host and the lead for whatever runs next.
      await page.goto(`${ctx.sandbox.app}/sandbox?host=connect&as=${encodeURIComponent((info.users.find((u) => /project lead/.test(u.rights)) || {}).accountId || '')}`);
    },
  },
];
