/*
 * BacklogAI project page, Health tab (an ES module): score distribution,
 * MoSCoW breakdown, INVEST pass rates, quality over time (SVG charts, each
 * with a table alternative), duplicate clusters and stale items.
 *
 * data-testid values:
 *   health:    health-summary, health-error, chart-scores, chart-moscow, chart-invest, chart-quality
 *              (figures with an svg[role=img] and a "Show as table" alternative: chart-table),
 *              health-clusters, health-cluster, health-stale, health-stale-row
 */
import { B, el, $, LETTERS, MOSCOW, links } from './page.js';

/** setup wires the Health tab; start (and resume when stale) loads it. */
export function setup(page) {
  var data = page.data, P = page.P, stale = page.stale;
  const { issueLink } = links(data.jiraUrl);
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
    ]) : el('p', { class: 'subtle', text: 'No stale items: every open issue was updated within ' + page.savedStrategy().staleDays + ' days.' })]);
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

  return {
    start: loadHealth,
    resume: function () { if (stale.health) loadHealth(); }
  };
}
