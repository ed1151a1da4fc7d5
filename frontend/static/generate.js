/*
 * BacklogAI project page, Generate tab (an ES module): the story drafting
 * form, the run's progress, and the drafts to review, edit, discard and
 * create in Jira.
 *
 * data-testid values:
 *   generate:  generate-form, generate-context, generate-objective, generate-persona, generate-segment,
 *              generate-constraints, generate-metrics, generate-competitors, generate-count, generate-epic,
 *              generate-research, generate-submit, generate-error, generate-unavailable, generate-llm-note,
 *              generate-run, generate-progress, generate-step, generate-run-error, generate-notice,
 *              drafts, drafts-list, drafts-create, drafts-selected, drafts-result, draft (data-draft-id,
 *              data-status), draft-select, draft-title, draft-status, draft-score, draft-quality,
 *              draft-invest, draft-story, draft-criteria, draft-sources, draft-source, draft-created-key,
 *              draft-edit, draft-title-input, draft-story-input, draft-criteria-input, draft-save, draft-cancel,
 *              drafts-created (success box after creating), drafts-created-key (links to the new issues),
 *              drafts-open-all, draft-parent, draft-parent-input, draft-discard, drafts-discard-all, drafts-discarded,
 *              drafts-undo, drafts-empty, drafts-outcome, draft-outcome (one per draft: created or failed with a reason)
 */
import { B, el, $, $$, LETTERS, links, lozenge, qualityText } from './page.js';

/** setup wires the Generate tab; start loads the drafts. */
export function setup(page) {
  var data = page.data, P = page.P, stale = page.stale;
  const { issueLink, searchLink } = links(data.jiraUrl);
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
      setTimeout(function () { loadDrafts(true); if (page.current() === 'backlog') page.loadBacklog(); }, 2500);
    }, function (err) {
      B.busy(draftsCreate, false);
      B.errorBox(draftsResult, err, create);
    });
  });

  return { start: function () { loadDrafts(false); } };
}
