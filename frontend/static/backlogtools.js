/*
 * BacklogAI Backlog tab tools: saved views, export, and applying the ranking
 * in Jira (preview of the moves, apply, undo). It builds its controls in
 * #backlog-tools and talks to the backlog through the hooks project.js sets
 * on BAI.backlog (query, setQuery, selectedRows, reload).
 *
 * data-testid values:
 *   backlog-tools, views-select, views-apply, views-delete, views-name, views-save, views-status,
 *   export-csv, export-json, export-status,
 *   rank-open, rank-sheet, rank-mode-top, rank-mode-selected, rank-top-n, rank-preview, rank-moves,
 *   rank-move (data-key, data-from, data-to), rank-summary, rank-apply, rank-undo, rank-last, rank-status, rank-error
 */
(function () {
  'use strict';
  var B = window.BAI, el = B.el;
  var root = location.pathname.replace(/\/[^/]*$/, '');

  // Not B.init: that would install the page's shared listeners twice.
  // project.js registered first, so its hooks are set when this runs.
  function start() {
    var box = document.getElementById('backlog-tools');
    var H = B.backlog;
    if (!box || !H) return;
    var P = '/projects/' + encodeURIComponent(H.project);

    /* ---------------- Saved views ---------------- */
    var views = [];
    var viewSel = el('select', { class: 'select', id: 'views-select', 'data-testid': 'views-select', 'aria-label': 'Saved views' });
    var viewName = el('input', { type: 'text', class: 'input', id: 'views-name', maxlength: '80', placeholder: 'Name this view', 'aria-label': 'Name of the view to save', 'data-testid': 'views-name' });
    var viewStatus = el('span', { class: 'subtle', role: 'status', 'data-testid': 'views-status' });
    function renderViews(keep) {
      B.clear(viewSel);
      viewSel.appendChild(el('option', { value: '', text: views.length ? 'My saved views…' : 'No saved views' }));
      views.forEach(function (v) { viewSel.appendChild(el('option', { value: String(v.id), text: v.name })); });
      viewSel.value = keep || '';
    }
    function loadViews(keep) {
      return B.api('GET', P + '/views').then(function (res) { views = res.views || []; renderViews(keep); },
        function (err) { viewStatus.textContent = err.message; });
    }
    function chosen() { return views.filter(function (v) { return String(v.id) === viewSel.value; })[0]; }
    function applyView() {
      var v = chosen();
      if (!v) return;
      H.setQuery(v.query);
      viewStatus.textContent = 'Showing “' + v.name + '”.';
    }
    viewSel.addEventListener('change', applyView);
    var viewsBox = el('div', { class: 'inline-field', role: 'group', 'aria-label': 'Saved views' }, [
      viewSel,
      el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'views-apply', text: 'Apply', on: { click: applyView } }),
      el('button', { type: 'button', class: 'btn btn-sm btn-subtle', 'data-testid': 'views-delete', text: 'Delete', on: { click: function () {
        var v = chosen();
        if (!v) { viewStatus.textContent = 'Choose a view to delete.'; return; }
        B.api('DELETE', P + '/views/' + v.id).then(function () { viewStatus.textContent = 'Deleted “' + v.name + '”.'; return loadViews(); },
          function (err) { viewStatus.textContent = err.message; });
      } } }),
      viewName,
      el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'views-save', text: 'Save view', on: { click: function () {
        var name = viewName.value.trim();
        if (!name) { viewStatus.textContent = 'Give the view a name.'; viewName.focus(); return; }
        B.api('POST', P + '/views', { name: name, query: H.query().toString() }).then(function (v) {
          viewName.value = '';
          viewStatus.textContent = 'Saved “' + v.name + '”.';
          return loadViews(String(v.id));
        }, function (err) { viewStatus.textContent = err.message; });
      } } }),
      viewStatus
    ]);

    /* ---------------- Export ---------------- */
    var exportStatus = el('span', { class: 'subtle', role: 'status', 'data-testid': 'export-status' });
    // The API needs the page's token, so the file is fetched, then saved
    // through a temporary link.
    function exportAs(format) {
      var q = H.query();
      q.set('format', format);
      exportStatus.textContent = 'Exporting…';
      var path = P + '/backlog/export?' + q.toString();
      // On Forge the bridge signs the call (host.js); on Connect the page's JWT.
      var fh = window.BAIHost && window.BAIHost.kind === 'forge' ? window.BAIHost : null;
      (fh ? Promise.resolve().then(function () { return fh.request('GET', path); }) : B.token().then(function (tok) {
        return fetch(root + '/api' + path, { headers: { 'Authorization': 'JWT ' + tok }, credentials: 'omit' });
      })).then(function (res) {
        if (!res.ok) return res.json().then(function (d) { throw new Error((d && d.error && d.error.message) || 'Export failed.'); });
        var cd = res.headers.get('Content-Disposition') || '';
        var m = /filename="([^"]+)"/.exec(cd);
        return res.blob().then(function (b) {
          var url = URL.createObjectURL(b);
          var a = el('a', { href: url, download: m ? m[1] : 'backlog.' + format, hidden: true });
          document.body.appendChild(a);
          a.click();
          setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
          exportStatus.textContent = 'Exported the ' + (format === 'csv' ? 'CSV' : 'JSON') + ' file with the current filters.';
        });
      }).catch(function (err) { exportStatus.textContent = err.message; });
    }
    var exportBox = el('div', { class: 'inline-field', role: 'group', 'aria-label': 'Export' }, [
      el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'export-csv', text: 'Export CSV', on: { click: function () { exportAs('csv'); } } }),
      el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'export-json', text: 'Export JSON', on: { click: function () { exportAs('json'); } } }),
      exportStatus
    ]);

    /* ---------------- Apply the ranking in Jira ---------------- */
    var sheet = el('div', { class: 'sheet', id: 'rank-sheet', hidden: true, 'data-testid': 'rank-sheet', role: 'region', 'aria-label': 'Apply the ranking in Jira' });
    var openBtn = el('button', { type: 'button', class: 'btn btn-sm', 'aria-expanded': 'false', 'aria-controls': 'rank-sheet', 'data-testid': 'rank-open', text: 'Apply ranking in Jira…' });
    var modeTop = el('input', { type: 'radio', name: 'rank-mode', value: 'top', checked: true, 'data-testid': 'rank-mode-top' });
    var modeSel = el('input', { type: 'radio', name: 'rank-mode', value: 'selected', 'data-testid': 'rank-mode-selected' });
    var topN = el('input', { type: 'number', class: 'input input-sm', min: '1', max: '500', value: '10', 'aria-label': 'Number of top issues', 'data-testid': 'rank-top-n' });
    var selLabel = el('span', { text: 'Selected issues (0)' });
    var moves = el('ol', { class: 'rank-moves', 'data-testid': 'rank-moves', 'aria-label': 'Moves in Jira' });
    var summary = el('p', { class: 'subtle', 'data-testid': 'rank-summary' });
    var applyBtn = el('button', { type: 'button', class: 'btn btn-sm btn-primary', disabled: true, 'data-testid': 'rank-apply', text: 'Apply in Jira' });
    var undoBtn = el('button', { type: 'button', class: 'btn btn-sm', hidden: true, 'data-testid': 'rank-undo', text: 'Undo last application' });
    var last = el('p', { class: 'subtle', 'data-testid': 'rank-last' });
    var status = el('p', { role: 'status', 'data-testid': 'rank-status' });
    var errSlot = el('div', { 'data-testid': 'rank-error' });

    function request() {
      if (modeSel.checked) {
        // BacklogAI's order: by score, ties by key number.
        var rows = H.selectedRows().slice().sort(function (a, b) {
          return b.score - a.score || a.key.length - b.key.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
        });
        return { keys: rows.map(function (r) { return r.key; }) };
      }
      var q = H.query();
      q.delete('sort'); q.delete('dir'); q.delete('offset');
      return { top: parseInt(topN.value, 10) || 0, query: q.toString() };
    }
    function showLast(l) {
      if (!l || !l.appliedAt) { last.textContent = ''; undoBtn.hidden = true; return; }
      var when = new Date(l.appliedAt).toLocaleString();
      last.textContent = l.undone ? 'The last application (' + when + ') was undone.' :
        'Last applied ' + when + ' (' + (l.moves || []).length + ' issues). Undo puts them back where they were.';
      undoBtn.hidden = !!l.undone;
    }
    function loadLast() { return B.api('GET', P + '/rank/last').then(showLast, function () { /* the sheet still works */ }); }
    function preview() {
      var r = request();
      B.clear(errSlot);
      applyBtn.disabled = true;
      if (r.keys && !r.keys.length) { status.textContent = 'Select issues in the table first.'; return; }
      var qs = r.keys ? 'keys=' + encodeURIComponent(r.keys.join(',')) : 'top=' + r.top + '&query=' + encodeURIComponent(r.query);
      status.textContent = 'Reading Jira’s order…';
      B.api('GET', P + '/rank/preview?' + qs).then(function (p) {
        B.clear(moves);
        p.moves.forEach(function (m) {
          moves.appendChild(el('li', { 'data-testid': 'rank-move', 'data-key': m.key, 'data-from': String(m.from), 'data-to': String(m.to) },
            [el('strong', { text: m.key }), ' ' + (m.from === m.to ? 'stays at ' + m.to : m.from + ' → ' + m.to)]));
        });
        summary.textContent = p.changed + ' of ' + p.moves.length + ' issues move in Jira’s backlog' +
          (p.skipped.length ? '; not open in Jira, left alone: ' + p.skipped.join(', ') : '') + '.';
        status.textContent = '';
        applyBtn.disabled = p.changed === 0;
        B.resize();
      }, function (err) { status.textContent = ''; B.errorBox(errSlot, err, preview); });
    }
    applyBtn.addEventListener('click', function () {
      applyBtn.disabled = true;
      status.textContent = 'Ranking in Jira…';
      B.api('POST', P + '/rank/apply', request()).then(function (p) {
        status.textContent = 'Jira’s backlog now follows BacklogAI for ' + p.moves.length + ' issues.';
        B.flag('Ranking applied in Jira', p.changed + ' issues moved.');
        return loadLast();
      }, function (err) { status.textContent = ''; B.errorBox(errSlot, err); loadLast(); });
    });
    undoBtn.addEventListener('click', function () {
      undoBtn.disabled = true;
      status.textContent = 'Restoring Jira’s previous order…';
      B.api('POST', P + '/rank/undo').then(function (l) {
        undoBtn.disabled = false;
        status.textContent = 'Jira’s previous order is restored.';
        B.flag('Ranking undone', 'Jira’s previous order is restored.');
        showLast(l);
      }, function (err) { undoBtn.disabled = false; status.textContent = ''; B.errorBox(errSlot, err); });
    });
    openBtn.addEventListener('click', function () {
      var open = sheet.hidden;
      sheet.hidden = !open;
      openBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (open) {
        var n = H.selectedRows().length;
        selLabel.textContent = 'Selected issues (' + n + ')';
        if (n) modeSel.checked = true;
        loadLast();
        topN.focus();
      }
      B.resize();
    });
    [modeTop, modeSel, topN].forEach(function (x) { x.addEventListener('change', function () { applyBtn.disabled = true; B.clear(moves); summary.textContent = ''; }); });
    sheet.appendChild(el('fieldset', {}, [
      el('legend', { text: 'Which issues go to the top of Jira’s backlog, in BacklogAI’s order' }),
      el('label', { class: 'inline-field' }, [modeTop, ' Top ', topN, ' of this view']),
      el('label', { class: 'inline-field' }, [modeSel, ' ', selLabel])
    ]));
    sheet.appendChild(el('div', { class: 'actions' }, [
      el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'rank-preview', text: 'Preview moves', on: { click: preview } }),
      applyBtn, undoBtn
    ]));
    [summary, moves, last, status, errSlot].forEach(function (n) { sheet.appendChild(n); });

    box.appendChild(viewsBox);
    box.appendChild(exportBox);
    box.appendChild(openBtn);
    box.appendChild(sheet);
    loadViews();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
