/*
 * BacklogAI project page, the entry module: tabs Backlog, Generate,
 * Strategy, Health, Settings, each in its own ES module (backlog.js,
 * generate.js, strategy.js, health.js, settings.js; scan.js for the scan
 * card; page.js for what they share). No bundler: the browser loads them
 * as native modules. The server renders the shell; the initial state,
 * with the first backlog page, is in <script type="application/json"
 * id="bai-data">. The selected tab and the backlog's query live in the URL
 * hash (#backlog&sort=quality&dir=asc…, #generate, #strategy, #health,
 * #settings).
 *
 * Each tab module exports setup(page) (page: see page.js), which wires its
 * panel and returns {start, resume}: start runs the first time the tab
 * shows, resume when it shows again.
 *
 * data-testid values:
 *   page:      tabs, tab-backlog, tab-generate, tab-strategy, tab-health, tab-settings (hidden unless admin),
 *              panel-backlog, panel-generate, panel-strategy, panel-health, panel-settings, live
 *   errors:    error-box, error-retry (common.js)
 */
import { B, $, $$ } from './page.js';
import * as scan from './scan.js';
import * as backlog from './backlog.js';
import * as generate from './generate.js';
import * as strategy from './strategy.js';
import * as health from './health.js';
import * as settings from './settings.js';

B.init(function () {
  const data = JSON.parse($('#bai-data').textContent);
  const tabs = $$('[role="tab"]');
  const started = {};
  let current = 'backlog';

  function parseHash() {
    const h = location.hash.replace(/^#/, '');
    const i = h.indexOf('&');
    return { tab: i < 0 ? h : h.slice(0, i), params: new URLSearchParams(i < 0 ? '' : h.slice(i + 1)) };
  }
  function writeHash() {
    let h = '#' + current;
    if (current === 'backlog') {
      const q = panels.backlog.query().toString();
      if (q) h += '&' + q;
    }
    if (location.hash !== h) history.replaceState(null, '', h);
  }
  function visibleTabs() { return tabs.filter(function (t) { return !t.hidden; }); }
  function selectTab(name, focus) {
    const tab = tabs.filter(function (t) { return t.getAttribute('data-tab') === name && !t.hidden; })[0] || tabs[0];
    name = tab.getAttribute('data-tab');
    tabs.forEach(function (t) {
      const on = t === tab;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    });
    if (focus) tab.focus();
    current = name;
    writeHash();
    const p = panels[name];
    if (!started[name]) { started[name] = true; p.start(); } else if (p.resume) p.resume();
    B.resize();
  }
  $('[role="tablist"]').addEventListener('click', function (e) {
    const t = e.target.closest('[role="tab"]');
    if (t) selectTab(t.getAttribute('data-tab'), false);
  });
  $('[role="tablist"]').addEventListener('keydown', function (e) {
    const vis = visibleTabs();
    const i = vis.indexOf(document.activeElement);
    if (i < 0) return;
    let next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: vis.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    next = (next + vis.length) % vis.length;
    selectTab(vis[next].getAttribute('data-tab'), true);
  });

  // What the modules share; functions so that each reads the current state.
  const page = {
    data: data,
    P: '/projects/' + encodeURIComponent(data.projectKey),
    stale: { backlog: false, preview: true, health: true },
    current: function () { return current; },
    selectTab: selectTab,
    hashTab: function () { return parseHash().tab; },
    writeHash: writeHash,
    scanning: function () { return scanCard.visible(); },
    loadBacklog: function () { panels.backlog.load(); },
    savedStrategy: function () { return panels.strategy.saved(); }
  };
  // Set up in the page's order: each wires its panel's listeners.
  const scanCard = scan.setup(page);
  const panels = {};
  panels.backlog = backlog.setup(page);
  panels.generate = generate.setup(page);
  panels.strategy = strategy.setup(page);
  panels.health = health.setup(page);
  panels.settings = settings.setup(page);

  const h = parseHash();
  if (h.tab === 'backlog' || h.tab === '') panels.backlog.readHash(h.params);
  if (!data.active) scanCard.activate();
  else if (data.scan && data.scan.state === 'running') scanCard.follow(data.scan);
  // The backlog is drawn whichever tab opens first: its rows come only
  // from the script (the page carries them as data).
  started.backlog = true;
  panels.backlog.start();
  selectTab(h.tab || 'backlog', false);
  panels.settings.load();
});
