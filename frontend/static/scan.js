/*
 * BacklogAI project page, the scan card (an ES module): activation of the
 * project on the first visit, the scan's progress while it runs, and a
 * rescan after a failure.
 *
 * data-testid values:
 *   scan:      scan-status, scan-progress, scan-text, scan-error
 */
import { B, $ } from './page.js';

/**
 * setup wires the scan card. activate starts the first scan; follow shows
 * a running scan and polls it; visible tells whether the card shows.
 */
export function setup(page) {
  var data = page.data, P = page.P, stale = page.stale;
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
        if (!blLoadedDuringScan) { blLoadedDuringScan = true; page.loadBacklog(); }
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
      page.loadBacklog();
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

  return {
    activate: activate,
    follow: function (sc) { showScan(sc); pollStatus(); },
    visible: function () { return !scanCard.hidden; }
  };
}
