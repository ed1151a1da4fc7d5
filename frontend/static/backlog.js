/*
 * BacklogAI project page, Backlog tab (an ES module): the ranked backlog
 * table, its filters, sorting and pages, selection and bulk overrides.
 * rowNode is the one renderer of a backlog row: the first page comes as
 * JSON inside the page (#bai-data, no extra request), later pages from
 * GET /api/projects/:p/backlog, and both are drawn by it.
 *
 * data-testid values:
 *   backlog:   backlog-search, filter-moscow-{must,should,could,wont}, filter-flag-{duplicate,vague,stale,too_big},
 *              backlog-type, backlog-include-done, backlog-include-subtasks, backlog-rollup (an epic's open children), backlog-table (aria-busy while loading), backlog-body,
 *              backlog-row (data-key), backlog-row-select, backlog-issue-link, backlog-score, backlog-moscow, backlog-quality, backlog-estimate,
 *              sort-key, sort-score, sort-quality, sort-estimate (th has aria-sort), backlog-select-page,
 *              backlog-prev, backlog-next, backlog-status, backlog-empty, backlog-clear-filters, backlog-error
 *   bulk:      bulk-bar, bulk-count, bulk-override, bulk-open, bulk-clear, bulk-sheet, bulk-moscow,
 *              bulk-reason, bulk-apply, bulk-cancel, bulk-error, bulk-status, bulk-jql, bulk-jql-link
 *
 * Hooks for backlogtools.js on BAI.backlog: project, query(), setQuery(qs), selectedRows(), reload().
 */
import { B, el, $, $$, links, lozenge, qualityText } from './page.js';

// rowNode draws one backlog row; sel: the row is selected; issueLink
// makes the key's link (page.js links).

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
export function rowNode(r, sel, issueLink) {
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

/**
 * setup wires the Backlog tab to the page (see page.js) and returns what
 * the entry module and the other tabs call: start, resume, load, query,
 * readHash.
 */
export function setup(page) {
  var data = page.data, P = page.P, stale = page.stale;
  const { issueLink, searchLink } = links(data.jiraUrl);
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

  function renderBacklog() {
    var frag = document.createDocumentFragment();
    blRows.forEach(function (r) { frag.appendChild(rowNode(r, selected.has(r.key), issueLink)); });
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
      } else if (page.scanning()) {
        blEmpty.appendChild(el('p', { text: 'Issues appear here as the scan analyses them.' }));
      } else {
        blEmpty.appendChild(el('p', { text: 'No open issues in ' + data.projectKey + ' yet. Create issues in Jira, or draft stories in the Generate tab.' }));
        blEmpty.appendChild(el('button', { type: 'button', class: 'btn', text: 'Generate stories', on: { click: function () { page.selectTab('generate', true); } } }));
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
    page.writeHash();
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

  return {
    // The first page is in the page's data; another query is fetched.
    start: function () { if (!isDefaultQuery() || !data.backlog) loadBacklog(); else renderBacklog(); },
    resume: function () { if (stale.backlog) loadBacklog(); },
    load: loadBacklog,
    query: function () { return backlogParams(false); },
    readHash: readBacklogHash
  };
}
