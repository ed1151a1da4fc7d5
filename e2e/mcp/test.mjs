#!/usr/bin/env node
// End-to-end test of BacklogAI's MCP server with a client no one here
// wrote: the official TypeScript SDK (@modelcontextprotocol/sdk). Starts
// `bin/backlogai sandbox` (the app, the emulated Jira with the demo
// project SHOP, a signed install), gets personal access tokens from
// POST /api/tokens with context tokens the sandbox signs as different demo
// people, connects over streamable HTTP, lists the tools, calls each one
// and checks the answers against the app's own API. Then the refusals:
// bad, revoked, expired (a token made with expiresInSeconds) and
// out-of-scope tokens (401/403), a viewer who cannot apply an improvement,
// the audit log, and the per-token rate limit.
//
//   BACKLOGAI_BIN   app binary (default ../../bin/backlogai; run `make build`)
//   E2E_KEEP=1      keep the run's folder (sandbox log)
//
// Prints one line per check and "N passed, N failed"; exits non-zero on
// any failure. The sandbox is always stopped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { startSandbox, tail } from '../lib/sandbox.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.BACKLOGAI_BIN || path.resolve(here, '..', '..', 'bin', 'backlogai');
const VIEWER = '712020:demo-viewer'; // jiraemu.DemoViewerID: browses SHOP only
const PROJECT = 'SHOP';

let passed = 0;
let failed = 0;
let sandbox = null;
const clients = [];

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
  }
}

// --- the app's own API, as its iframes call it --------------------------------

async function contextToken(as) {
  const q = new URLSearchParams({ project: PROJECT });
  if (as) q.set('as', as);
  const r = await fetch(`${sandbox.app}/sandbox/api/context-token?${q}`);
  assert.equal(r.status, 200, 'context token');
  return (await r.json()).token;
}

async function api(method, p, { as, body } = {}) {
  const headers = { Authorization: 'JWT ' + (await contextToken(as)), Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(sandbox.app + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function newToken(name, { as, projects = [PROJECT] } = {}) {
  const r = await api('POST', '/api/tokens', { as, body: { name, projects, expiresInDays: 7 } });
  assert.equal(r.status, 201, `create token: ${JSON.stringify(r.body)}`);
  assert.match(r.body.token, /^bai_pat_[A-Za-z0-9_-]{43}$/);
  return r.body;
}

async function connect(token) {
  const client = new Client({ name: 'backlogai-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(sandbox.app + '/mcp'), {
    requestInit: { headers: { Authorization: 'Bearer ' + token } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

// call returns a tool's structured result, failing on a tool error.
async function call(client, name, args) {
  const res = await client.callTool({ name, arguments: args });
  assert.ok(!res.isError, `${name} failed: ${JSON.stringify(res.content)}`);
  assert.ok(res.structuredContent, `${name}: no structured content`);
  assert.deepEqual(JSON.parse(res.content[0].text), res.structuredContent, `${name}: text and structured content differ`);
  return res.structuredContent;
}

// toolError returns the error text of a call that must fail.
async function toolError(client, name, args) {
  const res = await client.callTool({ name, arguments: args });
  assert.ok(res.isError, `${name} should have failed: ${JSON.stringify(res.structuredContent)}`);
  return res.content[0].text;
}

// rawMCP posts one JSON-RPC message with a token and returns the response.
async function rawMCP(token, message) {
  return fetch(sandbox.app + '/mcp', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': '2025-06-18' },
    body: JSON.stringify(message),
  });
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

async function main() {
  if (!fs.existsSync(BIN)) throw new Error(`app binary not found at ${BIN} (run make build)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backlogai-mcp-e2e-'));
  sandbox = await startSandbox({ bin: BIN, dir });
  console.log(`sandbox at ${sandbox.app} (log ${sandbox.logFile})`);

  // The lead opens the project once: activation and the first scan.
  const act = await api('POST', `/api/projects/${PROJECT}/activate`);
  assert.ok([200, 202].includes(act.status), 'activate');
  for (let i = 0; ; i++) {
    const st = await api('GET', `/api/projects/${PROJECT}/status`);
    if (st.body.scan && st.body.scan.state === 'done') break;
    if (i > 600) throw new Error('scan did not finish');
    await new Promise((r) => setTimeout(r, 100));
  }

  const lead = await newToken('e2e lead');
  const mcp = await connect(lead.token);
  const want = ['list_backlog', 'explain_issue', 'check_story', 'find_duplicates', 'estimate_story', 'get_strategy', 'update_strategy',
    'get_health', 'link_duplicate', 'override_priority', 'draft_stories', 'get_draft_run', 'create_drafts', 'propose_improvement',
    'apply_improvement', 'propose_split', 'apply_split'];
  const called = new Set();
  const track = (name) => called.add(name);

  await check('tools/list: every tool with schemas and hints', async () => {
    const { tools } = await mcp.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [...want].sort());
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.equal(t.outputSchema.type, 'object', t.name);
      assert.ok(t.description.length > 40, t.name);
      assert.equal(typeof t.annotations.readOnlyHint, 'boolean', t.name);
    }
    const ro = Object.fromEntries(tools.map((t) => [t.name, t.annotations.readOnlyHint]));
    assert.equal(ro.list_backlog, true);
    assert.equal(ro.apply_improvement, false);
    assert.ok(tools.find((t) => t.name === 'apply_improvement').inputSchema.required.includes('confirm'));
  });

  let top;
  await check('list_backlog matches GET /api/projects/SHOP/backlog', async () => {
    const got = await call(mcp, 'list_backlog', { project: PROJECT, limit: 10 });
    track('list_backlog');
    const ref = await api('GET', `/api/projects/${PROJECT}/backlog?limit=10`);
    assert.equal(got.total, ref.body.total);
    assert.deepEqual(got.rows.map((r) => [r.key, r.score, r.moscow]), ref.body.rows.map((r) => [r.key, r.score, r.moscow]));
    top = got.rows[0].key;
    const musts = await call(mcp, 'list_backlog', { project: PROJECT, moscow: 'Must', limit: 100 });
    assert.ok(musts.rows.every((r) => r.moscow === 'Must'));
    assert.match(await toolError(mcp, 'list_backlog', { project: PROJECT, moscow: 'Maybe' }), /invalid_argument: moscow/);
  });

  await check('explain_issue matches GET /api/issues/:key', async () => {
    const got = await call(mcp, 'explain_issue', { issue: top });
    track('explain_issue');
    const ref = await api('GET', `/api/issues/${top}`);
    assert.equal(got.score, ref.body.analysis.score.total);
    assert.equal(got.moscow, ref.body.analysis.score.moscow);
    assert.equal(got.pillars.length, 5);
    assert.ok(got.whyNow && got.whyThis && got.whyUs, 'why now/this/us');
    assert.equal(got.findings.length, ref.body.analysis.check.findings.length);
    assert.deepEqual(got.estimate, ref.body.analysis.estimate);
  });

  const text = { project: PROJECT, summary: 'Save the cart for later', description: 'Users lose their cart.' };
  await check('check_story, find_duplicates, estimate_story write nothing', async () => {
    const before = await api('GET', `/api/projects/${PROJECT}/backlog?limit=1&all=1`);
    const c = await call(mcp, 'check_story', text);
    assert.ok(c.quality >= 0 && c.quality < 100, `weak story quality ${c.quality}`);
    assert.ok(c.findings.some((f) => f.fix), 'findings carry fixes');
    const good = await call(mcp, 'check_story', { ...text, summary: 'As a returning shopper, I want to save my cart so that I can finish buying later',
      description: 'Acceptance criteria:\n- Given a cart with items, when I choose Save for later, then the cart is kept for 30 days\n- Given a saved cart, when I sign in, then I see it' });
    assert.ok(good.quality > c.quality, `better story scores higher (${good.quality} > ${c.quality})`);
    const d = await call(mcp, 'find_duplicates', { project: PROJECT, summary: (await api('GET', `/api/issues/${top}`)).body.issue.summary });
    assert.equal(d.duplicates[0].key, top, 'an issue\'s own summary finds that issue first');
    const e = await call(mcp, 'estimate_story', text);
    assert.ok(typeof e.estimate.points === 'number' && e.estimate.method, 'estimate');
    ['check_story', 'find_duplicates', 'estimate_story'].forEach(track);
    const after = await api('GET', `/api/projects/${PROJECT}/backlog?limit=1&all=1`);
    assert.equal(after.body.total, before.body.total, 'no issue created');
  });

  await check('get_strategy and update_strategy (admin) match the strategy API', async () => {
    const got = await call(mcp, 'get_strategy', { project: PROJECT });
    const ref = await api('GET', `/api/projects/${PROJECT}/strategy`);
    assert.deepEqual(got.strategy, ref.body);
    const upd = await call(mcp, 'update_strategy', { project: PROJECT, strategy: { vision: 'Checkout that never loses a sale' } });
    assert.equal(upd.strategy.vision, 'Checkout that never loses a sale');
    assert.deepEqual(upd.strategy.weights, ref.body.weights, 'other fields kept');
    const ref2 = await api('GET', `/api/projects/${PROJECT}/strategy`);
    assert.equal(ref2.body.vision, 'Checkout that never loses a sale');
    assert.match(await toolError(mcp, 'update_strategy', { project: PROJECT, strategy: { weights: [0, 0, 0, 0, 0] } }), /invalid_argument/);
    ['get_strategy', 'update_strategy'].forEach(track);
  });

  await check('get_health and the resources match GET /api/projects/SHOP/health', async () => {
    // update_strategy above queued a rescore that changes classes while it
    // runs; the tool and the API must agree once it has settled.
    let got, ref;
    for (let i = 0; i < 60; i++) {
      got = await call(mcp, 'get_health', { project: PROJECT });
      ref = await api('GET', `/api/projects/${PROJECT}/health`);
      if (JSON.stringify(got.health.moscow) === JSON.stringify(ref.body.moscow) && got.health.open === ref.body.open) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    track('get_health');
    assert.equal(got.health.open, ref.body.open);
    assert.deepEqual(got.health.moscow, ref.body.moscow, JSON.stringify([got.health.moscow, ref.body.moscow]));
    const { resourceTemplates } = await mcp.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((r) => r.uriTemplate).sort(),
      ['backlogai://projects/{project}/health', 'backlogai://projects/{project}/strategy']);
    const h = await mcp.readResource({ uri: `backlogai://projects/${PROJECT}/health` });
    assert.equal(JSON.parse(h.contents[0].text).health.open, ref.body.open);
    const s = await mcp.readResource({ uri: `backlogai://projects/${PROJECT}/strategy` });
    assert.equal(JSON.parse(s.contents[0].text).strategy.vision, 'Checkout that never loses a sale');
  });

  await check('prompts: groom this backlog, write stories for an objective', async () => {
    const { prompts } = await mcp.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name).sort(), ['groom_backlog', 'write_stories']);
    const g = await mcp.getPrompt({ name: 'groom_backlog', arguments: { project: PROJECT } });
    assert.match(g.messages[0].content.text, /list_backlog/);
    const w = await mcp.getPrompt({ name: 'write_stories', arguments: { project: PROJECT, objective: 'fewer abandoned carts' } });
    assert.match(w.messages[0].content.text, /fewer abandoned carts/);
  });

  await check('override_priority sets and clears the class, as the API shows', async () => {
    const o = await call(mcp, 'override_priority', { issue: top, moscow: "Won't", reason: 'Out of scope this quarter' });
    assert.equal(o.moscow, "Won't");
    let ref = await api('GET', `/api/issues/${top}`);
    assert.equal(ref.body.analysis.score.moscow, "Won't");
    assert.equal(ref.body.analysis.score.override.accountId, lead.accountId, 'override made as the token\'s person');
    const c = await call(mcp, 'override_priority', { issue: top, clear: true });
    assert.equal(c.override, null);
    ref = await api('GET', `/api/issues/${top}`);
    assert.equal(ref.body.analysis.score.override, undefined);
    track('override_priority');
  });

  await check('link_duplicate links two issues in Jira', async () => {
    const rows = (await call(mcp, 'list_backlog', { project: PROJECT, limit: 3 })).rows;
    const got = await call(mcp, 'link_duplicate', { issue: rows[1].key, duplicateOf: rows[2].key });
    assert.deepEqual(got, { key: rows[1].key, duplicates: rows[2].key, linked: true });
    assert.match(await toolError(mcp, 'link_duplicate', { issue: rows[1].key, duplicateOf: rows[1].key }), /invalid_argument/);
    track('link_duplicate');
  });

  await check('draft_stories, get_draft_run, create_drafts (confirm required)', async () => {
    // Without an LLM, stories come only from capabilities the form names.
    const run = await call(mcp, 'draft_stories', { project: PROJECT, context: 'An online shop for outdoor gear; many carts are abandoned at the shipping step.',
      objective: 'Let merchants export orders and email invoices', persona: 'store owner',
      metrics: 'orders exported per week from 0 to 500', count: 2, waitSeconds: 40 });
    assert.ok(run.done, `run finished: ${JSON.stringify(run.run && run.run.state)}`);
    assert.ok(run.run.drafts.length >= 1, 'drafts');
    const again = await call(mcp, 'get_draft_run', { project: PROJECT, runId: run.runId });
    assert.deepEqual(again.run.drafts.map((d) => d.id), run.run.drafts.map((d) => d.id));
    const ids = [run.run.drafts[0].id];
    assert.match(await toolError(mcp, 'create_drafts', { project: PROJECT, draftIds: ids, confirm: false }), /confirmation_required/);
    const before = await api('GET', `/api/projects/${PROJECT}/drafts`);
    assert.equal(before.body.drafts.find((d) => d.id === ids[0]).createdKey, undefined, 'nothing created without confirm');
    const res = await call(mcp, 'create_drafts', { project: PROJECT, draftIds: ids, confirm: true });
    assert.equal(res.created.length, 1, JSON.stringify(res));
    const after = await api('GET', `/api/projects/${PROJECT}/drafts`);
    assert.equal(after.body.drafts.find((d) => d.id === ids[0]).createdKey, res.created[0].key);
    ['draft_stories', 'get_draft_run', 'create_drafts'].forEach(track);
  });

  // The searches below call a tool per story: paced under the token's
  // rate (10 per second), after a pause that refills its burst.
  const pace = () => new Promise((r) => setTimeout(r, 120));
  await new Promise((r) => setTimeout(r, 6500));
  let weak;
  await check('propose_improvement and apply_improvement (confirm required)', async () => {
    // Without an LLM only some stories get a rewrite (the rest get
    // questions): take the weakest that does.
    const stories = (await call(mcp, 'list_backlog', { project: PROJECT, type: 'story', sort: 'quality', ascending: true, limit: 100 })).rows;
    let imp;
    for (const r of stories) {
      await pace(); // stay under the token's 10 calls per second
      const p = await call(mcp, 'propose_improvement', { issue: r.key });
      if (p.offered) {
        weak = r.key;
        imp = p;
        break;
      }
      assert.ok(Array.isArray(p.questions), 'a story without a rewrite gets questions');
    }
    assert.ok(imp, 'some story gets a rewrite without an LLM');
    const explained = await call(mcp, 'explain_issue', { issue: weak });
    assert.equal(imp.before.quality, explained.quality, 'proposal starts from the issue as analysed');
    assert.ok(imp.summary && imp.description && Array.isArray(imp.diff.description), 'a rewrite with its diff');
    assert.match(await toolError(mcp, 'apply_improvement', { issue: weak, summary: imp.summary, description: imp.description }), /invalid_argument|confirm/);
    const ok = await call(mcp, 'apply_improvement', { issue: weak, summary: imp.summary, description: imp.description, confirm: true });
    assert.deepEqual(ok, { key: weak, updated: true });
    const jira = await fetch(`${sandbox.app}/sandbox/api/issues/${weak}`).then((r) => r.json());
    assert.equal(jira.summary, imp.summary, 'Jira has the new summary');
    ['propose_improvement', 'apply_improvement'].forEach(track);
  });

  await check('propose_split and apply_split (confirm required)', async () => {
    // Without an LLM only some stories can be split (an 'and' in the goal,
    // or 4+ acceptance criteria): take the first that can.
    const candidates = (await call(mcp, 'list_backlog', { project: PROJECT, type: 'story', limit: 100 })).rows;
    let big;
    let sp;
    for (const r of candidates) {
      await pace();
      const res = await mcp.callTool({ name: 'propose_split', arguments: { issue: r.key } });
      if (!res.isError) {
        big = r;
        sp = res.structuredContent;
        break;
      }
      assert.match(res.content[0].text, /^invalid_argument: /, 'a story that cannot be split says why');
    }
    assert.ok(big, 'some story can be split');
    assert.ok(sp.stories.length >= 2, 'at least two stories');
    const stories = sp.stories.map((s) => ({ summary: s.summary, description: s.description }));
    assert.match(await toolError(mcp, 'apply_split', { issue: big.key, stories, confirm: false }), /confirmation_required/);
    const res = await call(mcp, 'apply_split', { issue: big.key, stories, confirm: true });
    assert.equal(res.created.length, stories.length);
    ['propose_split', 'apply_split'].forEach(track);
  });

  await check('every tool was called', async () => {
    assert.deepEqual(want.filter((n) => !called.has(n)), []);
  });

  // --- refusals ---------------------------------------------------------------

  await check('bad tokens get 401 with WWW-Authenticate', async () => {
    for (const tok of ['', 'bai_pat_unknown', lead.token + 'x', 'Basic abc']) {
      const r = await rawMCP(tok, initialize);
      assert.equal(r.status, 401, `token ${JSON.stringify(tok)}`);
      assert.match(r.headers.get('www-authenticate') || '', /Bearer/);
    }
  });

  await check('a revoked token gets 401, also through the SDK', async () => {
    const t = await newToken('to revoke');
    assert.equal((await rawMCP(t.token, initialize)).status, 200);
    const mine = await api('GET', '/api/tokens');
    assert.ok(mine.body.tokens.some((x) => x.id === t.id && x.lastUsedAt), 'listed with its last use');
    assert.ok(mine.body.tokens.every((x) => !('token' in x) && !('tokenHash' in x)), 'the list never shows a token');
    assert.equal((await api('DELETE', `/api/tokens/${t.id}`, { as: VIEWER })).status, 404, 'another person cannot revoke it');
    assert.equal((await api('DELETE', `/api/tokens/${t.id}`)).status, 204);
    assert.equal((await rawMCP(t.token, initialize)).status, 401);
    await assert.rejects(connect(t.token), /401|nauthorized/);
  });

  await check('an expired token gets 401 with WWW-Authenticate, also through the SDK', async () => {
    // A short-lived token (expiresInSeconds) expires on the server's clock,
    // like any other: no test-only path.
    const r = await api('POST', '/api/tokens', { body: { name: 'short-lived', projects: [PROJECT], expiresInSeconds: 3 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const expiresAt = Date.parse(r.body.expiresAt);
    assert.ok(expiresAt - Date.now() <= 3500 && expiresAt > Date.now() - 10000, `expires in seconds: ${r.body.expiresAt}`);
    const before = await rawMCP(r.body.token, initialize);
    if (Date.now() < expiresAt - 500) assert.equal(before.status, 200, 'usable before its expiry');
    await new Promise((res) => setTimeout(res, Math.max(0, expiresAt - Date.now()) + 1100));
    const after = await rawMCP(r.body.token, initialize);
    assert.equal(after.status, 401);
    assert.match(after.headers.get('www-authenticate') || '', /Bearer/);
    await assert.rejects(connect(r.body.token), /401|nauthorized/);
    const mine = await api('GET', '/api/tokens');
    const listed = mine.body.tokens.find((x) => x.id === r.body.id);
    assert.ok(listed && Date.parse(listed.expiresAt) < Date.now(), 'listed as expired');
    for (const body of [{ expiresInSeconds: -5 }, { expiresInSeconds: 400 * 86400 }, { expiresInDays: 1, expiresInSeconds: 60 }]) {
      const bad = await api('POST', '/api/tokens', { body: { name: 'bad expiry', projects: [PROJECT], ...body } });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.match(bad.body.error.message, /expiresIn/);
    }
  });

  await check('an out-of-scope project gets 403', async () => {
    const r = await rawMCP(lead.token, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_backlog', arguments: { project: 'OTHER' } } });
    assert.equal(r.status, 403);
    const r2 = await rawMCP(lead.token, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'explain_issue', arguments: { issue: 'OTHER-1' } } });
    assert.equal(r2.status, 403);
    const r3 = await rawMCP(lead.token, { jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'backlogai://projects/OTHER/strategy' } });
    assert.equal(r3.status, 403);
    const bad = await api('POST', '/api/tokens', { body: { name: 'x', projects: ['no such project!'] } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /projects/);
  });

  let viewerToken;
  await check('a viewer reads but cannot apply an improvement, change the strategy or link', async () => {
    viewerToken = await newToken('viewer', { as: VIEWER });
    const v = await connect(viewerToken.token);
    const rows = (await call(v, 'list_backlog', { project: PROJECT, limit: 2 })).rows;
    assert.equal(rows.length, 2);
    const before = await fetch(`${sandbox.app}/sandbox/api/issues/${rows[0].key}`).then((r) => r.json());
    assert.match(await toolError(v, 'apply_improvement', { issue: rows[0].key, summary: 'Hijacked', description: 'x', confirm: true }),
      /permission_denied: .*Edit issues/);
    const after = await fetch(`${sandbox.app}/sandbox/api/issues/${rows[0].key}`).then((r) => r.json());
    assert.equal(after.summary, before.summary, 'Jira unchanged');
    assert.match(await toolError(v, 'update_strategy', { project: PROJECT, strategy: { vision: 'x' } }), /permission_denied/);
    assert.match(await toolError(v, 'link_duplicate', { issue: rows[0].key, duplicateOf: rows[1].key }), /permission_denied/);
    assert.match(await toolError(v, 'override_priority', { issue: rows[0].key, moscow: 'Must', reason: 'x' }), /permission_denied/);
  });

  await check('the audit log shows the calls to project admins only', async () => {
    const a = await api('GET', `/api/projects/${PROJECT}/mcp-audit`);
    assert.equal(a.status, 200);
    const calls = a.body.calls;
    assert.ok(calls.some((c) => c.tool === 'apply_improvement' && c.result === 'ok' && c.accountId === lead.accountId));
    assert.ok(calls.some((c) => c.tool === 'apply_improvement' && c.result === 'permission_denied' && c.accountId === VIEWER));
    assert.ok(calls.some((c) => c.tool === 'create_drafts' && c.result === 'confirmation_required'));
    assert.ok(!JSON.stringify(calls).includes('Hijacked'), 'no arguments in the log');
    assert.equal((await api('GET', `/api/projects/${PROJECT}/mcp-audit`, { as: VIEWER })).status, 403);
  });

  await check('a token over its rate limit gets 429 with Retry-After', async () => {
    const t = await newToken('burst');
    const rs = await Promise.all(Array.from({ length: 120 }, () => rawMCP(t.token, initialize)));
    const limited = rs.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, 'some requests limited');
    assert.ok(rs.filter((r) => r.status === 200).length >= 50, 'the burst passes');
    assert.ok(Number(limited[0].headers.get('retry-after')) >= 1);
    assert.equal((await rawMCP(viewerToken.token, initialize)).status, 200, 'other tokens unaffected');
  });

  if (process.env.E2E_KEEP !== '1' && failed === 0) fs.rmSync(dir, { recursive: true, force: true });
}

try {
  await main();
} catch (err) {
  failed++;
  console.log(`FAIL setup: ${err && err.stack ? err.stack : err}`);
  if (sandbox) console.log(tail(sandbox.logFile));
} finally {
  for (const c of clients) await c.close().catch(() => {});
  if (sandbox) await sandbox.stop().catch(() => {});
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
