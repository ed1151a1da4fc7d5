/*
 * BacklogAI project page: tabs Backlog, Generate, Strategy, Health, Settings.
 * The server renders the shell and the first backlog page; the initial state
 * is in <script type="application/json" id="bai-data">. The selected tab and
 * the backlog's query live in the URL hash (#backlog&sort=quality&dir=asc…,
 * #generate, #strategy, #health, #settings).
 *
 * Stable hooks for browser tests (data-testid):
 *   page:      tabs, tab-backlog, tab-generate, tab-strategy, tab-health, tab-settings (hidden unless admin),
 *              panel-backlog, panel-generate, panel-strategy, panel-health, panel-settings, live
 *   scan:      scan-status, scan-progress, scan-text, scan-error
 *   backlog:   backlog-search, filter-moscow-{must,should,could,wont}, filter-flag-{duplicate,vague,stale,too_big},
 *              backlog-type, backlog-include-done, backlog-include-subtasks, backlog-rollup (an epic's open children), backlog-table (aria-busy while loading), backlog-body,
 *              backlog-row (data-key), backlog-row-select, backlog-issue-link, backlog-score, backlog-moscow, backlog-quality, backlog-estimate,
 *              sort-key, sort-score, sort-quality, sort-estimate (th has aria-sort), backlog-select-page,
 *              backlog-prev, backlog-next, backlog-status, backlog-empty, backlog-clear-filters, backlog-error
 *   bulk:      bulk-bar, bulk-count, bulk-override, bulk-open, bulk-clear, bulk-sheet, bulk-moscow,
 *              bulk-reason, bulk-apply, bulk-cancel, bulk-error, bulk-status, bulk-jql
 *   generate:  generate-form, generate-context, generate-objective, generate-persona, generate-segment,
 *              generate-constraints, generate-metrics, generate-competitors, generate-count, generate-epic,
 *              generate-research, generate-submit, generate-error, generate-unavailable, generate-llm-note,
 *              generate-run, generate-progress, generate-step, generate-run-error, generate-notice,
 *              drafts, drafts-list, drafts-create, drafts-selected, drafts-result, draft (data-draft-id,
 *              data-status), draft-select, draft-title, draft-status, draft-score, draft-quality,
 *              draft-invest, draft-story, draft-criteria, draft-sources, draft-source, draft-created-key,
 *              draft-edit, draft-title-input, draft-story-input, draft-criteria-input, draft-save, draft-cancel,
 *              drafts-created (success box after creating), drafts-created-key (links to the new issues)
 *              draft-parent, draft-parent-input, draft-discard, drafts-discard-all, drafts-discarded, drafts-undo, drafts-empty,
 *              drafts-outcome, draft-outcome (one per draft: created or failed with a reason)
 *   strategy:  strategy-form, strategy-vision, strategy-objectives(-list|-input|-add|-remove),
 *              strategy-competitors(-list|-input|-add|-remove), strategy-weights, strategy-moscow (fieldset),
 *              weight-{user_value,commercial_impact,strategic_horizon,competitive_positioning,technical_reality}
 *              (range inputs) and weight-…-value (outputs), strategy-mode-relative, strategy-share-{must,should,could},
 *              strategy-mode-thresholds, strategy-mode-capacity,
 *              strategy-threshold-{must,should,could}, strategy-capacity, strategy-labels, strategy-split,
 *              strategy-quality-bar, strategy-stale-days, strategy-save, strategy-reset, strategy-error,
 *              strategy-preview, preview-list, preview-row (data-key, data-rank), preview-move, preview-status,
 *              preview-split (class counts), preview-warning (an empty or overfull class),
 *              preview-error
 *   health:    health-summary, health-error, chart-scores, chart-moscow, chart-invest, chart-quality
 *              (figures with an svg[role=img] and a "Show as table" alternative: chart-table),
 *              health-clusters, health-cluster, health-stale, health-stale-row
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
 *   errors:    error-box, error-retry
 *   also:      backlog-quality
 */
(function () {
  'use strict';
  var B = window.BAI, el = B.el, $ = B.$, $$ = B.$$;

  B.init(function () {
    var data = JSON.parse($('#bai-data').textContent);
    var P = '/projects/' + encodeURIComponent(data.projectKey);
    var LETTERS = [['I', 'Independent'], ['N', 'Negotiable'], ['V', 'Valuable'], ['E', 'Estimable'], ['S', 'Small'], ['T', 'Testable']];
    var MOSCOW = ['Must', 'Should', 'Could', "Won't"];

    function issueLink(key, testid) {
      return el('a', { class: 'issue-link', href: data.jiraUrl + '/browse/' + encodeURIComponent(key), target: '_top', 'data-issue-key': key, 'data-testid': testid, text: key });
    }
    // Several issues open in Jira's issue search (a JQL URL), not as text.
    function searchUrl(keys) {
      return data.jiraUrl + '/issues/?jql=' + encodeURIComponent('key in (' + keys.join(', ') + ') ORDER BY key ASC');
    }
    function searchLink(keys, testid) {
      return el('a', { class: 'btn btn-sm', href: searchUrl(keys), target: '_top', 'data-testid': testid, text: 'Open ' + keys.length + ' in Jira' });
    }
    function lozenge(m, testid) { return el('span', { class: 'lozenge m-' + B.moscowSlug(m), 'data-testid': testid, text: m || '–' }); }
    // No applicable story check (bugs, tasks, epics): "–", never 100.
    function qualityText(q) { return q === null || q === undefined || q < 0 ? '–' : String(q); }

    /* ---------------- Tabs and URL hash ---------------- */
    var tabs = $$('[role="tab"]');
    var started = {};
    var current = 'backlog';

    function parseHash() {
      var h = location.hash.replace(/^#/, '');
      var i = h.indexOf('&');
      return { tab: i < 0 ? h : h.slice(0, i), params: new URLSearchParams(i < 0 ? '' : h.slice(i + 1)) };
    }
    function writeHash() {
      var h = '#' + current;
      if (current === 'backlog') {
        var q = backlogParams(false).toString();
        if (q) h += '&' + q;
      }
      if (location.hash !== h) history.replaceState(null, '', h);
    }
    function visibleTabs() { return tabs.filter(function (t) { return !t.hidden; }); }
    function selectTab(name, focus) {
      var tab = tabs.filter(function (t) { return t.getAttribute('data-tab') === name && !t.hidden; })[0] || tabs[0];
      name = tab.getAttribute('data-tab');
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute('aria-selected', on ? 'true' : 'false');
        t.tabIndex = on ? 0 : -1;
        document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
      });
      if (focus) tab.focus();
      current = name;
      writeHash();
      if (!started[name]) { started[name] = true; starters[name](); } else if (resumers[name]) resumers[name]();
      B.resize();
    }
    $('[role="tablist"]').addEventListener('click', function (e) {
      var t = e.target.closest('[role="tab"]');
      if (t) selectTab(t.getAttribute('data-tab'), false);
    });
    $('[role="tablist"]').addEventListener('keydown', function (e) {
      var vis = visibleTabs();
      var i = vis.indexOf(document.activeElement);
      if (i < 0) return;
      var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: vis.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      next = (next + vis.length) % vis.length;
      selectTab(vis[next].getAttribute('data-tab'), true);
    });

    /* ---------------- Scan / activation ---------------- */
    var scanCard = $('#scan'), scanBar = $('#scan-progress'), scanText = $('#scan-text'), scanErr = $('#scan-error');
    var scanTimer = null;
    var PHASES = { fetch: 'Reading issues from Jira', analyse: 'Analysing issues', write: 'Writing scores back to Jira' };
    function showScan(p) {
      scanCard.hidden = false;
      if (!p) { scanText.textContent = 'Starting the first scan…'; return; }
      var total = p.total || 0, n;
      if (p.phase === 'fetch') n = Math.min(p.done, total);
      else if (p.phase === 'analyse') n = Math.max(0, p.done - total);
      else n = p.written;
      var pct = total ? Math.min(100, Math.round(100 * (p.done + p.written) / (3 * total))) : 0;
      scanBar.value = pct;
      scanBar.setAttribute('aria-valuetext', pct + '%');
      var parts = [(PHASES[p.phase] || 'Working') + (total ? ': ' + B.fmt(n) + ' of ' + B.fmt(total) + ' issues' : '…')];
      if (p.ratePerSec > 0) parts.push(B.fmt(Math.round(p.ratePerSec)) + ' per second');
      if (p.etaSeconds > 0) parts.push('about ' + (p.etaSeconds < 90 ? Math.ceil(p.etaSeconds) + ' s' : Math.ceil(p.etaSeconds / 60) + ' min') + ' left');
      scanText.textContent = parts.join(' · ');
    }
    function pollStatus() {
      clearTimeout(scanTimer);
      B.api('GET', P + '/status').then(function (s) {
        B.errorBox(scanErr, null);
        var sc = s.scan;
        if (sc && sc.state === 'running') {
          showScan(sc);
          scanTimer = setTimeout(pollStatus, 1000);
          if (!blLoadedDuringScan) { blLoadedDuringScan = true; loadBacklog(); }
          return;
        }
        if (sc && sc.state === 'failed') {
          B.errorBox(scanErr, { message: 'The scan failed' + (sc.error ? ': ' + sc.error : '.') }, rescan);
          return;
        }
        scanBar.value = 100;
        scanText.textContent = 'Analysis finished.';
        B.announce('Analysis of ' + data.projectKey + ' finished.');
        setTimeout(function () { scanCard.hidden = true; B.resize(); }, 1200);
        data.active = true;
        loadBacklog();
        stale.preview = stale.health = true;
      }, function (err) {
        B.errorBox(scanErr, err, pollStatus);
      });
    }
    var blLoadedDuringScan = false;
    function activate() {
      showScan(null);
      B.api('POST', P + '/activate').then(function (s) {
        data.active = true;
        showScan(s && s.scan);
        scanTimer = setTimeout(pollStatus, 800);
      }, function (err) { B.errorBox(scanErr, err, activate); });
    }
    function rescan() {
      B.api('POST', P + '/rescan').then(function () { showScan(null); scanTimer = setTimeout(pollStatus, 800); },
        function (err) { B.errorBox(scanErr, err, rescan); });
    }

    /* ---------------- Backlog ---------------- */
    var table = $('#backlog-table'), tbody = $('#backlog-body'), blErr = $('#backlog-error'), blEmpty = $('#backlog-empty');
    var blStatus = $('#bl-status'), prevBtn = $('#bl-prev'), nextBtn = $('#bl-next'), pageBox = $('#bl-select-page');
    var search = $('#bl-search'), typeSel = $('#bl-type'), allBox = $('#bl-all'), subBox = $('#bl-subtasks');
    var bl = { sort: 'score', dir: 'desc', moscow: '', flag: '', type: '', q: '', all: false, subtasks: false, offset: 0 };
    var blRows = (data.backlog && data.backlog.rows) || [];
    var blTotal = (data.backlog && data.backlog.total) || 0;
    var blCtl = null;
    var selected = new Map();

    function backlogParams(withPaging) {
      var q = new URLSearchParams();
      if (bl.sort !== 'score') q.set('sort', bl.sort);
      if (bl.dir !== 'desc') q.set('dir', bl.dir);
      ['moscow', 'flag', 'type', 'q'].forEach(function (k) { if (bl[k]) q.set(k, bl[k]); });
      if (bl.all) q.set('all', '1');
      if (bl.subtasks) q.set('subtasks', '1');
      if (bl.offset) q.set('offset', String(bl.offset));
      if (withPaging) q.set('limit', String(data.pageSize));
      return q;
    }
    function readBacklogHash(params) {
      bl.sort = params.get('sort') || 'score';
      bl.dir = params.get('dir') === 'asc' ? 'asc' : 'desc';
      bl.moscow = params.get('moscow') || '';
      bl.flag = params.get('flag') || '';
      bl.type = params.get('type') || '';
      bl.q = params.get('q') || '';
      bl.all = params.get('all') === '1';
      bl.subtasks = params.get('subtasks') === '1';
      bl.offset = Math.max(0, parseInt(params.get('offset'), 10) || 0);
      search.value = bl.q;
      typeSel.value = bl.type;
      allBox.checked = bl.all;
      subBox.checked = bl.subtasks;
    }
    function isDefaultQuery() { return backlogParams(false).toString() === ''; }
    function filtered() { return !!(bl.moscow || bl.flag || bl.type || bl.q); }

    // The issue's own points read plainly ("5"); the app's suggestion is
    // marked as one, with its 80 % range: "~5 (3-8)".
    function estimateCell(r) {
      if (r.estimate === null || r.estimate === undefined) return el('span', { class: 'subtle', text: '–' });
      if (!r.suggested) return B.fmt(r.estimate);
      var range = r.suggested.low && r.suggested.high && r.suggested.low !== r.suggested.high ? ' (' + B.fmt(r.suggested.low) + '-' + B.fmt(r.suggested.high) + ')' : '';
      // short so that the column never breaks inside a word; the hidden word
      // and the tooltip say it is a suggestion.
      return el('span', { class: 'subtle suggested', title: 'suggested by BacklogAI from similar resolved issues (80% range); not the issue\'s story points' }, [
        el('span', { class: 'visually-hidden', text: 'suggested ' }), '~' + B.fmt(r.estimate) + range]);
    }
    function rowNode(r) {
      var sel = selected.has(r.key);
      return el('tr', { 'data-key': r.key, 'data-testid': 'backlog-row', class: sel ? 'selected' : null }, [
        el('td', { class: 'c-sel' }, el('input', { type: 'checkbox', class: 'row-select', value: r.key, 'aria-label': 'Select ' + r.key, 'data-testid': 'backlog-row-select', checked: sel })),
        el('td', { class: 'c-key' }, issueLink(r.key, 'backlog-issue-link')),
        el('td', { class: 'c-summary', title: r.summary }, [el('span', { class: 'type', text: r.type }), ' ', el('span', { class: 'summary-text', text: r.summary }), rollUp(r.rollUp)]),
        el('td', { class: 'c-num', 'data-testid': 'backlog-score', text: String(r.score) }),
        el('td', { class: 'c-moscow' }, lozenge(r.moscow, 'backlog-moscow')),
        el('td', { class: 'c-num', 'data-testid': 'backlog-quality', text: qualityText(r.quality) }),
        el('td', { class: 'c-num', 'data-testid': 'backlog-estimate' }, estimateCell(r)),
        el('td', { class: 'c-flags' }, (r.flags || []).map(function (f) { return el('span', { class: 'lozenge flag flag-' + f, text: f === 'too_big' ? 'too big' : f }); }))
      ]);
    }
    // An epic's roll-up of its open children.
    function rollUp(u) {
      if (!u) return null;
      return el('span', { class: 'rollup subtle', 'data-testid': 'backlog-rollup',
        text: u.open ? u.open + ' open ' + (u.open === 1 ? 'child' : 'children') + ', mean score ' + u.meanScore + ', ' + u.must + ' Must' : 'No open children' });
    }
    function renderBacklog() {
      var frag = document.createDocumentFragment();
      blRows.forEach(function (r) { frag.appendChild(rowNode(r)); });
      B.clear(tbody).appendChild(frag);
      renderBacklogChrome();
    }
    function renderBacklogChrome() {
      var from = blRows.length ? bl.offset + 1 : 0, to = bl.offset + blRows.length;
      blStatus.textContent = blRows.length ? B.fmt(from) + '–' + B.fmt(to) + ' of ' + B.fmt(blTotal) : (data.active ? '0 issues' : '');
      prevBtn.disabled = bl.offset <= 0;
      nextBtn.disabled = to >= blTotal;
      $$('th[data-sort-col]').forEach(function (th) {
        var on = th.getAttribute('data-sort-col') === bl.sort;
        th.setAttribute('aria-sort', on ? (bl.dir === 'asc' ? 'ascending' : 'descending') : 'none');
      });
      $$('.chip').forEach(function (c) {
        c.setAttribute('aria-pressed', bl[c.getAttribute('data-filter')] === c.getAttribute('data-value') ? 'true' : 'false');
      });
      B.clear(blEmpty);
      blEmpty.hidden = blRows.length > 0 || !data.active;
      if (!blEmpty.hidden) {
        if (filtered()) {
          blEmpty.appendChild(el('p', { text: 'No issues match these filters.' }));
          blEmpty.appendChild(el('button', { type: 'button', class: 'btn', 'data-testid': 'backlog-clear-filters', text: 'Clear filters', on: { click: clearFilters } }));
        } else if (!scanCard.hidden) {
          blEmpty.appendChild(el('p', { text: 'Issues appear here as the scan analyses them.' }));
        } else {
          blEmpty.appendChild(el('p', { text: 'No open issues in ' + data.projectKey + ' yet. Create issues in Jira, or draft stories in the Generate tab.' }));
          blEmpty.appendChild(el('button', { type: 'button', class: 'btn', text: 'Generate stories', on: { click: function () { selectTab('generate', true); } } }));
        }
      }
      updateSelectionUI();
    }
    function clearFilters() {
      bl.moscow = bl.flag = bl.type = bl.q = '';
      search.value = '';
      typeSel.value = '';
      bl.offset = 0;
      loadBacklog();
      search.focus();
    }
    function loadBacklog() {
      if (!data.active) return;
      if (blCtl) blCtl.abort();
      var ctl = blCtl = typeof AbortController !== 'undefined' ? new AbortController() : null;
      table.setAttribute('aria-busy', 'true');
      writeHash();
      B.api('GET', P + '/backlog?' + backlogParams(true).toString(), null, { signal: ctl && ctl.signal }).then(function (res) {
        if (ctl !== blCtl) return;
        B.errorBox(blErr, null);
        blRows = res.rows || [];
        blTotal = res.total || 0;
        if (!blRows.length && bl.offset > 0 && blTotal > 0) { bl.offset = Math.max(0, blTotal - data.pageSize); loadBacklog(); return; }
        renderBacklog();
        table.setAttribute('aria-busy', 'false');
        stale.backlog = false;
      }, function (err) {
        if (err && err.name === 'AbortError') return;
        table.setAttribute('aria-busy', 'false');
        B.errorBox(blErr, err, loadBacklog);
      });
    }
    function setQuery(change) {
      Object.keys(change).forEach(function (k) { bl[k] = change[k]; });
      bl.offset = 0;
      loadBacklog();
    }
    search.addEventListener('input', B.debounce(function () { if (search.value.trim() !== bl.q) setQuery({ q: search.value.trim() }); }, 250));
    typeSel.addEventListener('change', function () { setQuery({ type: typeSel.value }); });
    allBox.addEventListener('change', function () { setQuery({ all: allBox.checked }); });
    subBox.addEventListener('change', function () { setQuery({ subtasks: subBox.checked }); });
    $('#panel-backlog .toolbar').addEventListener('click', function (e) {
      var c = e.target.closest('.chip');
      if (!c) return;
      var k = c.getAttribute('data-filter'), v = c.getAttribute('data-value');
      var ch = {};
      ch[k] = bl[k] === v ? '' : v;
      setQuery(ch);
    });
    table.querySelector('thead').addEventListener('click', function (e) {
      var b = e.target.closest('button.sort');
      if (!b) return;
      var col = b.getAttribute('data-sort');
      setQuery(col === bl.sort ? { dir: bl.dir === 'asc' ? 'desc' : 'asc' } : { sort: col, dir: col === 'key' ? 'asc' : 'desc' });
    });
    prevBtn.addEventListener('click', function () { bl.offset = Math.max(0, bl.offset - data.pageSize); loadBacklog(); });
    nextBtn.addEventListener('click', function () { bl.offset += data.pageSize; loadBacklog(); });
    // Hooks for backlogtools.js (apply ranking in Jira, export, saved views).
    B.backlog = {
      project: data.projectKey,
      query: function () { return backlogParams(false); },
      setQuery: function (qs) { readBacklogHash(new URLSearchParams(qs)); bl.offset = 0; loadBacklog(); },
      selectedRows: function () { return Array.from(selected.values()); },
      reload: loadBacklog
    };

    // Selection and bulk actions.
    var bulk = $('#bulk'), bulkCount = $('#bulk-count'), bulkSheet = $('#bulk-sheet'), bulkOverride = $('#bulk-override'), bulkJql = $('#bulk-jql');
    tbody.addEventListener('change', function (e) {
      var cb = e.target.closest('input.row-select');
      if (!cb) return;
      var row = blRows.filter(function (r) { return r.key === cb.value; })[0];
      if (cb.checked && row) selected.set(cb.value, row); else selected.delete(cb.value);
      cb.closest('tr').classList.toggle('selected', cb.checked);
      updateSelectionUI();
    });
    pageBox.addEventListener('change', function () {
      blRows.forEach(function (r) { if (pageBox.checked) selected.set(r.key, r); else selected.delete(r.key); });
      $$('input.row-select', tbody).forEach(function (cb) { cb.checked = pageBox.checked; cb.closest('tr').classList.toggle('selected', pageBox.checked); });
      updateSelectionUI();
    });
    function updateSelectionUI() {
      var onPage = blRows.filter(function (r) { return selected.has(r.key); }).length;
      pageBox.checked = blRows.length > 0 && onPage === blRows.length;
      pageBox.indeterminate = onPage > 0 && onPage < blRows.length;
      bulk.hidden = selected.size === 0;
      bulkCount.textContent = selected.size + ' selected';
      if (!selected.size) { bulkSheet.hidden = true; bulkOverride.setAttribute('aria-expanded', 'false'); bulkJql.hidden = true; }
    }
    $('#bulk-clear').addEventListener('click', function () {
      selected.clear();
      $$('input.row-select', tbody).forEach(function (cb) { cb.checked = false; cb.closest('tr').classList.remove('selected'); });
      updateSelectionUI();
      search.focus();
    });
    $('#bulk-open').addEventListener('click', function () {
      var keys = Array.from(selected.keys());
      if (keys.length === 1) { B.navigate(keys[0]); return; }
      bulkJql.hidden = false;
      B.clear(bulkJql);
      var a = bulkJql.appendChild(searchLink(keys, 'bulk-jql-link'));
      a.textContent = 'Open the ' + keys.length + ' issues in Jira\'s issue search';
      a.click();
    });
    bulkOverride.addEventListener('click', function () {
      var open = bulkSheet.hidden;
      bulkSheet.hidden = !open;
      bulkOverride.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (open) $('#bulk-moscow').focus();
    });
    bulkSheet.addEventListener('keydown', function (e) { if (e.key === 'Escape') { bulkSheet.hidden = true; bulkOverride.setAttribute('aria-expanded', 'false'); bulkOverride.focus(); } });
    $('[data-close]', bulkSheet).addEventListener('click', function () { bulkSheet.hidden = true; bulkOverride.setAttribute('aria-expanded', 'false'); bulkOverride.focus(); });
    bulkSheet.addEventListener('submit', function (e) {
      e.preventDefault();
      var reason = $('#bulk-reason'), moscow = $('#bulk-moscow').value, errSlot = $('[data-testid="bulk-error"]', bulkSheet);
      var status = $('[data-testid="bulk-status"]', bulkSheet), apply = $('[data-testid="bulk-apply"]', bulkSheet);
      if (!reason.value.trim()) { reason.setAttribute('aria-invalid', 'true'); B.errorBox(errSlot, { message: 'Give a reason: it is kept with every override.' }); reason.focus(); return; }
      reason.removeAttribute('aria-invalid');
      B.errorBox(errSlot, null);
      var keys = Array.from(selected.keys()), done = 0, failed = [];
      B.busy(apply, true);
      function one(key) {
        return B.api('PUT', '/issues/' + encodeURIComponent(key) + '/override', { moscow: moscow, reason: reason.value.trim() })
          .catch(function (err) { failed.push(key + ': ' + err.message); })
          .then(function () { done++; status.textContent = 'Overriding ' + done + ' of ' + keys.length + '…'; });
      }
      // Four at a time: quick for a page of issues, gentle on the server.
      var queue = keys.slice();
      function worker() { var k = queue.shift(); return k ? one(k).then(worker) : Promise.resolve(); }
      Promise.all([worker(), worker(), worker(), worker()]).then(function () {
        B.busy(apply, false);
        var ok = keys.length - failed.length;
        status.textContent = ok + ' of ' + keys.length + ' issues now ' + moscow + '.';
        if (failed.length) B.errorBox(errSlot, { message: 'Some overrides failed: ' + failed.join('; ') });
        else { reason.value = ''; bulkSheet.hidden = true; bulkOverride.setAttribute('aria-expanded', 'false'); selected.clear(); }
        B.flag('Overrides saved', ok + ' issues set to ' + moscow + '.', failed.length ? 'warning' : 'success');
        loadBacklog();
        stale.preview = stale.health = true;
      });
    });

    /* ---------------- Generate ---------------- */
    // Limited inputs show how much of their limit is used.
    $$('[data-counter][maxlength]').forEach(function (n) { n.parentNode.appendChild(B.counter(n)); });
    var genForm = $('#gen-form'), genErr = $('#gen-form-error'), genRun = $('#gen-run'), genBar = $('#gen-progress');
    var genStep = $('#gen-step'), genRunErr = $('#gen-run-error'), genNotice = $('#gen-notice');
    var draftsList = $('#drafts-list'), draftsCreate = $('#drafts-create'), draftsSel = $('#drafts-selected'), draftsResult = $('#drafts-result');
    var drafts = [], draftSel = new Set(), editing = {}, lastRunEmpty = false;
    var RUN_STATES = { queued: 'Waiting to start', researching: 'Researching the market', drafting: 'Drafting stories', checking: 'Checking INVEST', revising: 'Revising weak drafts', done: 'Done', failed: 'Failed' };

    function genUnavailable(err) {
      var note = $('#gen-unavailable');
      note.hidden = false;
      note.textContent = err && !err.unavailable ? err.message : 'Story generation is not available on this server yet. Backlog, Strategy and Health work without it.';
      $('[data-testid="generate-submit"]').disabled = true;
    }
    // draftsRev counts local changes (discard, restore, create, edit): a
    // list fetched before one of them is stale and not shown.
    var draftsRev = 0;
    function loadDrafts(quiet) {
      var rev = draftsRev;
      return B.api('GET', P + '/drafts').then(function (res) {
        if (rev !== draftsRev) return;
        drafts = Array.isArray(res) ? res : (res && (res.drafts || res.items)) || [];
        renderDrafts();
      }, function (err) {
        if (err.unavailable) { genUnavailable(err); return; }
        if (!quiet) B.errorBox(draftsResult, err, loadDrafts);
      });
    }
    genForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var f = genForm.elements, bad = null;
      $$('[aria-invalid]', genForm).forEach(function (n) { n.removeAttribute('aria-invalid'); });
      function need(n, ok, msg) { if (!bad && !ok) { bad = msg; n.setAttribute('aria-invalid', 'true'); n.focus(); } }
      var count = parseInt(f.count.value, 10);
      need(f.context, f.context.value.trim(), 'Describe the product context.');
      need(f.objective, f.objective.value.trim(), 'Give the objective the stories should serve.');
      need(f.count, count >= 1 && count <= 10, 'Ask for 1 to 10 stories.');
      need(f.parentEpic, !f.parentEpic.value.trim() || /^[A-Za-z][A-Za-z0-9_]*-\d+$/.test(f.parentEpic.value.trim()), 'The parent epic must be an issue key such as ' + data.projectKey + '-1.');
      if (bad) { B.errorBox(genErr, { message: bad }); return; }
      B.errorBox(genErr, null);
      var body = {
        context: f.context.value.trim(), objective: f.objective.value.trim(), persona: f.persona.value.trim(), segment: f.segment.value.trim(),
        constraints: f.constraints.value.trim(), metrics: f.metrics.value.trim(),
        competitors: f.competitors.value.split(',').map(function (s) { return s.trim(); }).filter(Boolean),
        research: f.research.checked, count: count, parentEpic: f.parentEpic.value.trim()
      };
      var btn = $('[data-testid="generate-submit"]');
      B.busy(btn, true);
      B.api('POST', P + '/generate', body).then(function (res) {
        B.busy(btn, false);
        genRun.hidden = false;
        genNotice.hidden = true;
        B.errorBox(genRunErr, null);
        genBar.value = 0;
        genStep.textContent = 'Waiting to start…';
        genRun.scrollIntoView && genRun.scrollIntoView({ block: 'nearest' });
        pollRun(res.runId || res.id);
      }, function (err) {
        B.busy(btn, false);
        if (err.unavailable) { genUnavailable(err); return; }
        B.errorBox(genErr, err, function () { genForm.requestSubmit(); });
      });
    });
    function pollRun(id) {
      B.api('GET', '/generation-runs/' + encodeURIComponent(id)).then(function (run) {
        genBar.value = Math.round(100 * (run.progress || 0));
        genStep.textContent = (RUN_STATES[run.state] || run.state) + (run.step ? ': ' + run.step : '') + ' (' + genBar.value + '%)';
        if (run.notice || run.mode === 'deterministic') {
          genNotice.hidden = false;
          genNotice.textContent = run.notice || 'No LLM configured: drafts hold only what your form states; an LLM would also write criteria, risks and stories from the research.';
        }
        if (run.state === 'done') {
          var got = run.drafts || [];
          // A draft that fails its own checks is not pre-selected for Create.
          var bar = run.stats && run.stats.qualityBar;
          var weak = got.filter(function (d) { return failsChecks(d, bar); });
          genStep.textContent = !got.length ? 'Done: no draft could be written. The note below says why and what to add to the form.'
            : 'Done: ' + got.length + (got.length === 1 ? ' draft' : ' drafts') + ' ready to review.' + (weak.length
              ? ' ' + weak.length + ' of them ' + (weak.length === 1 ? 'fails' : 'fail') + ' ' + (weak.length === 1 ? 'its' : 'their') + ' own checks (' + (bar ? 'quality below ' + bar + ' or ' : '') + 'a failed INVEST letter) and ' + (weak.length === 1 ? 'is' : 'are') + ' not selected for Create.' : '');
          B.announce(genStep.textContent);
          var seen = {};
          draftsRev++;
          lastRunEmpty = !got.length;
          got.forEach(function (d) { seen[d.id] = true; if (!failsChecks(d, bar)) draftSel.add(d.id); });
          drafts = (run.drafts || []).concat(drafts.filter(function (d) { return !seen[d.id]; }));
          renderDrafts();
          // what it says about empty or failing drafts stays on screen
          if (got.length && !weak.length) setTimeout(function () { genRun.hidden = true; B.resize(); }, 1500);
          return;
        }
        if (run.state === 'failed') {
          B.errorBox(genRunErr, { message: run.error || 'Generation failed.' }, function () { genForm.requestSubmit(); });
          return;
        }
        setTimeout(function () { pollRun(id); }, 1000);
      }, function (err) {
        B.errorBox(genRunErr, err, function () { pollRun(id); });
      });
    }
    // failsChecks: below the quality bar, or an INVEST letter failed.
    function failsChecks(d, bar) {
      var ck = d.check || {};
      if (ck.quality >= 0 && bar && ck.quality < bar) return true;
      return Object.keys(ck.letters || {}).some(function (l) { return ck.letters[l] === 'fail'; });
    }
    function list(items, cls) {
      return el('ul', { class: cls || 'bullets' }, (items || []).map(function (t) { return el('li', { text: '• ' + t }); }));
    }
    function draftNode(d) {
      var locked = d.status === 'created' || d.status === 'creating';
      var sc = d.score || {}, ck = d.check || {};
      var sel = el('input', { type: 'checkbox', 'aria-label': 'Select draft: ' + d.title, 'data-testid': 'draft-select', checked: draftSel.has(d.id) && !locked, disabled: locked });
      sel.addEventListener('change', function () { if (sel.checked) draftSel.add(d.id); else draftSel.delete(d.id); updateDraftsUI(); });
      var card = el('article', { class: 'draft', 'data-testid': 'draft', 'data-draft-id': d.id, 'data-status': d.status, 'aria-labelledby': 'draft-t-' + d.id });
      var head = el('div', { class: 'draft-head' }, [
        sel,
        el('h3', { class: 'h-xs', id: 'draft-t-' + d.id, tabindex: '-1', 'data-testid': 'draft-title', text: d.title }),
        el('span', { class: 'lozenge', 'data-testid': 'draft-status', text: d.status }),
        sc.total !== undefined ? el('span', { 'data-testid': 'draft-score' }, ['Score ', el('strong', { text: String(Math.floor(sc.total)) }), ' ', lozenge(sc.moscow)]) : null,
        ck.quality !== undefined ? el('span', { class: 'subtle', 'data-testid': 'draft-quality', text: 'Quality ' + qualityText(ck.quality) + (ck.quality >= 0 ? '/100' : '') }) : null
      ]);
      card.appendChild(head);
      if (editing[d.id]) { card.appendChild(draftEditor(d)); return card; }
      card.appendChild(el('div', { class: 'invest-row', 'data-testid': 'draft-invest', 'aria-label': 'INVEST result' }, LETTERS.map(function (l) {
        var st = (ck.letters || {})[l[0]] || 'pass', word = st === 'na' ? 'not applicable' : st;
        return el('span', { class: 'letter-chip st-' + st, title: l[1] + ': ' + word }, [l[0], el('span', { class: 'visually-hidden', text: ' ' + l[1] + ': ' + word })]);
      })));
      card.appendChild(el('p', { 'data-testid': 'draft-story', text: d.userStory }));
      if (d.acceptanceCriteria && d.acceptanceCriteria.length) {
        card.appendChild(el('h4', { class: 'h-xs', text: 'Acceptance criteria' }));
        var ac = list(d.acceptanceCriteria);
        ac.setAttribute('data-testid', 'draft-criteria');
        card.appendChild(ac);
      }
      var more = el('details', { class: 'fold' }, [el('summary', { text: 'Why, details and checks' })]);
      if (sc.whyNow || sc.whyThis || sc.whyUs || d.whyNow) {
        more.appendChild(el('dl', { class: 'why-list' }, [
          el('dt', { text: 'Why now' }), el('dd', { text: d.whyNow || sc.whyNow || '' }),
          el('dt', { text: 'Why this' }), el('dd', { text: d.whyThis || sc.whyThis || '' }),
          el('dt', { text: 'Why us' }), el('dd', { text: d.whyUs || sc.whyUs || '' })
        ]));
      }
      (d.pillars || []).length && more.appendChild(el('ul', { class: 'evidence' }, d.pillars.map(function (p) {
        var t = (data.pillars.filter(function (x) { return x.name === p.name; })[0] || { title: p.name }).title;
        return el('li', {}, [el('strong', { text: t + ' ' + B.fmt(p.value) + '/10: ' }), p.reason || '']);
      })));
      [['Non-functional requirements', d.nfrs], ['Risks', d.risks], ['Dependencies', d.dependencies], ['Open questions', d.openQuestions]].forEach(function (s) {
        if (s[1] && s[1].length) { more.appendChild(el('h4', { class: 'h-xs', text: s[0] })); more.appendChild(list(s[1])); }
      });
      if (d.metrics && d.metrics.length) {
        more.appendChild(el('table', { class: 'table table-compact' }, [
          el('caption', { class: 'h-xs', text: 'Success metrics' }),
          el('thead', {}, el('tr', {}, ['Metric', 'Baseline', 'Target'].map(function (h) { return el('th', { scope: 'col', text: h }); }))),
          el('tbody', {}, d.metrics.map(function (m) { return el('tr', {}, [el('td', { text: m.name }), el('td', { text: m.baseline || '–' }), el('td', { text: m.target || '–' })]); }))
        ]));
      }
      if (d.rollout) { more.appendChild(el('h4', { class: 'h-xs', text: 'Rollout' })); more.appendChild(el('p', { text: d.rollout })); }
      if (ck.findings && ck.findings.length) {
        more.appendChild(el('h4', { class: 'h-xs', text: 'Findings' }));
        more.appendChild(B.findingList(ck.findings, { summary: d.title, description: d.userStory }));
      }
      card.appendChild(more);
      if (d.sources && d.sources.length) {
        card.appendChild(el('h4', { class: 'h-xs', text: 'Research sources' }));
        card.appendChild(el('ul', { class: 'sources', 'data-testid': 'draft-sources' }, d.sources.map(function (s) {
          var safe = /^https?:\/\//i.test(s.url || '');
          return el('li', { 'data-testid': 'draft-source' }, [
            safe ? el('a', { href: s.url, target: '_blank', rel: 'noopener noreferrer', text: s.title || s.url }) : (s.title || ''),
            s.date ? el('span', { class: 'subtle', text: ' · ' + s.date }) : null,
            s.snippet ? el('div', { class: 'subtle', text: s.snippet }) : null
          ]);
        })));
      }
      if (d.estimate !== undefined && d.estimate !== null) {
        var pts = typeof d.estimate === 'object' ? d.estimate.points : d.estimate;
        var e = typeof d.estimate === 'object' ? d.estimate : {};
        var range = e.low && e.high && e.low !== e.high ? ', ' + B.fmt(e.low) + '-' + B.fmt(e.high) : '';
        // The draft is created without story points: this stays a suggestion.
        if (pts) card.appendChild(el('p', { class: 'subtle', text: 'Suggested estimate: ~' + B.fmt(pts) + ' points (suggested' + range + '; not written to Jira)' }));
        else if (e.method === 'insufficient') card.appendChild(el('p', { class: 'subtle', text: 'Estimate: not enough signal (' + e.reason + ')' }));
      }
      if (d.createdKey) card.appendChild(el('p', { class: 'success' }, ['Created as ', issueLink(d.createdKey, 'draft-created-key')]));
      if (d.error) card.appendChild(el('p', { class: 'text-danger', text: d.error }));
      if (d.parentEpic) card.appendChild(el('p', { class: 'subtle', 'data-testid': 'draft-parent' }, ['Parent epic ', issueLink(d.parentEpic)]));
      if (!locked) {
        card.appendChild(el('div', { class: 'btn-row' }, [el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'draft-edit', text: 'Edit',
          on: { click: function () { editing[d.id] = true; replaceDraft(d, 'draft-title-input'); } } }),
          el('button', { type: 'button', class: 'btn btn-subtle btn-sm', 'data-testid': 'draft-discard', 'aria-label': 'Discard draft: ' + d.title, text: 'Discard',
            on: { click: function () { discard([d.id]); } } })]));
      }
      return card;
    }
    function draftEditor(d) {
      var title = el('input', { class: 'input', value: d.title, 'data-testid': 'draft-title-input' });
      var story = el('textarea', { class: 'input', rows: '3', 'data-testid': 'draft-story-input' });
      story.value = d.userStory || '';
      var ac = el('textarea', { class: 'input', rows: '5', 'data-testid': 'draft-criteria-input' });
      ac.value = (d.acceptanceCriteria || []).join('\n');
      var parent = el('input', { class: 'input', value: d.parentEpic || '', maxlength: '255', placeholder: data.projectKey + '-1', 'data-testid': 'draft-parent-input' });
      var err = el('div');
      var save = el('button', { type: 'submit', class: 'btn btn-primary btn-sm', 'data-testid': 'draft-save', text: 'Save and re-check' });
      var form = el('form', { novalidate: true }, [
        B.field('dt-' + d.id, 'Title', title), B.field('ds-' + d.id, 'User story', story),
        B.field('da-' + d.id, 'Acceptance criteria', ac, 'One per line, e.g. "Given …, when …, then …".'),
        B.field('dp-' + d.id, 'Parent epic', parent, 'An epic of ' + data.projectKey + ', or empty.'), err,
        el('div', { class: 'btn-row' }, [save, el('button', { type: 'button', class: 'btn btn-subtle btn-sm', 'data-testid': 'draft-cancel', text: 'Cancel',
          on: { click: function () { delete editing[d.id]; replaceDraft(d, 'draft-edit'); } } })])
      ]);
      form.addEventListener('keydown', function (e) { if (e.key === 'Escape') { delete editing[d.id]; replaceDraft(d, 'draft-edit'); } });
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (!title.value.trim()) { title.setAttribute('aria-invalid', 'true'); B.errorBox(err, { message: 'The title cannot be empty.' }); title.focus(); return; }
        B.busy(save, true);
        // Only what the person changed is sent: the server keeps the rest
        // (NFRs, metrics, risks, rollout…).
        var body = {}, crit = ac.value.split('\n').map(function (s) { return s.trim(); }).filter(Boolean);
        if (title.value.trim() !== d.title) body.title = title.value.trim();
        if (story.value.trim() !== (d.userStory || '')) body.userStory = story.value.trim();
        if (crit.join('\n') !== (d.acceptanceCriteria || []).join('\n')) body.acceptanceCriteria = crit;
        if (parent.value.trim() !== (d.parentEpic || '')) body.parentEpic = parent.value.trim().toUpperCase();
        if (!Object.keys(body).length) { delete editing[d.id]; replaceDraft(d, 'draft-edit'); return; }
        draftsRev++;
        B.api('PUT', '/drafts/' + encodeURIComponent(d.id), body).then(function (nd) {
          draftsRev++;
          delete editing[d.id];
          drafts = drafts.map(function (x) { return x.id === d.id ? nd : x; });
          replaceDraft(nd, 'draft-title');
          B.announce('Draft saved and checked again.');
        }, function (e2) { B.busy(save, false); B.errorBox(err, e2, function () { form.requestSubmit(); }); });
      });
      return form;
    }
    function replaceDraft(d, focusTestid) {
      var old = $('[data-draft-id="' + CSS.escape(d.id) + '"]', draftsList);
      var n = draftNode(d);
      if (old) old.replaceWith(n); else draftsList.prepend(n);
      var f = $('[data-testid="' + focusTestid + '"]', n);
      if (f) f.focus();
      updateDraftsUI();
    }
    function renderDrafts() {
      B.clear(draftsList);
      if (!drafts.length) draftsList.appendChild(el('p', { class: 'subtle', 'data-testid': 'drafts-empty', text: lastRunEmpty
        ? 'No drafts: the last run could not write any. Add what its note asks for and draft again.'
        : 'No drafts yet. Fill in the form above to draft stories.' }));
      drafts.forEach(function (d) { draftsList.appendChild(draftNode(d)); });
      updateDraftsUI();
    }
    // Discarding hides drafts at once; Undo brings them back.
    function discard(ids) {
      if (!ids.length) return;
      draftsRev++;
      B.api('POST', P + '/drafts/discard', { ids: ids }).then(function (res) {
        draftsRev++;
        var gone = {};
        (res.ids || []).forEach(function (id) { gone[id] = true; draftSel.delete(id); delete editing[id]; });
        var removed = drafts.filter(function (d) { return gone[d.id]; });
        drafts = drafts.filter(function (d) { return !gone[d.id]; });
        renderDrafts();
        B.clear(draftsResult);
        var undo = el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'drafts-undo', text: 'Undo' });
        undo.addEventListener('click', function () {
          B.busy(undo, true);
          draftsRev++;
          B.api('POST', P + '/drafts/restore', { ids: Object.keys(gone).map(Number) }).then(function () {
            draftsRev++;
            B.clear(draftsResult);
            removed.forEach(function (d) { draftSel.add(d.id); });
            loadDrafts(false).then(function () { B.announce(removed.length === 1 ? 'Draft restored.' : removed.length + ' drafts restored.'); });
          }, function (err) { B.busy(undo, false); B.errorBox(draftsResult, err); });
        });
        var n = removed.length;
        draftsResult.appendChild(el('div', { class: 'note', 'data-testid': 'drafts-discarded' }, [(n === 1 ? 'Draft discarded. ' : n + ' drafts discarded. '), undo]));
        undo.focus();
      }, function (err) { B.errorBox(draftsResult, err); });
    }
    $('#drafts-discard-all').addEventListener('click', function () {
      discard(drafts.filter(function (d) { return d.status !== 'created' && d.status !== 'creating'; }).map(function (d) { return d.id; }));
    });
    function updateDraftsUI() {
      $('#drafts-discard-all').disabled = !drafts.some(function (d) { return d.status !== 'created' && d.status !== 'creating'; });
      var ids = drafts.filter(function (d) { return draftSel.has(d.id) && d.status !== 'created' && d.status !== 'creating'; });
      draftsCreate.disabled = ids.length === 0 || draftsCreate.getAttribute('data-denied') === 'true';
      draftsCreate.textContent = ids.length ? 'Create ' + ids.length + ' in Jira' : 'Create selected in Jira';
      draftsSel.textContent = ids.length ? ids.length + ' selected' : '';
      B.resize();
    }
    // A person who may not create issues sees why before selecting drafts.
    B.gate(draftsCreate, data.projectKey, 'create');
    draftsCreate.addEventListener('click', function create() {
      var ids = drafts.filter(function (d) { return draftSel.has(d.id) && d.status !== 'created'; }).map(function (d) { return d.id; });
      if (!ids.length) return;
      B.busy(draftsCreate, true);
      draftsRev++;
      B.api('POST', P + '/drafts/create', { ids: ids }).then(function (res) {
        draftsRev++;
        B.busy(draftsCreate, false);
        var created = res.created || [], failed = res.failed || [];
        var titleOf = {};
        drafts.forEach(function (d) { titleOf[d.id] = d.title; });
        B.clear(draftsResult);
        if (created.length) {
          var keys = created.map(function (c) { return c.key; });
          draftsResult.appendChild(el('div', { class: 'success', 'data-testid': 'drafts-created' }, ['Created ',
            created.map(function (c, i) { return [i ? ', ' : '', issueLink(c.key, 'drafts-created-key')]; }), ' in Jira. ',
            keys.length > 1 ? searchLink(keys, 'drafts-open-all') : null]));
        }
        // One line per draft: created with its key, or why not.
        draftsResult.appendChild(el('ul', { class: 'bullets', 'data-testid': 'drafts-outcome' }, created.map(function (c) {
          return el('li', { 'data-testid': 'draft-outcome', 'data-outcome': 'created' }, [titleOf[c.draftId] || 'Draft', ': created as ', issueLink(c.key)]);
        }).concat(failed.map(function (f) {
          return el('li', { class: 'text-danger', 'data-testid': 'draft-outcome', 'data-outcome': 'failed' }, [(titleOf[f.draftId] || 'Draft') + ': not created. ' + f.error]);
        }))));
        if (failed.length) {
          var again = el('button', { type: 'button', class: 'btn btn-sm', text: 'Try again', on: { click: create } });
          draftsResult.appendChild(el('div', { class: 'btn-row' }, [again]));
        }
        created.forEach(function (c) {
          draftSel.delete(c.draftId);
          drafts = drafts.map(function (d) { return d.id === c.draftId ? Object.assign({}, d, { status: 'created', createdKey: c.key }) : d; });
        });
        renderDrafts();
        if (!failed.length) B.flag(created.length === 1 ? 'Story created' : created.length + ' stories created', created.map(function (c) { return c.key; }).join(', '), 'success');
        else if (created.length) B.flag(created.length + ' of ' + (created.length + failed.length) + ' stories created', failed.length + ' could not be created; see the list.', 'warning');
        else B.flag('No stories created', failed.length === 1 ? failed[0].error : failed.length + ' drafts could not be created; see the list.', 'error');
        stale.backlog = stale.health = stale.preview = true;
        setTimeout(function () { loadDrafts(true); if (current === 'backlog') loadBacklog(); }, 2500);
      }, function (err) {
        B.busy(draftsCreate, false);
        B.errorBox(draftsResult, err, create);
      });
    });

    /* ---------------- Strategy ---------------- */
    var stForm = $('#strategy-form'), stErr = $('#strategy-error'), previewList = $('#preview-list'), previewStatus = $('#preview-status'), previewErr = $('#preview-error');
    var saved = JSON.parse(JSON.stringify(data.strategy));
    var lists = { objectives: [], competitors: [] };
    var weightInputs = $$('input[data-weight]'), thrInputs = $$('input[data-threshold]'), shareInputs = $$('input[data-share]');
    var previewCtl = null, lastFirst = '';

    function fillStrategy(st) {
      $('#st-vision').value = st.vision || '';
      lists.objectives = (st.objectives || []).slice();
      lists.competitors = (st.competitors || []).slice();
      renderList('objectives');
      renderList('competitors');
      weightInputs.forEach(function (inp, i) { inp.value = st.weights[i]; $('#' + inp.id + '-out').value = B.fmt(st.weights[i]); });
      $$('input[name="st-mode"]').forEach(function (r) { r.checked = r.value === (st.mode || 'relative'); });
      thrInputs.forEach(function (inp, i) { inp.value = st.thresholds[i]; });
      shareInputs.forEach(function (inp, i) { inp.value = (st.shares || [15, 35, 35])[i]; });
      $('#st-cap').value = st.capacity || '';
      $('#st-labels').value = (st.commercialLabels || []).join(', ');
      $('#st-split').value = st.splitThreshold;
      $('#st-bar').value = st.qualityBar;
      $('#st-stale').value = st.staleDays;
      frameworkOf(st);
      modeChanged();
    }
    function renderList(name) {
      var ul = $('[data-list="' + name + '"] .list-items');
      B.clear(ul);
      lists[name].forEach(function (t, i) {
        ul.appendChild(el('li', {}, [el('span', { text: t }), el('button', { type: 'button', class: 'btn btn-subtle btn-sm', 'aria-label': 'Remove ' + t,
          'data-testid': 'strategy-' + name + '-remove', text: 'Remove', on: { click: function () {
            lists[name].splice(i, 1);
            renderList(name);
            $('#st-' + name + '-new').focus();
            previewSoon();
          } } })]));
      });
      if (!lists[name].length) ul.appendChild(el('li', { class: 'subtle', text: name === 'objectives' ? 'No objectives yet.' : 'No competitors yet.' }));
    }
    $$('.list-editor').forEach(function (fs) {
      var name = fs.getAttribute('data-list'), input = $('input', fs);
      function add() {
        var v = input.value.trim();
        if (!v) { input.focus(); return; }
        if (lists[name].indexOf(v) < 0) lists[name].push(v);
        input.value = '';
        renderList(name);
        input.focus();
        previewSoon();
      }
      $('[data-add]', fs).addEventListener('click', add);
      input.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); add(); } });
    });
    function modeChanged() {
      var mode = ($('input[name="st-mode"]:checked') || {}).value || 'relative';
      $('#st-shares').hidden = mode !== 'relative';
      $('#st-thresholds').hidden = mode !== 'thresholds';
      $('#st-capacity').hidden = mode !== 'capacity';
    }
    function num(v) { var n = parseFloat(v); return isNaN(n) ? 0 : n; }
    function collect() {
      return {
        vision: $('#st-vision').value.trim(),
        objectives: lists.objectives.slice(), competitors: lists.competitors.slice(),
        weights: weightInputs.map(function (i) { return num(i.value); }),
        mode: ($('input[name="st-mode"]:checked') || {}).value || 'relative',
        thresholds: thrInputs.map(function (i) { return num(i.value); }),
        shares: shareInputs.map(function (i) { return num(i.value); }),
        capacitySprints: saved.capacitySprints || 3,
        capacity: num($('#st-cap').value),
        commercialLabels: $('#st-labels').value.split(',').map(function (s) { return s.trim(); }).filter(Boolean),
        splitThreshold: num($('#st-split').value) || saved.splitThreshold,
        qualityBar: Math.round(num($('#st-bar').value)) || saved.qualityBar,
        staleDays: Math.round(num($('#st-stale').value)) || saved.staleDays,
        framework: frameworkPicked()
      };
    }
    // The framework select; field mappings and custom criteria stay as saved.
    function frameworkOf(st) {
      var sel = $('#st-framework'), name = (st.framework && st.framework.name) || 'pillars';
      if (!$('option[value="' + name + '"]', sel)) sel.appendChild(el('option', { value: name, text: name === 'custom' ? 'Custom weighted criteria' : name }));
      sel.value = name;
      if (B.criteria) B.criteria.fill(st.framework); // criteria.js: mappings and custom criteria
    }
    function frameworkPicked() {
      var name = $('#st-framework').value;
      if (B.criteria) return B.criteria.picked(name);
      return JSON.parse(JSON.stringify(saved.framework && saved.framework.name === name ? saved.framework : { name: name }));
    }
    function validate(st) {
      $$('[aria-invalid]', stForm).forEach(function (n) { n.removeAttribute('aria-invalid'); });
      if (!st.weights.some(function (w) { return w > 0; })) { weightInputs.forEach(function (i) { i.setAttribute('aria-invalid', 'true'); }); return 'At least one pillar needs a weight above 0.'; }
      var t = st.thresholds;
      if (st.mode === 'thresholds' && !(t[0] <= 100 && t[0] >= t[1] && t[1] >= t[2] && t[2] >= 0)) { thrInputs.forEach(function (i) { i.setAttribute('aria-invalid', 'true'); }); return 'Thresholds must satisfy 100 ≥ Must ≥ Should ≥ Could ≥ 0.'; }
      var sh = st.shares;
      if (st.mode === 'relative' && (sh.some(function (v) { return v < 0; }) || sh[0] + sh[1] + sh[2] > 100)) { shareInputs.forEach(function (i) { i.setAttribute('aria-invalid', 'true'); }); return 'Shares must be 0 % or more and add up to at most 100 %.'; }
      if (st.mode === 'capacity' && st.capacity < 0) { $('#st-cap').setAttribute('aria-invalid', 'true'); return 'Capacity must be 0 or more story points (empty: measured velocity).'; }
      return '';
    }
    var previewSoon = B.debounce(preview, 120);
    function preview() {
      if (!data.active) { B.clear(previewList).appendChild(el('li', { class: 'subtle', text: 'The preview appears once the project is analysed.' })); return; }
      var st = collect();
      if (!st.weights.some(function (w) { return w > 0; })) { previewStatus.textContent = 'At least one pillar needs a weight above 0.'; return; }
      if (previewCtl) previewCtl.abort();
      var ctl = previewCtl = typeof AbortController !== 'undefined' ? new AbortController() : null;
      previewList.setAttribute('aria-busy', 'true');
      // Everything that scoring reads, so that the preview is what saving gives.
      var body = Object.assign({}, st, { limit: 10 });
      B.api('POST', P + '/rerank', body, { signal: ctl && ctl.signal }).then(function (res) {
        if (ctl !== previewCtl) return;
        B.errorBox(previewErr, null);
        previewList.setAttribute('aria-busy', 'false');
        stale.preview = false;
        renderPreview(res);
      }, function (err) {
        if (err && err.name === 'AbortError') return;
        previewList.setAttribute('aria-busy', 'false');
        B.errorBox(previewErr, err, preview);
      });
    }
    function renderPreview(res) {
      var rows = res.rows || [];
      B.clear(previewList);
      if (!rows.length) previewList.appendChild(el('li', { class: 'subtle', text: 'No open analysed issues to rank yet.' }));
      rows.forEach(function (r) {
        var d = r.previousRank - r.rank;
        var move = d > 0 ? el('span', { class: 'move up', 'data-testid': 'preview-move', title: 'Up ' + d, text: '▲' + d })
          : d < 0 ? el('span', { class: 'move down', 'data-testid': 'preview-move', title: 'Down ' + (-d), text: '▼' + (-d) })
            : el('span', { class: 'move same', 'data-testid': 'preview-move', title: 'Unchanged', text: '–' });
        previewList.appendChild(el('li', { 'data-key': r.key, 'data-rank': r.rank, 'data-testid': 'preview-row' }, [
          el('span', { class: 'rank', text: r.rank + '.' }), move,
          el('span', {}, [el('strong', { text: String(r.score) }), ' ', lozenge(r.moscow)]),
          el('span', { class: 'summary-text', title: r.summary }, [issueLink(r.key), ' ', r.summary]),
          el('span', { class: 'visually-hidden', text: d ? (d > 0 ? ', up ' + d : ', down ' + (-d)) : '' })
        ]));
      });
      var sum = res.summary || {}, c = sum.count || [0, 0, 0, 0];
      $('#preview-split').textContent = 'Classes: ' + MOSCOW.map(function (m, i) { return c[i] + ' ' + m; }).join(', ') +
        (sum.mode === 'capacity' && sum.velocity ? ' (capacity from a measured velocity of ' + B.fmt(sum.velocity) + ' points per sprint)' : '') +
        (sum.fallback ? ' (' + sum.fallback + ': by share of the backlog instead)' : '') + '.';
      var warn = $('#preview-warnings'), ws = sum.warnings || [];
      B.clear(warn);
      warn.hidden = !ws.length;
      ws.forEach(function (w) { warn.appendChild(el('p', { text: w })); });
      var first = rows[0] ? rows[0].key : '';
      previewStatus.textContent = 'Ranked ' + B.fmt(res.total || 0) + ' open issues with these settings' + (first && lastFirst && first !== lastFirst ? '; ' + first + ' is now first.' : '.');
      lastFirst = first;
    }
    weightInputs.forEach(function (inp) {
      inp.addEventListener('input', function () { $('#' + inp.id + '-out').value = B.fmt(num(inp.value)); previewSoon(); });
    });
    $$('input[name="st-mode"]').forEach(function (r) { r.addEventListener('change', function () { modeChanged(); previewSoon(); }); });
    thrInputs.concat(shareInputs, [$('#st-cap'), $('#st-vision'), $('#st-labels'), $('#st-split'), $('#st-bar'), $('#st-framework')]).forEach(function (i) { i.addEventListener('input', previewSoon); });
    $('#strategy-reset').addEventListener('click', function () { fillStrategy(saved); B.errorBox(stErr, null); preview(); B.announce('Changes undone.'); });
    stForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var st = collect(), msg = validate(st);
      if (msg) { B.errorBox(stErr, { message: msg }); var bad = $('[aria-invalid="true"]', stForm); if (bad) bad.focus(); return; }
      var btn = $('[data-testid="strategy-save"]');
      B.busy(btn, true);
      B.api('PUT', P + '/strategy', st).then(function (res) {
        B.busy(btn, false);
        B.errorBox(stErr, null);
        saved = res || st;
        B.flag('Strategy saved', 'The backlog is being re-scored with the new settings.');
        stale.backlog = stale.health = true;
        setTimeout(function () { if (current === 'backlog') loadBacklog(); }, 2000);
      }, function (err) {
        B.busy(btn, false);
        B.errorBox(stErr, err, function () { stForm.requestSubmit(); });
      });
    });

    /* ---------------- Health ---------------- */
    var NS = 'http://www.w3.org/2000/svg';
    function svg(tag, attrs, kids) {
      var n = document.createElementNS(NS, tag);
      Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
      (kids || []).forEach(function (k) { if (k !== null && k !== undefined) n.appendChild(typeof k === 'string' ? document.createTextNode(k) : k); });
      return n;
    }
    function frame(id, title, desc, h, kids) {
      return svg('svg', { viewBox: '0 0 320 ' + h, role: 'img', 'aria-labelledby': id + '-t ' + id + '-d', focusable: 'false' },
        [svg('title', { id: id + '-t' }, [title]), svg('desc', { id: id + '-d' }, [desc])].concat(kids));
    }
    function alt(headers, rows) {
      return el('details', { class: 'alt' }, [el('summary', { text: 'Show as table' }),
        el('table', { class: 'table table-compact', 'data-testid': 'chart-table' }, [
          el('thead', {}, el('tr', {}, headers.map(function (h) { return el('th', { scope: 'col', text: h }); }))),
          el('tbody', {}, rows.map(function (r) { return el('tr', {}, r.map(function (c, i) { return el(i ? 'td' : 'th', i ? { class: 'c-num', text: String(c) } : { scope: 'row', text: String(c) }); })); }))
        ])]);
    }
    function put(name, kids) { var b = $('[data-chart="' + name + '"]'); B.clear(b); kids.forEach(function (k) { if (k) b.appendChild(k); }); }
    function histogram(h) {
      var max = Math.max.apply(null, h.scoreHistogram.concat([1])), bars = [];
      var top = h.scoreHistogram.indexOf(Math.max.apply(null, h.scoreHistogram));
      h.scoreHistogram.forEach(function (n, i) {
        var bh = Math.round(140 * n / max), x = 24 + i * 29;
        bars.push(svg('rect', { x: x, y: 156 - bh, width: 24, height: Math.max(bh, n ? 1 : 0), rx: 2, class: 'b-brand' }));
        bars.push(svg('text', { x: x + 12, y: 152 - bh, 'text-anchor': 'middle' }, [n ? String(n) : '']));
        bars.push(svg('text', { x: x + 12, y: 172, 'text-anchor': 'middle' }, [String(i * 10)]));
      });
      bars.push(svg('line', { x1: 20, x2: 316, y1: 156.5, y2: 156.5, class: 'axis' }));
      var desc = h.open ? 'Scores of ' + h.open + ' open issues in bands of ten; most are between ' + (top * 10) + ' and ' + (top * 10 + 9) + '.' : 'No open analysed issues.';
      put('scores', [frame('svg-scores', 'Score distribution', desc, 180, bars),
        alt(['Score band', 'Issues'], h.scoreHistogram.map(function (n, i) { return [i * 10 + '–' + (i === 9 ? 100 : i * 10 + 9), n]; }))]);
    }
    function hbars(name, title, items, fmt, desc, headers) {
      var max = Math.max.apply(null, items.map(function (x) { return x.v; }).concat([fmt ? 1 : 1e-9]));
      var kids = [];
      items.forEach(function (it, i) {
        var y = 8 + i * 26, w = Math.round(180 * it.v / (max || 1));
        kids.push(svg('text', { x: 0, y: y + 13 }, [it.label]));
        kids.push(svg('rect', { x: 100, y: y, width: 180, height: 18, rx: 3, class: 'b-track' }));
        kids.push(svg('rect', { x: 100, y: y, width: Math.max(w, it.v ? 2 : 0), height: 18, rx: 3, class: it.cls || 'b-brand' }));
        kids.push(svg('text', { x: 316, y: y + 13, 'text-anchor': 'end' }, [it.text]));
      });
      put(name, [frame('svg-' + name, title, desc, 12 + items.length * 26, kids), alt(headers, items.map(function (it) { return [it.label, it.text]; }))]);
    }
    function qualityChart(h) {
      var pts = h.qualityOverTime || [];
      if (!pts.length) { put('quality', [el('p', { class: 'subtle', text: 'No analysed issues with a creation date yet.' })]); return; }
      var step = pts.length > 1 ? 280 / (pts.length - 1) : 0, kids = [], line = [];
      [0, 50, 100].forEach(function (v) {
        var y = 150 - v * 1.3;
        kids.push(svg('line', { x1: 24, x2: 316, y1: y, y2: y, class: 'axis' }));
        kids.push(svg('text', { x: 18, y: y + 4, 'text-anchor': 'end' }, [String(v)]));
      });
      pts.forEach(function (p, i) {
        var x = 30 + (pts.length > 1 ? i * step : 140), y = 150 - p.avgQuality * 1.3;
        line.push(x + ',' + y);
        kids.push(svg('circle', { cx: x, cy: y, r: 3.5, class: 'b-brand' }, [svg('title', {}, [p.period + ': ' + p.avgQuality + ' (' + p.n + ' issues)'])]));
        if (pts.length <= 6 || i % 2 === (pts.length - 1) % 2) kids.push(svg('text', { x: x, y: 170, 'text-anchor': 'middle' }, [p.period.slice(2)]));
      });
      kids.unshift(svg('polyline', { points: line.join(' '), class: 'l-brand', fill: 'none' }));
      var a = pts[0], b = pts[pts.length - 1];
      var desc = pts.length > 1 ? 'Average quality of issues by the month they were created: ' + a.avgQuality + ' in ' + a.period + ', ' + b.avgQuality + ' in ' + b.period + '.' : 'Average quality ' + a.avgQuality + ' in ' + a.period + '.';
      put('quality', [frame('svg-quality', 'Quality over time', desc, 180, kids), alt(['Month', 'Average quality', 'Issues'], pts.map(function (p) { return [p.period, p.avgQuality, p.n]; }))]);
    }
    function renderHealth(h) {
      $('#health-summary').textContent = B.fmt(h.open) + ' open issues analysed' +
        (h.openSubtasks ? ' (' + B.fmt(h.openSubtasks) + ' open sub-tasks left out, as in the backlog).' : '.');
      histogram(h);
      var cls = { Must: 'b-danger', Should: 'b-warning', Could: 'b-brand', "Won't": 'b-neutral' };
      var mitems = MOSCOW.map(function (m) { return { label: m, v: h.moscow[m] || 0, text: String(h.moscow[m] || 0), cls: cls[m] }; });
      hbars('moscow', 'MoSCoW breakdown', mitems, false, MOSCOW.map(function (m) { return (h.moscow[m] || 0) + ' ' + m; }).join(', ') + '.', ['Class', 'Issues']);
      var litems = LETTERS.map(function (l) {
        var r = h.investPassRate[l[0]];
        return { label: l[0] + ' ' + l[1], v: r === undefined ? 0 : r, text: r === undefined ? '–' : Math.round(r * 100) + '%', cls: r >= 0.8 ? 'b-success' : r >= 0.5 ? 'b-warning' : 'b-danger' };
      });
      var worst = litems.slice().sort(function (a, b) { return a.v - b.v; })[0];
      hbars('invest', 'INVEST pass rate per letter', litems, true, 'Share of open issues passing each INVEST letter; lowest: ' + worst.label + ' at ' + worst.text + '.', ['Letter', 'Pass rate']);
      qualityChart(h);
      var cl = h.duplicateClusters || [];
      put('clusters', [cl.length ? el('ul', {}, cl.map(function (c) {
        return el('li', { class: 'cluster', 'data-testid': 'health-cluster' }, [
          c.keys.map(function (k, i) { return [i ? ', ' : '', issueLink(k)]; }),
          c.size > c.keys.length ? ' and ' + (c.size - c.keys.length) + ' more' : '',
          el('span', { class: 'subtle', text: ' · up to ' + Math.round(c.similarity * 100) + '% similar' })]);
      })) : el('p', { class: 'subtle', text: 'No near-duplicate clusters among open issues.' })]);
      var st = h.stale || [];
      put('stale', [st.length ? el('table', { class: 'table table-compact' }, [
        el('caption', { class: 'visually-hidden', text: 'Stale open issues' }),
        el('thead', {}, el('tr', {}, [el('th', { scope: 'col', text: 'Issue' }), el('th', { scope: 'col', text: 'Summary' }), el('th', { scope: 'col', class: 'c-num', text: 'Days since update' })])),
        el('tbody', {}, st.map(function (s) { return el('tr', { 'data-testid': 'health-stale-row' }, [el('td', {}, issueLink(s.key)), el('td', { text: s.summary }), el('td', { class: 'c-num', text: String(s.daysSinceUpdate) })]); }))
      ]) : el('p', { class: 'subtle', text: 'No stale items: every open issue was updated within ' + saved.staleDays + ' days.' })]);
      $('#health-charts').setAttribute('aria-busy', 'false');
    }
    function loadHealth() {
      if (!data.active) { $('#health-summary').textContent = 'Charts appear once the project is analysed.'; return; }
      $('#health-charts').setAttribute('aria-busy', 'true');
      B.api('GET', P + '/health').then(function (h) {
        B.errorBox($('#health-error'), null);
        stale.health = false;
        renderHealth(h);
      }, function (err) {
        $('#health-charts').setAttribute('aria-busy', 'false');
        B.errorBox($('#health-error'), err, loadHealth);
      });
    }

    /* ---------------- Settings ---------------- */
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
        if (parseHash().tab === 'settings') selectTab('settings', false);
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
    $('#mcp-url').textContent = location.origin + location.pathname.replace(/\/[^/]*$/, '') + '/mcp';
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

    /* ---------------- Start ---------------- */
    var stale = { backlog: false, preview: true, health: true };
    var starters = {
      backlog: function () { if (!isDefaultQuery() || !data.backlog) loadBacklog(); else renderBacklogChrome(); },
      generate: function () { loadDrafts(false); },
      strategy: function () { fillStrategy(saved); preview(); },
      health: loadHealth,
      settings: function () {}
    };
    var resumers = {
      backlog: function () { if (stale.backlog) loadBacklog(); },
      strategy: function () { if (stale.preview) preview(); },
      health: function () { if (stale.health) loadHealth(); }
    };
    var h = parseHash();
    if (h.tab === 'backlog' || h.tab === '') readBacklogHash(h.params);
    if (!data.active) activate();
    else if (data.scan && data.scan.state === 'running') { showScan(data.scan); pollStatus(); }
    selectTab(h.tab || 'backlog', false);
    if (!started.backlog) started.backlog = true;
    loadSettings();
    loadAssistants();
  });
})();
