/*
 * BacklogAI project page, Settings tab (an ES module): the AI model,
 * research, budgets and retention of the project or, for Jira site
 * administrators, of the site; and every person's AI assistant tokens.
 * The tab shows once either part is available to the person.
 *
 * data-testid values:
 *   settings:  settings-form, settings-scope (site admins only), settings-scope-{project,site}, settings-scope-help,
 *              fieldsets settings-llm, settings-research, settings-budgets, settings-retention,
 *              settings-llm-{inherit,none,openai,compatible}, settings-llm-base-url, settings-llm-model,
 *              settings-llm-key, settings-llm-key-state, settings-llm-source, settings-research-{inherit,none,serpapi},
 *              settings-research-key, settings-research-key-state, settings-research-source, settings-budget-llm,
 *              settings-budget-searches, settings-budget-source, settings-usage, settings-retention-days,
 *              settings-retention-help, settings-save, settings-error,
 *              settings-{llm,research}-test (Test connection), settings-{llm,research}-test-result
 *              holding settings-test-message
 *              (data-kind: ok, dns, refused, tls, timeout, blocked, auth, unknown_model, not_found,
 *              rate_limited, server_error, bad_answer, network, none)
 *   assistants: settings-ai, mcp-url, token-form, token-name, token-projects, token-expiry, token-error, token-create,
 *              token-once, token-value, token-copy, token-list, token-row, token-revoke, mcp-audit
 */
import { B, el, $, $$ } from './page.js';

/** setup wires the Settings tab; load asks the server what the person may see. */
export function setup(page) {
  var data = page.data, P = page.P;
  // One form edits this project's settings or, for Jira site
  // administrators, the site defaults; a group left on "Use the ...
  // default" (or an empty budget) is inherited from the next scope out.
  var setForm = $('#settings-form'), setErr = $('#settings-error'), settingsTab = $('#tab-settings');
  var settingsData = null, setScope = 'project';
  var SOURCES = { project: 'set for this project', site: 'from the site defaults', app: "the app's default" };
  function radio(name, v) { $$('input[name="' + name + '"]').forEach(function (r) { r.checked = r.value === v; }); }
  function radioVal(name) { return ($('input[name="' + name + '"]:checked') || {}).value || 'none'; }
  function providersChanged() {
    var llm = radioVal('llm-provider');
    $('#llm-base-field').hidden = llm !== 'compatible';
    $('#llm-model-field').hidden = llm === 'none' || llm === 'inherit';
    $('#llm-key-field').hidden = llm === 'none' || llm === 'inherit';
    var rs = radioVal('research-provider');
    $('#research-key-field').hidden = rs === 'none' || rs === 'inherit';
  }
  function describeLLM(l) {
    if (!l.provider || l.provider === 'none') return 'no AI model';
    return (l.provider === 'openai' ? 'OpenAI' : 'the server at ' + l.baseUrl) + (l.model ? ', model ' + l.model : '');
  }
  function fillSettings(s) {
    settingsData = s;
    if (!s.site) setScope = 'project';
    $('#settings-scope').hidden = !s.site;
    radio('settings-scope', setScope);
    var site = setScope === 'site', v = site ? s.site : s, own = site ? 'site' : 'project';
    var parent = site ? "the app's default" : 'the site default';
    $$('#settings-form .inherit-label').forEach(function (x) { x.textContent = 'Use ' + parent; });
    $('#settings-scope-help').textContent = site ? 'Site defaults apply to every project that has no value of its own.' : '';
    var llm = v.llm || {}, rs = v.research || {}, bu = v.budgets || {}, us = s.usage || {};
    var llmOwn = llm.source === own, rsOwn = rs.source === own;
    radio('llm-provider', llmOwn ? (llm.provider || 'none') : 'inherit');
    $('#llm-base').value = llmOwn ? llm.baseUrl || '' : '';
    $('#llm-model').value = llmOwn ? llm.model || '' : '';
    $('#llm-key').value = '';
    $('#llm-key-help').textContent = llmOwn && llm.keySet ? 'A key is stored. Leave empty to keep it.' : 'No key stored.';
    $('#llm-source').textContent = llmOwn ? '' : 'In use: ' + describeLLM(llm) + ' (' + SOURCES[llm.source] + ').';
    radio('research-provider', rsOwn ? (rs.provider || 'none') : 'inherit');
    $('#research-key').value = '';
    $('#research-key-help').textContent = rsOwn && rs.keySet ? 'A key is stored. Leave empty to keep it.' : 'No key stored.';
    $('#research-source').textContent = rsOwn ? '' : 'In use: ' + (rs.provider === 'serpapi' ? 'SerpAPI' : 'none') + ' (' + SOURCES[rs.source] + ').';
    var bl = $('#budget-llm'), bs = $('#budget-search'), inherited = [];
    bl.value = bu.llmSource === own ? bu.llmMonthlyUsd : '';
    bs.value = bu.searchesSource === own ? bu.searchesPerMonth : '';
    bl.placeholder = bu.llmSource === own ? '' : String(bu.llmMonthlyUsd);
    bs.placeholder = bu.searchesSource === own ? '' : String(bu.searchesPerMonth);
    if (bu.llmSource !== own) inherited.push('$' + Number(bu.llmMonthlyUsd || 0).toFixed(2) + ' AI spend (' + SOURCES[bu.llmSource] + ')');
    if (bu.searchesSource !== own) inherited.push(bu.searchesPerMonth + ' searches (' + SOURCES[bu.searchesSource] + ')');
    $('#budget-source').textContent = inherited.length ? 'Empty fields use ' + parent + ': ' + inherited.join(', ') + '.' : '';
    var ret = $('#retention');
    ret.value = v.retentionDays || '';
    ret.disabled = !site;
    $('#retention-help').textContent = site ? (v.retentionSource === 'site' ? '' : "The app's default.") :
      'A site setting' + (s.site ? ': change it in the site defaults.' : ': only Jira site administrators can change it.');
    var pb = s.budgets || {}, usage = $('#usage');
    B.clear(usage);
    usage.appendChild(document.createTextNode('This month: $' + Number(us.llmUsdThisMonth || 0).toFixed(2) + ' of $' + Number(pb.llmMonthlyUsd || 0).toFixed(2) + ' AI spend '));
    usage.appendChild(meter(us.llmUsdThisMonth, pb.llmMonthlyUsd));
    usage.appendChild(document.createTextNode(' · ' + (us.searchesThisMonth || 0) + ' of ' + (pb.searchesPerMonth || 0) + ' searches '));
    usage.appendChild(meter(us.searchesThisMonth, pb.searchesPerMonth));
    providersChanged();
  }
  function meter(v, max) {
    var pct = max > 0 ? Math.min(100, Math.round(100 * (v || 0) / max)) : 0;
    var m = el('span', { class: 'meter', role: 'img', 'aria-label': pct + '% used' }, el('span'));
    m.firstChild.style.width = pct + '%';
    return m;
  }
  function loadSettings() {
    B.api('GET', P + '/settings').then(function (s) {
      if (!s || !s.isAdmin) return;
      settingsTab.hidden = false;
      fillSettings(s);
      if (page.hashTab() === 'settings') page.selectTab('settings', false);
    }, function () { /* not an admin, or not available: the tab stays hidden */ });
  }
  // An empty budget field inherits (null); anything else is sent as typed.
  function optNum(v) { v = String(v).trim(); return v === '' ? null : Number(v); }
  $$('input[name="llm-provider"], input[name="research-provider"]').forEach(function (r) { r.addEventListener('change', providersChanged); });
  $$('input[name="settings-scope"]').forEach(function (r) {
    r.addEventListener('change', function () {
      setScope = radioVal('settings-scope');
      B.errorBox(setErr, null);
      if (settingsData) fillSettings(settingsData);
    });
  });
  /** settingsBody reads the form; null (after showing why) when the base URL is not usable. */
  function settingsBody(slot) {
    var llm = radioVal('llm-provider'), base = $('#llm-base');
    base.removeAttribute('aria-invalid');
    if (llm === 'compatible' && !/^https?:\/\/\S+$/.test(base.value.trim())) {
      base.setAttribute('aria-invalid', 'true');
      B.errorBox(slot, { message: 'Base URL (llm.baseUrl): an OpenAI-compatible server needs a URL starting with https:// or http://.' });
      base.focus();
      return null;
    }
    var body = {
      llm: { provider: llm, baseUrl: base.value.trim(), model: $('#llm-model').value.trim() },
      research: { provider: radioVal('research-provider') },
      budgets: { llmMonthlyUsd: optNum($('#budget-llm').value), searchesPerMonth: optNum($('#budget-search').value) }
    };
    if (body.budgets.searchesPerMonth !== null) body.budgets.searchesPerMonth = Math.round(body.budgets.searchesPerMonth);
    // Retention is sent as typed (the server refuses 0 or a fraction
    // with the field named); an empty field keeps the stored value.
    var ret = $('#retention').value.trim();
    if (setScope === 'site' && ret !== '') body.retentionDays = Number(ret);
    if ($('#llm-key').value && llm !== 'inherit') body.llm.apiKey = $('#llm-key').value;
    if ($('#research-key').value && body.research.provider !== 'inherit') body.research.apiKey = $('#research-key').value;
    return body;
  }
  // Test connection: one real call with the form as it is (nothing saved).
  $$('[data-test-target]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var target = btn.getAttribute('data-test-target');
      var out = $('#' + target + '-test-result');
      B.clear(out);
      out.removeAttribute('data-kind');
      var body = settingsBody(out);
      if (!body) return;
      var req = { target: target, llm: body.llm, research: body.research };
      B.busy(btn, true);
      out.appendChild(el('p', { class: 'subtle', text: 'Testing…' }));
      B.api('POST', P + '/settings/test' + (setScope === 'site' ? '?scope=site' : ''), req).then(function (r) {
        B.busy(btn, false);
        B.clear(out);
        out.setAttribute('data-kind', r.kind);
        out.appendChild(el('p', { class: r.ok ? 'success' : (r.kind === 'none' ? 'note' : 'error'), 'data-testid': 'settings-test-message', text: r.message }));
      }, function (err) {
        B.busy(btn, false);
        B.errorBox(out, err, function () { btn.click(); });
      });
    });
  });
  setForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var body = settingsBody(setErr);
    if (!body) return;
    var btn = $('[data-testid="settings-save"]');
    B.busy(btn, true);
    B.api('PUT', P + '/settings' + (setScope === 'site' ? '?scope=site' : ''), body).then(function (s) {
      B.busy(btn, false);
      B.errorBox(setErr, null);
      if (s) fillSettings(s);
      B.flag(setScope === 'site' ? 'Site defaults saved' : 'Settings saved', '');
    }, function (err) {
      B.busy(btn, false);
      B.errorBox(setErr, err, function () { setForm.requestSubmit(); });
    });
  });

  /* ---------------- AI assistants (personal access tokens) ---------------- */
  // Every signed-in person manages their own tokens here; project
  // administrators also see the project's tool-call audit log.
  var tokForm = $('#token-form'), tokErr = $('#token-error');
  $('#mcp-url').textContent = data.mcpUrl || (location.origin + location.pathname.replace(/\/[^/]*$/, '') + '/mcp');
  $('#token-projects').value = data.projectKey;
  function day(s) { return s ? new Date(s).toLocaleDateString() : 'never'; }
  function renderTokens(list) {
    var rows = $('#token-rows');
    rows.textContent = '';
    if (!list.length) rows.appendChild(el('tr', {}, el('td', { colspan: '6', class: 'subtle', text: 'No tokens yet.' })));
    list.forEach(function (t) {
      var state = t.revokedAt ? 'revoked' : (new Date(t.expiresAt) <= new Date() ? 'expired' : '');
      var revoke = el('button', { type: 'button', class: 'btn btn-subtle', 'data-testid': 'token-revoke', text: 'Revoke', 'aria-label': 'Revoke token ' + t.name });
      revoke.addEventListener('click', function () {
        B.busy(revoke, true);
        B.api('DELETE', '/tokens/' + t.id).then(loadTokens, function (err) { B.busy(revoke, false); B.errorBox(tokErr, err); });
      });
      rows.appendChild(el('tr', { 'data-testid': 'token-row' }, [
        el('td', { text: t.name }), el('td', {}, el('code', { text: t.prefix + '…' })), el('td', { text: t.projects.join(', ') }),
        el('td', { text: state || day(t.expiresAt) }), el('td', { text: day(t.lastUsedAt) }),
        el('td', {}, state ? [] : [revoke])]));
    });
    B.resize();
  }
  function loadTokens() {
    B.api('GET', '/tokens').then(function (r) { renderTokens((r && r.tokens) || []); }, function (err) { B.errorBox(tokErr, err, loadTokens); });
  }
  function loadAssistants() {
    settingsTab.hidden = false;
    loadTokens();
    B.api('GET', P + '/mcp-audit').then(function (r) {
      var rows = $('#mcp-audit-rows');
      rows.textContent = '';
      ((r && r.calls) || []).forEach(function (c) {
        rows.appendChild(el('tr', {}, [el('td', { text: new Date(c.at).toLocaleString() }), el('td', { text: c.accountId }),
          el('td', {}, el('code', { text: c.tool })), el('td', { text: c.result })]));
      });
      $('#mcp-audit').hidden = false;
    }, function () { setForm.hidden = true; /* not a project admin: only their own tokens */ });
  }
  tokForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('#token-name');
    name.removeAttribute('aria-invalid');
    if (!name.value.trim()) {
      name.setAttribute('aria-invalid', 'true');
      B.errorBox(tokErr, { message: 'Give the token a name, such as the assistant or machine that will use it.' });
      name.focus();
      return;
    }
    var projects = $('#token-projects').value.split(',').map(function (x) { return x.trim().toUpperCase(); }).filter(Boolean);
    var btn = $('[data-testid="token-create"]');
    B.busy(btn, true);
    B.api('POST', '/tokens', { name: name.value.trim(), projects: projects, expiresInDays: Number($('#token-expiry').value) }).then(function (t) {
      B.busy(btn, false);
      B.errorBox(tokErr, null);
      $('#token-value').textContent = t.token;
      $('#token-once').hidden = false;
      name.value = '';
      loadTokens();
    }, function (err) { B.busy(btn, false); B.errorBox(tokErr, err); });
  });
  $('#token-copy').addEventListener('click', function () {
    var v = $('#token-value').textContent;
    (navigator.clipboard ? navigator.clipboard.writeText(v) : Promise.reject()).then(function () { B.flag('Token copied', ''); }, function () {
      var r = document.createRange();
      r.selectNodeContents($('#token-value'));
      getSelection().removeAllRanges();
      getSelection().addRange(r);
      B.announce('Token selected: press Ctrl+C to copy it.');
    });
  });

  return {
    start: function () {},
    load: function () { loadSettings(); loadAssistants(); }
  };
}
