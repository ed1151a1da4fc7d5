/*
 * BacklogAI Strategy tab: the framework's field mappings and custom weighted
 * criteria, under the "Score the backlog by" select (#st-framework). Loaded
 * on the project page before the page modules; strategy.js calls it through two hooks:
 *   BAI.criteria.fill(framework)     show a saved framework's mappings and criteria
 *   BAI.criteria.picked(name)        the framework config to preview and save
 * Every edit fires an "input" event on #st-framework, so the preview follows.
 * The site's mappable fields (numbers, selects of numbers) come from
 * GET /api/projects/:project/fields, once, when a framework is first picked.
 *
 * data-testid set here: fw-editor, fw-mapping (the inputs of RICE, WSJF or
 *   ICE), fw-map-select (data-input: one per input or criterion; "" is not
 *   mapped), fw-fields-error, fw-criteria, fw-criterion (one per criterion),
 *   fw-criterion-name, fw-criterion-weight, fw-criterion-remove,
 *   fw-criterion-add, fw-criteria-empty.
 */
(function () {
  'use strict';
  var B = window.BAI;
  if (!B || typeof document === 'undefined') return;
  var el = B.el, $ = B.$;
  var select = $('#st-framework'), dataNode = $('#bai-data');
  if (!select || !dataNode) return;

  var INPUTS = {
    rice: [['reach', 'Reach (people per period)'], ['impact', 'Impact (0.25-3)'], ['confidence', 'Confidence (%)'], ['effort', 'Effort']],
    wsjf: [['businessValue', 'Business value'], ['timeCriticality', 'Time criticality'], ['riskReduction', 'Risk reduction / opportunity'], ['jobSize', 'Job size']],
    ice: [['impact', 'Impact (1-10)'], ['confidence', 'Confidence (1-10)'], ['ease', 'Ease (1-10)']]
  };
  var project = JSON.parse(dataNode.textContent).projectKey;
  // mapping: input → field id of the built-in frameworks; criteria: the
  // custom framework's rows {name, weight, field}.
  var mapping = {}, criteria = [], fields = null, loading = null;

  if (!$('option[value="custom"]', select)) select.appendChild(el('option', { value: 'custom', text: 'Custom weighted criteria' }));
  var box = el('div', { class: 'fw-editor', id: 'fw-editor', 'data-testid': 'fw-editor', 'aria-live': 'polite' });
  var field = select.closest('.field') || select.parentNode;
  field.parentNode.insertBefore(box, field.nextSibling);

  function changed() { select.dispatchEvent(new Event('input', { bubbles: true })); }

  function loadFields() {
    if (fields || loading) return;
    loading = B.api('GET', '/projects/' + encodeURIComponent(project) + '/fields').then(function (res) {
      fields = res.fields || [];
      loading = null;
      render();
    }, function (err) {
      loading = null;
      fields = [];
      render();
      B.errorBox($('[data-testid="fw-fields-error"]', box), err, function () { fields = null; loadFields(); });
    });
  }

  function fieldSelect(input, label, value, onPick) {
    var opts = [el('option', { value: '', text: 'Not mapped: entered in the glance' })];
    var known = false;
    (fields || []).forEach(function (f) {
      known = known || f.id === value;
      opts.push(el('option', { value: f.id, text: f.name + (f.type === 'option' ? ' (select)' : '') }));
    });
    if (value && !known) opts.push(el('option', { value: value, text: value }));
    var s = el('select', { class: 'select', 'data-testid': 'fw-map-select', 'data-input': input, 'aria-label': 'Jira field for ' + label,
      on: { change: function () { onPick(s.value); changed(); } } }, opts);
    s.value = value || '';
    return s;
  }

  function renderMapping(name) {
    var rows = INPUTS[name].map(function (pair) {
      return el('div', { class: 'field fw-map-row' }, [
        el('span', { class: 'fw-input-name', text: pair[1] }),
        fieldSelect(pair[0], pair[1], mapping[pair[0]], function (v) { if (v) mapping[pair[0]] = v; else delete mapping[pair[0]]; })
      ]);
    });
    return el('fieldset', { class: 'fw-mapping', 'data-testid': 'fw-mapping' }, [el('legend', { text: 'Read inputs from Jira fields' })].concat(rows,
      [el('p', { class: 'help', text: 'A mapped field with a value wins over a value entered in the glance; an input without either is derived from the pillars.' })]));
  }

  function renderCriteria() {
    var list = el('ul', { class: 'list-items fw-criteria-list' });
    criteria.forEach(function (c, i) {
      var label = c.name || 'criterion ' + (i + 1);
      var name = el('input', { class: 'input', value: c.name, maxlength: '60', 'aria-label': 'Name of criterion ' + (i + 1), 'data-testid': 'fw-criterion-name',
        on: { input: function () { c.name = name.value.trim(); changed(); } } });
      var weight = el('input', { class: 'input input-narrow', type: 'number', min: '0', max: '100', step: 'any', value: String(c.weight),
        'aria-label': 'Weight of ' + label, 'data-testid': 'fw-criterion-weight',
        on: { input: function () { var n = parseFloat(weight.value); c.weight = isNaN(n) ? 0 : n; changed(); } } });
      var remove = el('button', { type: 'button', class: 'btn btn-subtle btn-sm', text: 'Remove', 'aria-label': 'Remove ' + label, 'data-testid': 'fw-criterion-remove',
        on: { click: function () { criteria.splice(i, 1); render(); changed(); var add = $('[data-testid="fw-criterion-add"]', box); if (add) add.focus(); } } });
      list.appendChild(el('li', { class: 'fw-criterion', 'data-testid': 'fw-criterion' }, [name, weight,
        fieldSelect(c.name, label, c.field, function (v) { c.field = v; }), remove]));
    });
    if (!criteria.length) list.appendChild(el('li', { class: 'subtle', 'data-testid': 'fw-criteria-empty', text: 'No criteria yet: add at least one.' }));
    var add = el('button', { type: 'button', class: 'btn btn-sm', text: 'Add criterion', 'data-testid': 'fw-criterion-add', on: { click: function () {
      criteria.push({ name: 'Criterion ' + (criteria.length + 1), weight: 1, field: '' });
      render();
      changed();
      var names = box.querySelectorAll('[data-testid="fw-criterion-name"]');
      if (names.length) { names[names.length - 1].focus(); names[names.length - 1].select(); }
    } } });
    return el('fieldset', { class: 'fw-criteria', 'data-testid': 'fw-criteria' }, [
      el('legend', { text: 'Weighted criteria' }),
      el('p', { class: 'help', text: 'Each issue is rated 0-10 on every criterion (from its Jira field, entered in the glance, or the pillar of the same name, else 5); the score is 10 × the weighted mean.' }),
      list, el('div', { class: 'btn-row' }, [add])]);
  }

  function render() {
    var name = select.value;
    B.clear(box);
    box.hidden = !INPUTS[name] && name !== 'custom';
    if (box.hidden) return;
    loadFields();
    box.appendChild(name === 'custom' ? renderCriteria() : renderMapping(name));
    box.appendChild(el('div', { class: 'error-slot', 'data-testid': 'fw-fields-error' }));
  }

  select.addEventListener('change', function () {
    if (select.value === 'custom' && !criteria.length) criteria.push({ name: 'User Value', weight: 1, field: '' });
    render();
  });

  B.criteria = {
    fill: function (fw) {
      fw = fw || {};
      var fm = fw.fields || {};
      mapping = {};
      criteria = (fw.criteria || []).map(function (c) { return { name: c.name, weight: c.weight, field: fm[c.name] || '' }; });
      if (fw.name !== 'custom') Object.keys(fm).forEach(function (k) { mapping[k] = fm[k]; });
      render();
    },
    picked: function (name) {
      var out = { name: name }, fm = {};
      if (name === 'custom') {
        out.criteria = criteria.map(function (c) { if (c.field) fm[c.name] = c.field; return { name: c.name, weight: c.weight }; });
      } else if (INPUTS[name]) {
        INPUTS[name].forEach(function (pair) { if (mapping[pair[0]]) fm[pair[0]] = mapping[pair[0]]; });
      }
      if (Object.keys(fm).length) out.fields = fm;
      return out;
    }
  };
})();
