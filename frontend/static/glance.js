/*
 * BacklogAI issue glance. The server renders the analysis into the page;
 * this script adds the actions and refreshes the panel (GET
 * /api/issues/:issue/panel returns the same server-rendered HTML).
 *
 * Stable hooks for browser tests (data-testid):
 *   glance, glance-panel (data-state: inactive | pending | analysed), live
 *   glance-inactive, glance-activate, glance-pending, glance-scan-progress
 *   glance-score-section, glance-score, glance-moscow, glance-moscow-basis (why the class), glance-override-badge, glance-why-now,
 *   glance-why-this, glance-why-us
 *   glance-pillars, glance-pillar (data-pillar), glance-pillar-evidence (details), glance-urgency
 *   glance-invest, invest-letter (data-letter, data-state: pass | warn | fail | na), finding (data-code),
 *   finding-excerpt, finding-mark, finding-hint-note, glance-quality, glance-not-story
 *   glance-duplicates, duplicate (data-key), duplicate-key, duplicate-similarity,
 *   duplicate-link-button, duplicate-confirm, duplicate-cancel, duplicate-linked, duplicates-empty,
 *   duplicate-band, duplicate-done, known-duplicates, known-duplicate (data-key)
 *   glance-estimate, estimate-own, estimate-suggested, estimate-points, estimate-confidence, estimate-none, estimate-neighbours
 *   glance-actions, action-improve, action-split, action-override, glance-sheet, sheet-title
 *   improve: improve-loading, improve-notice, improve-quality, improve-summary-diff,
 *            improve-description-diff, improve-unchanged, improve-summary, improve-description,
 *            improve-apply, improve-cancel
 *   split:   split-loading, split-story (one per story), split-story-summary, split-story-description,
 *            split-story-remove, split-add, split-criteria, split-criterion (data-criterion, a select: story
 *            number or "shared"), split-original (radios: keep | close), split-apply, split-cancel,
 *            split-created, split-open-all, split-shared, split-notice, split-not-possible (a story
 *            with no clean split: an informational note; Split is offered on stories only)
 *   override: override-moscow, override-reason, override-save, override-cancel,
 *            override-current, override-clear
 *   questions: finding-question (data-finding-id), finding-question-text, finding-answer,
 *            improve-questions (in the improve sheet when no change is proposed: no Apply button),
 *            answer-form, answer-input, answer-counter, answer-preview, answer-cancel
 *            (the preview opens the improve sheet with answer-notice: improve-apply applies it)
 *   also:    glance-quality, glance-not-story, finding-hint-note
 *   live:    glance-panel[data-version]; glance-stale (a newer result waits while a dialog is open),
 *            glance-show-new
 *   errors:  error-box, error-retry; glance-error (slot for page-level errors)
 *
 * Live: while the page is visible the glance polls GET /api/issues/:issue/version
 * (and checks at once on Jira's ISSUE_CHANGED event) and re-renders when the
 * stored analysis changed. After an apply it calls AP.jira.refreshIssuePage().
 */
(function () {
  'use strict';
  var B = window.BAI, el = B.el;

  B.init(function () {
    var body = document.body;
    var issue = body.getAttribute('data-issue-key');
    var project = body.getAttribute('data-project-key');
    var panel = document.getElementById('glance-panel');
    var pageError = document.getElementById('glance-error');
    var pollTimer = null, pollStarted = 0;
    var liveTimer = null, liveBusy = false, staleSlot = null;
    var LIVE_MS = 1500;

    function state() { return panel.getAttribute('data-state'); }
    function sheet() { return document.getElementById('sheet'); }
    /** refresh re-renders the panel; focusAction names the button to focus after. */
    function refresh(focusAction) {
      return B.api('GET', '/issues/' + encodeURIComponent(issue) + '/panel').then(function (res) {
        B.errorBox(pageError, null);
        panel.innerHTML = res.html; // server-rendered by html/template
        panel.setAttribute('data-state', res.state);
        panel.setAttribute('data-version', res.version || '');
        showStale(false);
        if (focusAction) {
          var b = B.$('[data-action="' + focusAction + '"]', panel) || B.$('h2', panel);
          if (b) { if (!b.hasAttribute('tabindex') && b.tagName === 'H2') b.setAttribute('tabindex', '-1'); b.focus(); }
        }
        schedulePoll();
        B.resize();
        return res;
      }, function (err) {
        B.errorBox(pageError, err, function () { refresh(focusAction); });
        throw err;
      });
    }

    /** While the issue waits for its analysis, the panel refreshes itself. */
    function schedulePoll() {
      clearTimeout(pollTimer);
      var st = state();
      if (st === 'analysed') { pollStarted = 0; return; }
      if (st === 'inactive' && !pollStarted) return;
      if (!pollStarted) pollStarted = Date.now();
      if (Date.now() - pollStarted > 15 * 60 * 1000) return;
      var running = !!B.$('[data-scan-state="running"]', panel);
      pollTimer = setTimeout(function () { refresh().catch(function () {}); }, running ? 2000 : 5000);
    }

    /** busyEditing: a dialog or an answer is open, which a re-render would destroy. */
    function busyEditing() {
      var sh = sheet();
      if (sh && !sh.hidden) return true;
      return B.$$('[data-testid="answer-form"]', panel).length > 0;
    }

    function showStale(on) {
      if (!on) { if (staleSlot) { staleSlot.remove(); staleSlot = null; B.resize(); } return; }
      if (staleSlot) return;
      staleSlot = el('div', { class: 'note', role: 'status', 'data-testid': 'glance-stale' }, [
        el('p', { text: 'The issue changed: a new analysis is ready.' }),
        el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'glance-show-new', text: 'Show the new result',
          on: { click: function () { B.closeSheet(sheet(), false); refresh().catch(function () {}); } } })
      ]);
      panel.parentNode.insertBefore(staleSlot, panel);
      B.resize();
    }

    /** checkVersion re-renders the panel when the stored analysis is newer than the one shown. */
    function checkVersion() {
      if (liveBusy) return Promise.resolve();
      liveBusy = true;
      return B.api('GET', '/issues/' + encodeURIComponent(issue) + '/version').then(function (res) {
        var v = (res && res.version) || '';
        if (!v || v === panel.getAttribute('data-version')) return;
        if (busyEditing()) { showStale(true); return; }
        var keep = viewState();
        return refresh().then(function () {
          restoreView(keep);
          B.announce('The BacklogAI analysis of ' + issue + ' was updated.');
        });
      }).catch(function () { /* the next tick tries again */ }).then(function () { liveBusy = false; });
    }

    /** viewState notes what a live re-render must keep: open details and the focused control. */
    function viewState() {
      var open = B.$$('details[open]', panel).map(function (d) {
        var li = d.closest('[data-pillar]');
        return li ? '[data-pillar="' + li.getAttribute('data-pillar') + '"] details' : '[data-testid="' + d.getAttribute('data-testid') + '"]';
      });
      var a = document.activeElement, focus = null;
      if (a && a !== document.body && panel.contains(a)) {
        var li2 = a.closest('[data-pillar]');
        if (a.getAttribute('data-action')) focus = '[data-action="' + a.getAttribute('data-action') + '"]' +
          (a.getAttribute('data-finding-id') ? '[data-finding-id="' + a.getAttribute('data-finding-id') + '"]' : '') +
          (a.getAttribute('data-other') ? '[data-other="' + a.getAttribute('data-other') + '"]' : '');
        else if (li2) focus = '[data-pillar="' + li2.getAttribute('data-pillar') + '"] summary';
        else focus = 'h2';
      }
      return { open: open, focus: focus };
    }
    function restoreView(v) {
      v.open.forEach(function (sel) { try { var d = B.$(sel, panel); if (d) d.open = true; } catch (e) { /* a stale selector */ } });
      if (v.focus) {
        var n;
        try { n = B.$(v.focus, panel); } catch (e) { n = null; }
        n = n || B.$('h2', panel);
        if (n) { if (n.tagName === 'H2' && !n.hasAttribute('tabindex')) n.setAttribute('tabindex', '-1'); n.focus(); }
      }
      B.resize();
    }

    function scheduleLive() {
      clearTimeout(liveTimer);
      if (document.visibilityState === 'hidden') return;
      liveTimer = setTimeout(function () { checkVersion().then(scheduleLive); }, LIVE_MS);
    }
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible') checkVersion().then(scheduleLive);
      else clearTimeout(liveTimer);
    });
    if (window.AP && AP.events && AP.events.on) {
      try { AP.events.on('ISSUE_CHANGED', function () { checkVersion(); }); } catch (e) { /* polling covers it */ }
    }

    /** refreshJira asks Jira to show the issue's new text (its own view, not the glance). */
    function refreshJira() {
      var a = window.AP;
      if (a && a.jira && a.jira.refreshIssuePage) {
        try { a.jira.refreshIssuePage(); } catch (e) { /* not on an issue page */ }
      }
    }

    // Clarifying questions: answered inline, previewed as an improvement.
    function answer(btn) {
      var holder = btn.parentNode;
      var open = B.$('[data-testid="answer-form"]', holder);
      if (open) { open.remove(); btn.setAttribute('aria-expanded', 'false'); btn.focus(); B.resize(); return; }
      var id = 'answer-' + Math.random().toString(36).slice(2, 8);
      var input = el('input', { class: 'input', maxlength: '1000', 'data-testid': 'answer-input', placeholder: btn.getAttribute('data-placeholder') || '' });
      var slot = el('div');
      var preview = el('button', { type: 'submit', class: 'btn btn-primary btn-sm', 'data-testid': 'answer-preview', text: 'Preview the change' });
      var cancel = el('button', { type: 'button', class: 'btn btn-subtle btn-sm', 'data-testid': 'answer-cancel', text: 'Cancel' });
      var form = el('form', { class: 'answer-form', novalidate: true, 'data-testid': 'answer-form' }, [
        B.field(id, 'Your answer', input),
        B.counter(input, 'answer-counter'), slot, el('div', { class: 'btn-row' }, [preview, cancel])
      ]);
      // The question above is the input's description (not repeated as its label).
      input.setAttribute('aria-describedby', 'q-' + btn.getAttribute('data-finding-id') + ' ' + input.getAttribute('aria-describedby'));
      holder.appendChild(form);
      btn.setAttribute('aria-expanded', 'true');
      input.focus();
      B.resize();
      cancel.addEventListener('click', function () { form.remove(); btn.setAttribute('aria-expanded', 'false'); btn.focus(); B.resize(); });
      form.addEventListener('keydown', function (e) { if (e.key === 'Escape') cancel.click(); });
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (!input.value.trim()) {
          input.setAttribute('aria-invalid', 'true');
          B.errorBox(slot, { message: 'Answer: write an answer first.' });
          input.focus();
          return;
        }
        input.removeAttribute('aria-invalid');
        B.busy(preview, true);
        B.api('POST', '/issues/' + encodeURIComponent(issue) + '/answer', { findingId: btn.getAttribute('data-finding-id'), answer: input.value }).then(function (res) {
          B.busy(preview, false);
          var sh = sheet();
          B.openSheet(sh, btn, 'Apply your answer', []);
          showImprovement(sh, btn, res, true);
          sh.scrollIntoView({ block: 'nearest' });
        }, function (err) {
          B.busy(preview, false);
          if (err.code === 'finding_gone') {
            // The panel is re-rendered with the current findings: say why above it.
            refresh().then(function () { B.errorBox(pageError, err); }, function () {});
            return;
          }
          B.errorBox(slot, err, function () { form.requestSubmit(); });
        });
      });
    }

    function activate(btn) {
      B.busy(btn, true);
      B.api('POST', '/projects/' + encodeURIComponent(project) + '/activate').then(function () {
        B.announce('BacklogAI is analysing ' + project + '.');
        pollStarted = Date.now();
        return refresh();
      }).catch(function (err) {
        B.busy(btn, false);
        B.errorBox(pageError, err, function () { activate(btn); });
      });
    }

    // Duplicates: confirm in place, then link.
    function confirmLink(btn) {
      var other = btn.getAttribute('data-other');
      var holder = btn.parentNode;
      var box = el('div', { class: 'note', role: 'group', 'aria-label': 'Confirm duplicate link' }, [
        el('p', { text: 'Link ' + issue + ' as a duplicate of ' + other + '? This adds a "Duplicate" link in Jira.' })
      ]);
      var slot = el('div');
      var yes = el('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': 'duplicate-confirm', text: 'Link as duplicate' });
      var no = el('button', { type: 'button', class: 'btn btn-subtle btn-sm', 'data-testid': 'duplicate-cancel', text: 'Cancel' });
      box.appendChild(el('div', { class: 'btn-row' }, [yes, no]));
      box.appendChild(slot);
      btn.hidden = true;
      holder.appendChild(box);
      yes.focus();
      B.resize();
      B.gate(yes, project, 'link').then(function (why) { if (why !== null) no.focus(); });
      no.addEventListener('click', function () { box.remove(); btn.hidden = false; btn.focus(); B.resize(); });
      function go() {
        B.busy(yes, true);
        B.api('POST', '/issues/' + encodeURIComponent(issue) + '/link-duplicate', { other: other }).then(function (res) {
          B.flag('Linked as duplicate', issue + ' duplicates ' + other + '.');
          // Re-analysed on the server: show the new findings and class.
          if (res && res.refreshed) return refresh().catch(function () { /* the error box says it */ });
          box.remove();
          btn.replaceWith(el('span', { class: 'lozenge', 'data-testid': 'duplicate-linked', tabindex: '-1', text: 'Linked as duplicate' }));
          var l = B.$('[data-testid="duplicate-linked"]', holder);
          if (l) l.focus();
          B.resize();
        }, function (err) {
          B.busy(yes, false);
          B.errorBox(slot, err, go);
        });
      }
      yes.addEventListener('click', go);
      box.addEventListener('keydown', function (e) { if (e.key === 'Escape') no.click(); });
    }

    // Improve with AI: diff, optional edit, apply on confirm.
    function improve(btn) {
      var sh = sheet();
      var status = el('p', { class: 'subtle', role: 'status', 'aria-live': 'polite', 'data-testid': 'improve-loading', text: 'Writing an improved version…' });
      var slot = el('div');
      B.openSheet(sh, btn, 'Improve with AI', [status, slot]);
      function run() {
        status.hidden = false;
        B.api('POST', '/issues/' + encodeURIComponent(issue) + '/improve').then(function (res) {
          status.hidden = true;
          showImprovement(sh, btn, res);
        }, function (err) {
          status.hidden = true;
          if (err.unavailable) err.message = 'Improve with AI is not available on this server yet.';
          B.errorBox(slot, err, err.unavailable ? null : run);
        });
      }
      run();
    }

    function unchanged(diff) {
      var ops = ((diff && diff.summary) || []).concat((diff && diff.description) || []);
      return ops.every(function (o) { return o.op === 'equal'; });
    }

    function showImprovement(sh, btn, res, answered) {
      var sumInput = el('input', { class: 'input', value: res.summary || '', maxlength: '255', 'data-testid': 'improve-summary' });
      var descInput = el('textarea', { class: 'input', rows: '8', maxlength: '30000', 'data-testid': 'improve-description' });
      descInput.value = res.description || '';
      var before = (res.before && res.before.quality), after = (res.after && res.after.quality);
      // Nothing to apply: the panel's clarifying questions take the Apply button's place.
      var questions = !answered && unchanged(res.diff) ? B.$$('[data-testid="finding-question"] [data-action="answer"]', panel).map(function (b) {
        return { id: b.getAttribute('data-finding-id'), text: b.getAttribute('data-question'), placeholder: b.getAttribute('data-placeholder') };
      }) : [];
      // what stays open after the proposal (or now, when nothing is proposed)
      var left = ((res.after && res.after.findings && res.after.findings.length ? res.after : res.before) || {}).findings;
      left = left ? left.length : 0;
      var noop = unchanged(res.diff);
      var err = el('div');
      var apply = el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'improve-apply', text: 'Apply to ' + issue });
      var cancel = el('button', { type: 'button', class: 'btn btn-subtle', 'data-testid': 'improve-cancel', text: 'Cancel', on: { click: function () { B.closeSheet(sh, true); } } });
      var form = el('form', { novalidate: true }, [
        answered ? el('p', { class: 'note', 'data-testid': 'answer-notice', text: res.mode === 'llm'
          ? 'Your answer, worked into the text by the AI model. Review the change before applying it.'
          : 'Your answer, put into the text by a fixed rule. Review the change before applying it.' }) : null,
        !answered && res.mode && res.mode !== 'llm' ? el('p', { class: 'note', 'data-testid': 'improve-notice', text: 'No AI model is configured: this proposal was written by BacklogAI\'s rules from the findings.' }) : null,
        unchanged(res.diff) ? (questions.length
          ? el('div', { class: 'note', 'data-testid': 'improve-unchanged' }, [
            el('p', { text: 'No change proposed: ' + Math.max(left, questions.length) + (Math.max(left, questions.length) === 1 ? ' finding needs' : ' findings need') + ' your answer. Answer a question to see the change it makes.' }),
            el('ul', { class: 'questions', 'data-testid': 'improve-questions' }, questions.map(function (q) {
              return el('li', { class: 'question' }, [el('p', { text: q.text }),
                el('button', { type: 'button', class: 'btn btn-subtle btn-sm', 'data-action': 'answer', 'data-finding-id': q.id, 'data-question': q.text,
                  'data-placeholder': q.placeholder, 'aria-expanded': 'false', 'aria-label': 'Answer: ' + q.text, 'data-testid': 'finding-answer', text: 'Answer' })]);
            }))])
          : el('p', { class: 'note', 'data-testid': 'improve-unchanged', text: left
            ? 'No change proposed: ' + left + (left === 1 ? ' finding needs' : ' findings need') + ' your answer or edit; the rules cannot fix ' + (left === 1 ? 'it' : 'them') + ' from the text alone.'
            : 'No change proposed: the checks found nothing to improve in the summary or description.' })) : null,
        before !== undefined ? el('p', { class: 'quality-change', 'data-testid': 'improve-quality' }, ['Quality ', el('strong', { text: String(before) }), ' → ', el('strong', { text: String(after) })]) : null,
        el('h4', { class: 'h-xs', text: 'Summary' }), B.diff(res.diff && res.diff.summary, 'improve-summary-diff'),
        el('h4', { class: 'h-xs', text: 'Description' }), B.diff(res.diff && res.diff.description, 'improve-description-diff'),
        res.after && res.after.findings && res.after.findings.length ? el('details', { class: 'fold' }, [
          el('summary', { text: 'Findings left after the change (' + res.after.findings.length + ')' }),
          B.findingList(res.after.findings, { summary: res.summary, description: res.description })
        ]) : null,
        el('details', { class: 'fold' }, [el('summary', { text: 'Edit before applying' }),
          B.field('improve-summary-input', 'Summary', sumInput), B.counter(sumInput),
          B.field('improve-description-input', 'Description', descInput), B.counter(descInput)]),
        err,
        // nothing proposed, nothing to apply (an edit below brings Apply back)
        el('div', { class: 'btn-row' }, [questions.length ? null : apply, cancel])
      ]);
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (questions.length) return;
        if (noop && sumInput.value === (res.summary || '') && descInput.value === (res.description || '')) return;
        if (!sumInput.value.trim()) { sumInput.setAttribute('aria-invalid', 'true'); B.errorBox(err, { message: 'The summary cannot be empty.' }); sumInput.focus(); return; }
        B.busy(apply, true);
        B.api('POST', '/issues/' + encodeURIComponent(issue) + '/improve/apply', { summary: sumInput.value, description: descInput.value }).then(function (out) {
          B.closeSheet(sh, false);
          if (out && out.updated === false) { B.flag('Nothing to apply', out.message || 'The text is the same as the issue\'s.'); return; }
          B.$$('[data-testid="answer-form"]', panel).forEach(function (f) { f.remove(); });
          B.flag(issue + ' updated', 'BacklogAI is checking the new version.');
          refreshJira();
          checkVersion();
        }, function (e2) {
          B.busy(apply, false);
          B.errorBox(err, e2, function () { form.requestSubmit(); });
        });
      });
      B.gate(apply, project, 'edit');
      if (noop) {
        // Apply appears only once the person edits the text.
        var edited = function () { apply.hidden = sumInput.value === (res.summary || '') && descInput.value === (res.description || ''); };
        edited();
        sumInput.addEventListener('input', edited);
        descInput.addEventListener('input', edited);
      }
      sh.appendChild(form);
      B.resize();
    }

    // Split: 2-5 editable stories, created on confirm.
    function split(btn) {
      var sh = sheet();
      var status = el('p', { class: 'subtle', role: 'status', 'aria-live': 'polite', 'data-testid': 'split-loading', text: 'Proposing smaller stories…' });
      var slot = el('div');
      B.openSheet(sh, btn, 'Split story', [status, slot]);
      function run() {
        status.hidden = false;
        B.api('POST', '/issues/' + encodeURIComponent(issue) + '/split').then(function (res) {
          status.hidden = true;
          showSplit(sh, btn, res);
        }, function (err) {
          status.hidden = true;
          if (err.code === 'not_splittable') {
            // an answer, not a failure: a plain note, nothing to retry
            slot.appendChild(el('p', { class: 'note', role: 'status', 'data-testid': 'split-not-possible', text: err.message }));
            B.resize();
            return;
          }
          if (err.unavailable) err.message = 'Splitting stories is not available on this server yet.';
          B.errorBox(slot, err, err.unavailable ? null : run);
        });
      }
      run();
    }

    function showSplit(sh, btn, res) {
      var list = el('div');
      var err = el('div');
      var add = el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'split-add', text: 'Add a story' });
      var apply = el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'split-apply' });
      var cancel = el('button', { type: 'button', class: 'btn btn-subtle', 'data-testid': 'split-cancel', text: 'Cancel', on: { click: function () { B.closeSheet(sh, true); } } });
      var n = 0;
      function card(s) {
        n++;
        var i = n;
        var sum = el('input', { class: 'input', value: s.summary || '', 'data-testid': 'split-story-summary' });
        var desc = el('textarea', { class: 'input', rows: '4', 'data-testid': 'split-story-description' });
        desc.value = s.description || '';
        var c = el('fieldset', { class: 'story-card', 'data-testid': 'split-story' }, [
          el('legend', { text: 'Story ' + i }),
          s.quality !== undefined ? el('p', { class: 'subtle', text: 'Quality ' + s.quality + '/100' + (s.findings && s.findings.length ? ' · ' + s.findings.length + ' findings' : '') }) : null,
          B.field('split-sum-' + i, 'Summary', sum), B.field('split-desc-' + i, 'Description', desc),
          el('button', { type: 'button', class: 'btn btn-subtle btn-sm', 'data-testid': 'split-story-remove', 'aria-label': 'Remove story ' + i, text: 'Remove',
            on: { click: function () { c.remove(); update(); var f = B.$('input', list); if (f) f.focus(); } } })
        ]);
        list.appendChild(c);
      }
      // Each criterion of the original goes to one story, or to all as
      // shared: preselected where the proposal put it.
      var crits = res.criteria || [];
      function norm(t) { return ' ' + String(t).toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim() + ' '; }
      var critBox = el('fieldset', { class: 'story-card', 'data-testid': 'split-criteria' }, [
        el('legend', { text: 'Acceptance criteria of ' + issue }),
        el('p', { class: 'help', text: 'Each criterion goes to one story, or to every story as shared; none is dropped.' })]);
      var critSelects = crits.map(function (c, i) {
        var sel = el('select', { class: 'input', id: 'split-crit-' + i, 'data-testid': 'split-criterion', 'data-criterion': c });
        critBox.appendChild(el('div', { class: 'field' }, [el('label', { for: 'split-crit-' + i, text: c }), sel]));
        return sel;
      });
      function fillCriteria(initial) {
        var cards = B.$$('[data-testid="split-story"]', list);
        critSelects.forEach(function (sel, i) {
          var want = sel.value;
          if (initial) {
            var at = cards.findIndex(function (c) { return norm(B.$('[data-testid="split-story-description"]', c).value).indexOf(norm(crits[i])) >= 0; });
            want = at >= 0 ? String(at) : 'shared';
          }
          B.clear(sel);
          cards.forEach(function (c, k) { sel.appendChild(el('option', { value: String(k), text: 'Story ' + (k + 1) + ': ' + (B.$('[data-testid="split-story-summary"]', c).value || '…').slice(0, 60) })); });
          sel.appendChild(el('option', { value: 'shared', text: 'Shared by all stories' }));
          sel.value = want !== 'shared' && Number(want) >= cards.length ? 'shared' : want;
        });
      }
      // The descriptions as sent: a criterion only in its story's text
      // (shared ones in none: the server adds them to all).
      function assign(stories) {
        critSelects.forEach(function (sel, i) {
          var c = crits[i];
          stories.forEach(function (st, k) {
            if (sel.value === String(k)) {
              if (norm(st.description).indexOf(norm(c)) < 0) st.description = st.description.replace(/\s*$/, '') + '\n- ' + c;
              return;
            }
            st.description = st.description.split('\n').filter(function (l) { return norm(l) !== norm(c); }).join('\n');
          });
        });
        return stories;
      }
      function update() {
        var cards = B.$$('[data-testid="split-story"]', list);
        fillCriteria(false);
        apply.textContent = 'Create ' + cards.length + ' stories';
        add.disabled = cards.length >= 5;
        B.$$('[data-testid="split-story-remove"]', list).forEach(function (b) { b.disabled = cards.length <= 2; });
        B.resize();
      }
      (res.stories || []).slice(0, 5).forEach(card);
      add.addEventListener('click', function () { card({}); update(); var inputs = B.$$('[data-testid="split-story-summary"]', list); inputs[inputs.length - 1].focus(); });
      // What becomes of the original: an umbrella that stays open, or
      // closed as split.
      function choice(value, label, checked) {
        return el('label', { class: 'inline-field' }, [
          el('input', { type: 'radio', name: 'split-original', value: value, checked: checked, 'data-testid': 'split-original-' + value }), ' ' + label]);
      }
      var original = el('fieldset', { class: 'story-card', 'data-testid': 'split-original' }, [
        el('legend', { text: 'The original ' + issue }),
        choice('keep', 'Keep ' + issue + ' open as an umbrella for the new stories', true),
        choice('close', 'Close ' + issue + ' as split (moves it to Done with a comment)', false)]);
      var form = el('form', { novalidate: true }, [
        res.mode && res.mode !== 'llm' ? el('p', { class: 'note', text: 'No AI model is configured: the split follows the story\'s conjunctions and acceptance criteria.' }) : null,
        el('p', { class: 'help', text: 'Edit the proposed stories; they are created in the same epic with the labels, components, priority, fix versions and due date of ' + issue +
          ', and linked to it. An acceptance criterion of ' + issue + ' that no story keeps is added to every story as shared, so none is lost.' }),
        list, el('div', { class: 'btn-row' }, [add]), crits.length ? critBox : null, original, err, el('div', { class: 'btn-row' }, [apply, cancel])
      ]);
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var stories = assign(B.$$('[data-testid="split-story"]', list).map(function (c) {
          return { summary: B.$('[data-testid="split-story-summary"]', c).value.trim(), description: B.$('[data-testid="split-story-description"]', c).value };
        }));
        var empty = stories.findIndex(function (s) { return !s.summary; });
        if (empty >= 0) { B.errorBox(err, { message: 'Story ' + (empty + 1) + ' needs a summary.' }); return; }
        if (stories.length < 2 || stories.length > 5) { B.errorBox(err, { message: 'A split needs 2 to 5 stories.' }); return; }
        B.busy(apply, true);
        var keep = B.$('input[name="split-original"]:checked', form);
        B.api('POST', '/issues/' + encodeURIComponent(issue) + '/split/apply', { stories: stories, original: keep ? keep.value : 'keep' }).then(function (out) {
          var created = (out && out.created) || [];
          var keys = created.map(function (c) { return c.key; });
          // Jira's issue search for the new stories, from the site URL the
          // server gave for each (…/browse/KEY).
          var site = created.length && created[0].url ? created[0].url.replace(/\/browse\/[^/]+$/, '') : '';
          var all = site && keys.length > 1 ? el('a', { class: 'btn btn-sm', target: '_top', 'data-testid': 'split-open-all', text: 'Open ' + keys.length + ' in Jira',
            href: site + '/issues/?jql=' + encodeURIComponent('key in (' + keys.join(', ') + ') ORDER BY key ASC') }) : null;
          B.clear(form);
          form.appendChild(el('div', { class: 'success', role: 'status', tabindex: '-1', 'data-testid': 'split-created' }, [
            'Created ', keys.length ? keys.map(function (k, i) {
              return [i ? ', ' : '', el('a', { class: 'issue-link', href: '#', 'data-issue-key': k, text: k })];
            }) : 'the stories', '. ', out.closed ? issue + ' was closed as split.' : issue + ' stays open as an umbrella.', ' ', all
          ]));
          if (out.shared && out.shared.length) {
            form.appendChild(el('div', { class: 'note', 'data-testid': 'split-shared' }, [
              el('p', { text: 'These acceptance criteria were in no story, so each story got them as shared:' }),
              el('ul', { class: 'bullets' }, out.shared.map(function (c) { return el('li', { text: '• ' + c }); }))]));
          }
          if (out.notice) form.appendChild(el('p', { class: 'text-danger', 'data-testid': 'split-notice', text: out.notice }));
          B.$('[data-testid="split-created"]', form).focus();
          B.flag('Created ' + keys.length + ' stories', keys.join(', '));
          B.resize();
        }, function (e2) {
          B.busy(apply, false);
          B.errorBox(err, e2, function () { form.requestSubmit(); });
        });
      });
      sh.appendChild(form);
      fillCriteria(true);
      update();
      B.gate(apply, project, 'split');
    }

    // Override priority: MoSCoW and a required reason.
    function override(btn) {
      var sh = sheet();
      var current = B.$('[data-testid="glance-moscow"]', panel);
      var sel = el('select', { class: 'select', 'data-testid': 'override-moscow' }, ['Must', 'Should', 'Could', "Won't"].map(function (m) {
        return el('option', { value: m, text: m, selected: current && current.textContent.trim() === m });
      }));
      var reason = el('textarea', { class: 'input', rows: '3', required: true, maxlength: '2000', 'data-testid': 'override-reason' });
      var err = el('div');
      var save = el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'override-save', text: 'Save override' });
      var form = el('form', { novalidate: true }, [
        B.field('ov-moscow', 'MoSCoW class', sel),
        B.field('ov-reason', 'Reason', reason, 'Required. Kept with the override until someone clears it.'), B.counter(reason),
        err,
        el('div', { class: 'btn-row' }, [save, el('button', { type: 'button', class: 'btn btn-subtle', 'data-testid': 'override-cancel', text: 'Cancel', on: { click: function () { B.closeSheet(sh, true); } } })])
      ]);
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (!reason.value.trim()) {
          reason.setAttribute('aria-invalid', 'true');
          B.errorBox(err, { message: 'Give a reason: it is shown with the override.' });
          reason.focus();
          return;
        }
        B.busy(save, true);
        B.api('PUT', '/issues/' + encodeURIComponent(issue) + '/override', { moscow: sel.value, reason: reason.value.trim() }).then(function () {
          B.closeSheet(sh, false);
          B.flag('Priority overridden', issue + ' is now ' + sel.value + '.');
          return refresh('override');
        }, function (e2) {
          B.busy(save, false);
          B.errorBox(err, e2, function () { form.requestSubmit(); });
        });
      });
      B.openSheet(sh, btn, 'Override priority', form);
      sel.focus();
    }

    function clearOverride(btn) {
      B.busy(btn, true);
      B.api('DELETE', '/issues/' + encodeURIComponent(issue) + '/override').then(function () {
        B.flag('Override cleared', issue + ' uses its computed class again.');
        return refresh('override');
      }, function (err) {
        B.busy(btn, false);
        B.errorBox(pageError, err, function () { clearOverride(btn); });
      });
    }

    var actions = {
      'activate': activate,
      'link-duplicate': confirmLink,
      'improve': improve,
      'answer': answer,
      'split': split,
      'override': override,
      'clear-override': clearOverride
    };
    document.getElementById('glance').addEventListener('click', function (e) {
      var btn = e.target.closest('button[data-action]');
      if (!btn || btn.disabled) return;
      var fn = actions[btn.getAttribute('data-action')];
      if (!fn) return;
      e.preventDefault();
      var sh = sheet();
      if (sh && !sh.hidden && sh._opener === btn) { B.closeSheet(sh, true); return; }
      fn(btn);
    });
    schedulePoll();
    scheduleLive();
  });
})();
