/*
 * BacklogAI insights, on top of project.js and glance.js (loaded after
 * common.js on both pages, never touching their state):
 *
 *   project page: a glossary dialog of score, quality, flags, MoSCoW and the
 *     frameworks; tooltips (title + aria-describedby into the glossary) on
 *     every score, quality, estimate, class and flag, also on rows rendered
 *     later; a first-run tour (dismissable, remembered per person in
 *     localStorage); on the Health tab the value vs effort chart (quick-wins
 *     quadrant, keyboard: Tab to the chart, arrows between points, Enter
 *     opens the issue, table fallback) and the score trend.
 *   glance: the issue's score history as a sparkline with its last change
 *     explained.
 *
 * data-testid set here: glossary-open, glossary, glossary-close, tour,
 *   tour-step, tour-next, tour-back, tour-skip, tour-restart, chart-value-effort,
 *   ve-point (data-key, data-quadrant), ve-quadrant-label, ve-table, ve-unplaced,
 *   chart-trend, trend-table, glance-history, glance-sparkline, glance-history-last.
 * Rendered by the templates for this file's features: strategy-framework (the
 *   framework select of the Strategy tab), glance-framework,
 *   glance-framework-formula, glance-framework-input (data-source),
 *   glance-framework-missing (the glance's framework explanation),
 *   glance-inputs-toggle, glance-inputs-form, glance-input (data-input, data-kind),
 *   glance-inputs-save, glance-inputs-error (entering inputs: PUT /api/issues/:issue/inputs).
 */
(function () {
  'use strict';
  var B = window.BAI;
  if (!B || typeof document === 'undefined') return;
  var el = B.el, $ = B.$, $$ = B.$$;
  var NS = 'http://www.w3.org/2000/svg';
  var page = document.body.getAttribute('data-page');

  function svg(tag, attrs, kids) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    (kids || []).forEach(function (k) { if (k !== null && k !== undefined) n.appendChild(typeof k === 'string' ? document.createTextNode(k) : k); });
    return n;
  }

  /* ---------------- Glossary ---------------- */
  var GLOSSARY = [
    ['gl-score', 'Score', 'The issue\'s priority from 0 to 100. With the five pillars it is their weighted mean (×10) plus an urgency bonus of at most 5 (an issue that is Must by its due date and priority is raised to the lowest Must score); with RICE, WSJF, ICE or custom criteria it is the issue\'s rank percentile among the open backlog\'s framework scores (90 means it beats 90 % of them). Open the issue\'s glance to see why.'],
    ['gl-moscow', 'MoSCoW class', 'Must, Should, Could or Won\'t. By default the top 15 % of the ranked open backlog are Must, the next 35 % Should, the next 35 % Could, the rest Won\'t; the Strategy tab can use score thresholds or the team\'s capacity instead. A person\'s override always wins and keeps its reason.'],
    ['gl-quality', 'Quality', 'How well the story is written, 0 to 100, from the INVEST checks (Independent, Negotiable, Valuable, Estimable, Small, Testable) and the Quality User Story criteria. "–" means no story check applies (bugs, tasks, epics).'],
    ['gl-estimate', 'Estimate', 'The issue\'s story points. "~3 (suggested)" is BacklogAI\'s suggestion from similar resolved issues of this project, with its likely range; it is not written as story points.'],
    ['gl-flag-duplicate', 'Flag: duplicate', 'Another issue of the project is very similar (same need in other words); compare them in the glance and link or close one.'],
    ['gl-flag-vague', 'Flag: vague', 'The text has vague words ("fast", "easy", "etc.") or no acceptance criteria, so the team cannot tell when it is done.'],
    ['gl-flag-stale', 'Flag: stale', 'Open and not updated for longer than the Strategy tab\'s stale limit (90 days by default).'],
    ['gl-flag-too_big', 'Flag: too big', 'Its points (or the suggestion) exceed the split limit (8 by default): split it into smaller stories.'],
    ['gl-frameworks', 'Frameworks', 'RICE = reach × impact × confidence ÷ effort (Intercom). WSJF = (business value + time criticality + risk reduction) ÷ job size (SAFe). ICE = impact × confidence × ease. Custom = weighted mean of your criteria. Inputs nobody entered are derived from the pillars and labelled as such.'],
    ['gl-value-effort', 'Value vs effort', 'Each open issue with an estimate, placed by its score (value) and its points (effort). Quick wins are above the median value and at or below the median effort.']
  ];

  function glossaryDialog() {
    var d = el('dialog', { id: 'glossary', class: 'glossary', 'aria-labelledby': 'glossary-title', 'data-testid': 'glossary' }, [
      el('h2', { id: 'glossary-title', class: 'h-md', text: 'Glossary' }),
      el('dl', { class: 'glossary-list' }, GLOSSARY.map(function (g) {
        return [el('dt', { text: g[1] }), el('dd', { id: g[0], text: g[2] })];
      })),
      el('div', { class: 'btn-row' }, [el('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'glossary-close', text: 'Close',
        on: { click: function () { d.close(); } } })])
    ]);
    // Escape closes it, as it would a modal one, and focus goes back.
    d.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); d.close(); } });
    d.addEventListener('close', function () { var b = $('#glossary-open'); if (b) b.focus(); });
    return d;
  }

  // tip gives n a tooltip: its title and its glossary entry as description.
  function tip(n, id, title) {
    if (!n || n.getAttribute('data-tip') === id) return;
    n.setAttribute('data-tip', id);
    n.setAttribute('title', title);
    var d = (n.getAttribute('aria-describedby') || '').split(' ').filter(function (x) { return x && x.indexOf('gl-') !== 0; });
    d.push(id);
    n.setAttribute('aria-describedby', d.join(' '));
  }

  var FLAG_IDS = { duplicate: 1, vague: 1, stale: 1, too_big: 1 };
  function tipAll(root) {
    $$('[data-testid="backlog-score"], [data-testid="glance-score"], [data-testid="draft-score"]', root).forEach(function (n) {
      tip(n, 'gl-score', 'Score ' + n.textContent.replace(/\D+/g, ' ').trim().split(' ')[0] + ' of 100: priority; see the glossary');
    });
    $$('[data-testid="backlog-moscow"], [data-testid="glance-moscow"], .lozenge[class*="m-"]', root).forEach(function (n) {
      tip(n, 'gl-moscow', 'MoSCoW class ' + n.textContent.trim());
    });
    $$('[data-testid="backlog-quality"], [data-testid="glance-quality"], [data-testid="draft-quality"]', root).forEach(function (n) {
      tip(n, 'gl-quality', 'Quality: how well the story is written (INVEST)');
    });
    $$('[data-testid="backlog-estimate"]', root).forEach(function (n) { tip(n, 'gl-estimate', 'Estimate in story points'); });
    $$('.lozenge.flag', root).forEach(function (n) {
      var f = (n.className.match(/flag-([a-z_]+)/) || [])[1];
      if (FLAG_IDS[f]) tip(n, 'gl-flag-' + f, 'Flag: ' + n.textContent.trim());
    });
  }

  function watchTips(root) {
    tipAll(root);
    if (typeof MutationObserver === 'undefined') return;
    var queued = false;
    new MutationObserver(function () {
      if (queued) return;
      queued = true;
      setTimeout(function () { queued = false; tipAll(root); }, 50);
    }).observe(root, { childList: true, subtree: true });
  }

  /* ---------------- Tour ---------------- */
  var TOUR = [
    { target: '#backlog-table', title: 'The ranked backlog', text: 'Every open issue, highest score first. Score, quality, estimate and flags have tooltips; the Glossary explains each.' },
    { target: '[data-testid="backlog-moscow"], #backlog-table thead', title: 'MoSCoW classes', text: 'Must, Should, Could and Won\'t follow the ranking (by default the top 15 % are Must). Override a class from the issue\'s glance; your reason is kept.' },
    { target: '#tab-strategy', title: 'Your strategy', text: 'Weigh the five pillars or choose RICE, WSJF or ICE, and see the backlog re-rank before you save.' },
    { target: '#tab-health', title: 'Health', text: 'Value vs effort with the quick wins, the score trend, quality over time, duplicates and stale issues.' },
    { target: '#glossary-open', title: 'Glossary', text: 'What the numbers, classes and flags mean. Take this tour again from the button beside it.' }
  ];

  function tourKey(account) { return 'backlogai.tour.done.' + (account || 'anonymous'); }
  function remembered(key) { try { return window.localStorage.getItem(key) === '1'; } catch (e) { return false; } }
  function remember(key) { try { window.localStorage.setItem(key, '1'); } catch (e) { /* private mode: the tour shows again */ } }

  function startTour(key, card) {
    var i = 0;
    var step = el('p', { class: 'tour-step', 'data-testid': 'tour-step' });
    var title = el('h2', { id: 'tour-title', class: 'h-sm' });
    var back = el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'tour-back', text: 'Back' });
    var next = el('button', { type: 'button', class: 'btn btn-sm btn-primary', 'data-testid': 'tour-next', text: 'Next' });
    var skip = el('button', { type: 'button', class: 'btn btn-sm btn-subtle', 'data-testid': 'tour-skip', text: 'Skip the tour' });
    B.clear(card);
    card.hidden = false;
    [title, step, el('div', { class: 'btn-row' }, [back, next, skip])].forEach(function (n) { card.appendChild(n); });
    function clearMark() { $$('.tour-target').forEach(function (n) { n.classList.remove('tour-target'); }); }
    function show() {
      var s = TOUR[i];
      clearMark();
      var t = $(s.target);
      if (t) t.classList.add('tour-target');
      title.textContent = s.title + ' (' + (i + 1) + ' of ' + TOUR.length + ')';
      step.textContent = s.text;
      back.disabled = i === 0;
      next.textContent = i === TOUR.length - 1 ? 'Done' : 'Next';
      B.resize && B.resize();
    }
    function end() {
      clearMark();
      remember(key);
      card.hidden = true;
      B.announce('Tour closed. Take it again from "Take the tour".');
      var r = $('#tour-restart');
      if (r) r.focus();
    }
    back.addEventListener('click', function () { if (i > 0) { i--; show(); } });
    next.addEventListener('click', function () { if (i < TOUR.length - 1) { i++; show(); } else end(); });
    skip.addEventListener('click', end);
    card.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); end(); } });
    show();
  }

  /* ---------------- Value vs effort ---------------- */
  var QUADRANTS = { quick: 'Quick win', big: 'Big bet', fill: 'Fill-in', sink: 'Time sink' };
  function quadrant(p, mv, me) {
    var high = p.value >= mv, cheap = p.effort <= me;
    return high ? (cheap ? 'quick' : 'big') : (cheap ? 'fill' : 'sink');
  }

  function valueEffortChart(res) {
    var pts = res.points || [], mv = res.medianValue, me = res.medianEffort;
    var W = 800, H = 340, L = 36, R = 12, T = 12, Bm = 30;
    var maxE = Math.max.apply(null, pts.map(function (p) { return p.effort; }).concat([1]));
    // Effort on a square-root scale: points run 1…21 and most sit low.
    function x(e) { return L + (W - L - R) * Math.sqrt(e / maxE); }
    function y(v) { return T + (H - T - Bm) * (1 - v / 100); }
    var kids = [];
    [0, 25, 50, 75, 100].forEach(function (v) {
      kids.push(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'axis' }));
      kids.push(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, [String(v)]));
    });
    [1, 2, 3, 5, 8, 13, 21].filter(function (e) { return e <= maxE; }).forEach(function (e) {
      kids.push(svg('text', { x: x(e), y: H - Bm + 16, 'text-anchor': 'middle' }, [String(e)]));
    });
    kids.push(svg('text', { x: W - R, y: H - 2, 'text-anchor': 'end' }, ['effort (story points) →']));
    if (pts.length) {
      var qx = x(me), qy = y(mv);
      kids.push(svg('rect', { x: L, y: T, width: Math.max(0, qx - L), height: Math.max(0, qy - T), class: 've-quick' }));
      kids.push(svg('line', { x1: qx, x2: qx, y1: T, y2: H - Bm, class: 've-median' }));
      kids.push(svg('line', { x1: L, x2: W - R, y1: qy, y2: qy, class: 've-median' }));
      kids.push(svg('text', { x: L + 6, y: T + 14, class: 've-label', 'data-testid': 've-quadrant-label' }, ['Quick wins']));
      kids.push(svg('text', { x: W - R - 6, y: T + 14, 'text-anchor': 'end', class: 've-label' }, ['Big bets']));
      kids.push(svg('text', { x: L + 6, y: H - Bm - 6, class: 've-label' }, ['Fill-ins']));
      kids.push(svg('text', { x: W - R - 6, y: H - Bm - 6, 'text-anchor': 'end', class: 've-label' }, ['Time sinks']));
    }
    // Points share a few effort values (1, 2, 3, 5 …): spread each column
    // a little so that they stay apart, deterministically.
    var seen = {};
    var dots = pts.map(function (p, i) {
      var q = quadrant(p, mv, me), n = seen[p.effort] = (seen[p.effort] || 0) + 1;
      var dx = ((n % 9) - 4) * 3;
      var label = p.key + ': value ' + p.value + ', effort ' + B.fmt(p.effort) + (p.suggested ? ' points (suggested)' : ' points') + ', ' + QUADRANTS[q] + ', ' + p.moscow + '. ' + p.summary;
      return svg('circle', { cx: (x(p.effort) + dx).toFixed(1), cy: y(p.value).toFixed(1), r: 5, class: 've-dot ve-' + q + (p.suggested ? ' ve-suggested' : ''),
        tabindex: i === 0 ? '0' : '-1', role: 'button', 'aria-label': label, 'data-key': p.key, 'data-quadrant': q, 'data-testid': 've-point' },
      [svg('title', {}, [label])]);
    });
    var quick = pts.filter(function (p) { return quadrant(p, mv, me) === 'quick'; }).length;
    var desc = pts.length ? pts.length + ' open issues by score and story points; ' + quick + ' quick wins (score ≥ ' + B.fmt(mv) + ', effort ≤ ' + B.fmt(me) +
      ' points). Use the arrow keys to move between issues: left and right by effort, up and down by score; Enter opens the issue.' : 'No open issue has an estimate yet.';
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'group', 'aria-labelledby': 've-t ve-d', class: 've-chart' },
      [svg('title', { id: 've-t' }, ['Value vs effort']), svg('desc', { id: 've-d' }, [desc])].concat(kids, dots));
    keyboard(chart, dots, pts);
    var table = el('details', { class: 'alt' }, [el('summary', { text: 'Show as table' }),
      el('table', { class: 'table table-compact', 'data-testid': 've-table' }, [
        el('thead', {}, el('tr', {}, ['Issue', 'Value', 'Effort', 'Quadrant'].map(function (h) { return el('th', { scope: 'col', text: h }); }))),
        el('tbody', {}, pts.map(function (p) {
          return el('tr', {}, [el('th', { scope: 'row' }, [el('a', { href: '#', class: 've-link', 'data-issue-key': p.key, text: p.key }), ' ', el('span', { class: 'subtle', text: p.summary })]),
            el('td', { class: 'c-num', text: String(p.value) }), el('td', { class: 'c-num', text: B.fmt(p.effort) + (p.suggested ? ' (suggested)' : '') }),
            el('td', { text: QUADRANTS[quadrant(p, mv, me)] })]);
        }))
      ])]);
    $$('.ve-link', table).forEach(function (a) { a.addEventListener('click', function (e) { e.preventDefault(); B.navigate(a.getAttribute('data-issue-key')); }); });
    var note = res.unplaced ? el('p', { class: 'subtle', 'data-testid': 've-unplaced', text: res.unplaced + ' open issues have no estimate and are not placed.' }) : null;
    return [chart, note, table];
  }

  // keyboard: one tab stop on the chart (roving tabindex); arrows move
  // along effort (left, right) or score (up, down); Enter opens the issue.
  function keyboard(chart, dots, pts) {
    if (!dots.length) return;
    var byEffort = pts.map(function (p, i) { return i; }).sort(function (a, b) { return pts[a].effort - pts[b].effort || pts[b].value - pts[a].value; });
    var byValue = pts.map(function (p, i) { return i; }); // the server sends them by score, highest first
    var cur = 0;
    function go(i) {
      dots[cur].setAttribute('tabindex', '-1');
      cur = i;
      dots[cur].setAttribute('tabindex', '0');
      dots[cur].focus();
    }
    function step(order, d) {
      var at = order.indexOf(cur) + d;
      if (at >= 0 && at < order.length) go(order[at]);
    }
    dots.forEach(function (dot, i) { dot.addEventListener('focus', function () { if (cur !== i) { dots[cur].setAttribute('tabindex', '-1'); cur = i; dot.setAttribute('tabindex', '0'); } }); });
    dots.forEach(function (dot, i) { dot.addEventListener('click', function () { go(i); B.navigate(pts[i].key); }); });
    chart.addEventListener('keydown', function (e) {
      switch (e.key) {
        case 'ArrowRight': step(byEffort, 1); break;
        case 'ArrowLeft': step(byEffort, -1); break;
        case 'ArrowUp': step(byValue, -1); break;
        case 'ArrowDown': step(byValue, 1); break;
        case 'Home': go(byValue[0]); break;
        case 'End': go(byValue[byValue.length - 1]); break;
        case 'Enter': case ' ': B.navigate(pts[cur].key); break;
        default: return;
      }
      e.preventDefault();
    });
  }

  function trendChart(res) {
    var pts = res.points || [];
    if (!pts.length) return [el('p', { class: 'subtle', text: 'The trend starts with the next ranking of the backlog; one point per day.' })];
    var W = 320, H = 180, L = 28, R = 8, T = 10, Bm = 24;
    var maxMust = Math.max.apply(null, pts.map(function (p) { return p.count[0]; }).concat([1]));
    function x(i) { return pts.length === 1 ? (L + W - R) / 2 : L + (W - L - R) * i / (pts.length - 1); }
    function y(v, max) { return T + (H - T - Bm) * (1 - v / max); }
    var kids = [0, 50, 100].map(function (v) { return svg('line', { x1: L, x2: W - R, y1: y(v, 100), y2: y(v, 100), class: 'axis' }); });
    [0, 50, 100].forEach(function (v) { kids.push(svg('text', { x: L - 4, y: y(v, 100) + 4, 'text-anchor': 'end' }, [String(v)])); });
    kids.push(svg('polyline', { points: pts.map(function (p, i) { return x(i) + ',' + y(p.meanScore, 100); }).join(' '), class: 'trend-mean' }));
    kids.push(svg('polyline', { points: pts.map(function (p, i) { return x(i) + ',' + y(p.count[0], maxMust); }).join(' '), class: 'trend-must' }));
    kids.push(svg('text', { x: L, y: H - 4 }, [pts[0].day]));
    if (pts.length > 1) kids.push(svg('text', { x: W - R, y: H - 4, 'text-anchor': 'end' }, [pts[pts.length - 1].day]));
    var first = pts[0], last = pts[pts.length - 1];
    var desc = 'Mean score of the open backlog ' + B.fmt(first.meanScore) + ' on ' + first.day + ', ' + B.fmt(last.meanScore) + ' on ' + last.day +
      '; Must issues ' + first.count[0] + ' then ' + last.count[0] + ' (solid line: mean score, dashed: Must count, scaled to its maximum ' + maxMust + ').';
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'tr-t tr-d', focusable: 'false' },
      [svg('title', { id: 'tr-t' }, ['Score trend']), svg('desc', { id: 'tr-d' }, [desc])].concat(kids));
    var table = el('details', { class: 'alt' }, [el('summary', { text: 'Show as table' }),
      el('table', { class: 'table table-compact', 'data-testid': 'trend-table' }, [
        el('thead', {}, el('tr', {}, ['Day', 'Mean score', 'Must', 'Open'].map(function (h) { return el('th', { scope: 'col', text: h }); }))),
        el('tbody', {}, pts.map(function (p) {
          return el('tr', {}, [el('th', { scope: 'row', text: p.day }), el('td', { class: 'c-num', text: B.fmt(p.meanScore) }),
            el('td', { class: 'c-num', text: String(p.count[0]) }), el('td', { class: 'c-num', text: String(p.open) })]);
        }))
      ])]);
    return [chart, el('p', { class: 'subtle legend' }, [el('span', { class: 'key key-mean', 'aria-hidden': 'true' }), ' mean score ', el('span', { class: 'key key-must', 'aria-hidden': 'true' }), ' Must count']), table];
  }

  function projectPage() {
    var project = document.body.getAttribute('data-project-key');
    var head = $('.page-head');
    // Non-modal and in the flow under the header: Jira sizes the iframe to
    // its content, so a centred modal could open far below the fold.
    var dialog = glossaryDialog();
    if (head && head.parentNode) head.parentNode.insertBefore(dialog, head.nextSibling);
    else document.body.appendChild(dialog);
    var openBtn = el('button', { type: 'button', id: 'glossary-open', class: 'btn btn-sm btn-subtle', 'aria-haspopup': 'dialog', 'aria-controls': 'glossary', 'data-testid': 'glossary-open', text: 'Glossary',
      on: { click: function () {
        if (dialog.open) { dialog.close(); return; }
        if (dialog.show) dialog.show(); else dialog.setAttribute('open', '');
        var c = $('[data-testid="glossary-close"]', dialog);
        if (c) c.focus();
        B.resize && B.resize();
      } } });
    var restart = el('button', { type: 'button', id: 'tour-restart', class: 'btn btn-sm btn-subtle', 'data-testid': 'tour-restart', text: 'Take the tour' });
    if (head) head.appendChild(el('div', { class: 'head-help' }, [openBtn, restart]));
    var card = el('section', { class: 'tour', role: 'region', 'aria-labelledby': 'tour-title', 'data-testid': 'tour', hidden: true });
    var main = $('#main');
    if (main) main.insertBefore(card, main.firstChild);
    watchTips(document.body);
    var key = tourKey('');
    restart.addEventListener('click', function () { startTour(key, card); var n = $('[data-testid="tour-next"]'); if (n) n.focus(); });
    B.api('GET', '/me').then(function (me) { return me && me.accountId; }, function () { return ''; }).then(function (account) {
      key = tourKey(account);
      if (!remembered(key)) startTour(key, card);
    });

    // Health tab: the value vs effort chart and the trend, loaded on view.
    var charts = $('#health-charts');
    if (!charts || !project) return;
    var ve = el('figure', { class: 'chart chart-wide', 'data-testid': 'chart-value-effort' }, [
      el('figcaption', { class: 'h-sm', text: 'Value vs effort' }), el('div', { class: 'chart-body', 'data-insight': 've' }, [el('span', { class: 'skeleton skeleton-chart' })])]);
    var tr = el('figure', { class: 'chart', 'data-testid': 'chart-trend' }, [
      el('figcaption', { class: 'h-sm', text: 'Score trend' }), el('div', { class: 'chart-body', 'data-insight': 'trend' }, [el('span', { class: 'skeleton skeleton-chart' })])]);
    charts.insertBefore(tr, charts.firstChild);
    charts.insertBefore(ve, charts.firstChild);
    var loading = false;
    function fill(name, kids) { var b = $('[data-insight="' + name + '"]'); B.clear(b); kids.forEach(function (k) { if (k) b.appendChild(k); }); }
    function load() {
      if (loading) return;
      loading = true;
      var P = '/projects/' + encodeURIComponent(project);
      Promise.all([
        B.api('GET', P + '/value-effort').then(function (r) { fill('ve', valueEffortChart(r)); }, function (err) { fill('ve', []); B.errorBox($('[data-insight="ve"]'), err, load); }),
        B.api('GET', P + '/trend').then(function (r) { fill('trend', trendChart(r)); }, function (err) { fill('trend', []); B.errorBox($('[data-insight="trend"]'), err, load); })
      ]).then(function () { loading = false; B.resize && B.resize(); });
    }
    var tab = $('#tab-health');
    if (tab) {
      tab.addEventListener('click', load);
      if (tab.getAttribute('aria-selected') === 'true') load();
      if (typeof MutationObserver !== 'undefined') {
        new MutationObserver(function () { if (tab.getAttribute('aria-selected') === 'true') load(); }).observe(tab, { attributes: true, attributeFilter: ['aria-selected'] });
      }
    }
  }

  /* ---------------- Glance: score history ---------------- */
  function sparkline(pts) {
    var W = 160, H = 36;
    var vals = pts.map(function (p) { return p.score; });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (hi - lo < 10) { lo = Math.max(0, lo - 5); hi = Math.min(100, hi + 5); }
    function x(i) { return pts.length === 1 ? W / 2 : 3 + (W - 6) * i / (pts.length - 1); }
    function y(v) { return 3 + (H - 6) * (1 - (v - lo) / Math.max(1, hi - lo)); }
    var first = Math.floor(vals[0]), last = Math.floor(vals[vals.length - 1]);
    var label = 'Score over time: ' + first + ' on ' + pts[0].at.slice(0, 10) + ', ' + last + ' now, ' + pts.length + (pts.length === 1 ? ' point' : ' points') +
      ' (low ' + Math.floor(Math.min.apply(null, vals)) + ', high ' + Math.floor(Math.max.apply(null, vals)) + ').';
    return svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': label, class: 'sparkline', 'data-testid': 'glance-sparkline', focusable: 'false' }, [
      svg('title', {}, [label]),
      svg('polyline', { points: pts.map(function (p, i) { return x(i).toFixed(1) + ',' + y(p.score).toFixed(1); }).join(' ') }),
      svg('circle', { cx: x(pts.length - 1).toFixed(1), cy: y(vals[vals.length - 1]).toFixed(1), r: 2.5 })
    ]);
  }

  function glancePage() {
    var issue = document.body.getAttribute('data-issue-key');
    var panel = $('#glance-panel'), main = $('#glance');
    if (!issue || !panel || !main) return;
    var box = el('section', { class: 'history', 'aria-labelledby': 'history-title', 'data-testid': 'glance-history', hidden: true }, [
      el('h2', { id: 'history-title', class: 'h-sm', text: 'Score history' }), el('div', { class: 'history-body' })]);
    main.insertBefore(box, $('#glance-error'));
    var pending = null;
    function load() {
      if (panel.getAttribute('data-state') !== 'analysed') { box.hidden = true; return; }
      B.api('GET', '/issues/' + encodeURIComponent(issue) + '/history').then(function (res) {
        var pts = res.points || [], body = $('.history-body', box);
        B.clear(body);
        box.hidden = !pts.length;
        if (!pts.length) return;
        body.appendChild(sparkline(pts));
        body.appendChild(el('p', { class: 'subtle', 'data-testid': 'glance-history-last', text: pts.length > 1 ? 'Why it moved: ' + res.lastChange : 'First scored on ' + pts[0].at.slice(0, 10) + '; changes will show here.' }));
        B.resize && B.resize();
      }, function () { box.hidden = true; });
    }
    load();
    watchTips(panel);
    // Framework inputs entered in the glance's framework section.
    panel.addEventListener('submit', function (e) {
      var form = e.target;
      if (!form || form.getAttribute('data-testid') !== 'glance-inputs-form') return;
      e.preventDefault();
      var values = {}, bad = null;
      $$('input[data-input]', form).forEach(function (inp) {
        if (inp.readOnly) return;
        var name = inp.getAttribute('data-input'), v = inp.value.trim();
        if (v === '') { if (inp.getAttribute('data-kind') === 'entered') values[name] = null; return; }
        var n = Number(v);
        if (!isFinite(n)) { bad = bad || inp; return; }
        values[name] = n;
      });
      var slot = $('[data-testid="glance-inputs-error"]', form), btn = $('[data-testid="glance-inputs-save"]', form);
      if (bad) { bad.setAttribute('aria-invalid', 'true'); bad.focus(); B.errorBox(slot, { message: bad.getAttribute('data-input') + ' must be a number.' }); return; }
      if (!Object.keys(values).length) { B.errorBox(slot, { message: 'Enter at least one input.' }); return; }
      btn.disabled = true;
      B.api('PUT', '/issues/' + encodeURIComponent(issue) + '/inputs', { values: values }).then(function () {
        return B.api('GET', '/issues/' + encodeURIComponent(issue) + '/panel');
      }).then(function (res) {
        panel.innerHTML = res.html; // server-rendered by html/template
        panel.setAttribute('data-state', res.state);
        var h = $('#framework-title', panel);
        if (h) { h.setAttribute('tabindex', '-1'); h.focus(); }
        B.announce('Inputs saved; the score is now ' + (($('[data-testid="glance-score"]', panel) || {}).textContent || '').replace(/\D+/g, ' ').trim().split(' ')[0] + '.');
        B.resize && B.resize();
      }, function (err) {
        btn.disabled = false;
        B.errorBox(slot, err);
      });
    });
    if (typeof MutationObserver !== 'undefined') {
      // The panel re-renders after a re-score: fetch the history again.
      new MutationObserver(function () { clearTimeout(pending); pending = setTimeout(load, 300); }).observe(panel, { childList: true, attributes: true, attributeFilter: ['data-state'] });
    }
    document.body.appendChild(glossaryDialog()); // the glance's tooltips are described by it too
  }

  function init() {
    if (page === 'project') projectPage();
    else if (page === 'glance') glancePage();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
