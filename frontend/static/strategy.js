/*
 * BacklogAI project page, Strategy tab (an ES module): vision, objectives,
 * competitors, pillar weights, the MoSCoW mode and the advanced limits,
 * with a live re-ranked preview of the top of the backlog.
 *
 * data-testid values:
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
 */
import { B, el, $, $$, MOSCOW, links, lozenge } from './page.js';

/** setup wires the Strategy tab; saved() is the strategy as last saved. */
export function setup(page) {
  var data = page.data, P = page.P, stale = page.stale;
  const { issueLink } = links(data.jiraUrl);
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
    if (window.BAI.criteria) window.BAI.criteria.fill(st.framework); // criteria.js: mappings and custom criteria
  }
  function frameworkPicked() {
    var name = $('#st-framework').value;
    if (window.BAI.criteria) return window.BAI.criteria.picked(name);
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
      (sum.fallback ? ' (' + sum.fallback + ': by share of the backlog instead)' : '') +
      (sum.forced ? '; ' + sum.forced + (sum.forced === 1 ? ' is' : ' are') + ' Must by due date and priority (overdue at High or above, or due within 3 days at Highest)' : '') + '.';
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
      setTimeout(function () { if (page.current() === 'backlog') page.loadBacklog(); }, 2000);
    }, function (err) {
      B.busy(btn, false);
      B.errorBox(stErr, err, function () { stForm.requestSubmit(); });
    });
  });

  return {
    start: function () { fillStrategy(saved); preview(); },
    resume: function () { if (stale.preview) preview(); },
    saved: function () { return saved; }
  };
}
