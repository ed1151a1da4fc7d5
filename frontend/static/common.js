/*
 * BacklogAI: helpers shared by the glance and the project page (no framework).
 *
 * Exposes window.BAI:
 *   BAI.api(method, path, body, {signal})  fetch() to /api + path with
 *       "Authorization: JWT <token>"; a fresh token from AP.context.getToken()
 *       for every call. Resolves with the JSON body, rejects with BAI.ApiError
 *       {status, code, message, requestId, unavailable}. unavailable is true
 *       when the route does not exist on this server (404 "Not Found", 405).
 *   BAI.el(tag, attrs, children)            small DOM builder (text is never HTML)
 *   BAI.errorBox(slot, err, retry)          role=alert box with the API's message; a
 *                                           server failure (5xx) or no answer at all adds a
 *                                           "Try again" button (data-testid="error-retry"), and
 *                                           a 5xx its reference; a refusal (4xx) shows only
 *                                           the message, which names the field and the rule
 *   BAI.counter(input, testid)              "12 / 4,000" under an input with maxlength
 *                                           (data-testid="char-counter" unless given)
 *   BAI.markSpan(text, start, end)          split text at UTF-8 byte offsets
 *   BAI.openSheet/closeSheet                in-page dialogs with focus management
 *   BAI.flag, BAI.announce, BAI.navigate, BAI.resize, BAI.debounce, BAI.fmt
 *   BAI.rights(project), BAI.gate(btn, project, action)  the person's rights from
 *                                           /api/projects/:p/permissions; gate disables a
 *                                           write's button beforehand with the reason beside it
 *
 * AP APIs used (the sandbox shim implements exactly these): AP.context.getToken,
 * AP.resize, AP.theming.initializeTheming, AP.flag.create, AP.navigator.go.
 *
 * data-testid set here: error-box, error-retry, error-reference (every error state),
 * ap-script (the <script> loading all.js or the sandbox shim, in the page head),
 * sheet-title (heading of an open in-page dialog), right-reason (why a write is disabled).
 * Links with class "issue-link" and data-issue-key open the issue in Jira
 * through AP.navigator.go('issue', {issueKey}).
 */
(function () {
  'use strict';

  // Outside Jira's theming (before AP.theming.initializeTheming() sets the
  // attribute, or without it), follow the system theme: app.css keeps one
  // set of dark values, under html[data-color-mode="dark"].
  if (typeof document !== 'undefined' && !document.documentElement.hasAttribute('data-color-mode') &&
      window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches) {
    document.documentElement.setAttribute('data-color-mode', 'dark');
  }

  var BAI = {};
  window.BAI = BAI;
  var root = location.pathname.replace(/\/[^/]*$/, '');

  function ap() { return window.AP || null; }

  /** ApiError carries what the API said, safe to show. */
  function ApiError(status, code, message, requestId) {
    this.status = status;
    this.code = code || 'error';
    this.message = message || 'Something went wrong.';
    this.requestId = requestId || '';
    this.unavailable = (status === 404 && message === 'Not Found') || status === 405;
  }
  ApiError.prototype = Object.create(Error.prototype);
  BAI.ApiError = ApiError;

  /** token resolves with a fresh context JWT. */
  BAI.token = function () {
    return new Promise(function (resolve, reject) {
      var a = ap();
      if (!a || !a.context || !a.context.getToken) {
        reject(new ApiError(0, 'no_jira', 'Open this page inside Jira: it could not reach Jira to sign in.'));
        return;
      }
      var done = false;
      var timer = setTimeout(function () {
        if (!done) { done = true; reject(new ApiError(0, 'timeout', 'Jira did not answer in time. Reload the page.')); }
      }, 15000);
      function ok(t) { if (!done && t) { done = true; clearTimeout(timer); resolve(t); } }
      try {
        var p = a.context.getToken(ok);
        if (p && typeof p.then === 'function') p.then(ok, function () {});
      } catch (e) {
        done = true;
        clearTimeout(timer);
        reject(new ApiError(0, 'no_jira', 'Jira could not sign this request. Reload the page.'));
      }
    });
  };

  function forgeHost() { return window.BAIHost && window.BAIHost.kind === 'forge' ? window.BAIHost : null; }

  BAI.api = function (method, path, body, opts) {
    opts = opts || {};
    var fh = forgeHost();
    var sent = fh ? Promise.resolve().then(function () {
      // Forge: the bridge signs the call with a Forge Invocation Token.
      return fh.request(method, path, body, opts.signal);
    }).catch(function (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', 'Could not reach BacklogAI. Check your connection and try again.');
    }) : null;
    return (sent || BAI.token().then(function (tok) {
      var init = {
        method: method,
        headers: { 'Authorization': 'JWT ' + tok, 'Accept': 'application/json' },
        signal: opts.signal,
        credentials: 'omit'
      };
      if (body !== undefined && body !== null) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      return fetch(root + '/api' + path, init).catch(function (e) {
        if (e && e.name === 'AbortError') throw e;
        throw new ApiError(0, 'network', 'Could not reach BacklogAI. Check your connection and try again.');
      });
    })).then(function (res) {
      if (res.status === 204) return null;
      return res.text().then(function (txt) {
        var data;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (!res.ok) {
          var e = (data && data.error) || {};
          throw new ApiError(res.status, e.code, e.message || ('The server answered ' + res.status + '.'), e.requestId);
        }
        return data;
      });
    });
  };

  /** el builds an element. attrs: class, text, on{}, dataset via "data-*", booleans. */
  BAI.el = function (tag, attrs, children) {
    var n = document.createElement(tag);
    attrs = attrs || {};
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') n.textContent = v;
      else if (k === 'on') Object.keys(v).forEach(function (ev) { n.addEventListener(ev, v[ev]); });
      else if (k === 'class') n.className = v;
      else if (k === 'value') n.value = v;
      else if (k === 'checked') n.checked = !!v;
      else n.setAttribute(k, v === true ? '' : String(v));
    });
    append(n, children);
    return n;
  };
  function append(n, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(n, x); }); return; }
    n.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  BAI.clear = function (n) { while (n && n.firstChild) n.removeChild(n.firstChild); return n; };
  BAI.$ = function (sel, ctx) { return (ctx || document).querySelector(sel); };
  BAI.$$ = function (sel, ctx) { return Array.prototype.slice.call((ctx || document).querySelectorAll(sel)); };

  BAI.fmt = function (n) {
    if (n === null || n === undefined || isNaN(n)) return '–';
    return Number(n).toLocaleString('en', { maximumFractionDigits: 1 });
  };

  BAI.debounce = function (fn, ms) {
    var t;
    return function () {
      var args = arguments, self = this;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  };

  var enc = typeof TextEncoder !== 'undefined' ? new TextEncoder() : null;
  var dec = typeof TextDecoder !== 'undefined' ? new TextDecoder() : null;
  /**
   * markSpan splits text at [start, end), offsets in UTF-8 bytes as the API
   * reports them (not UTF-16 code units). Offsets inside a character move
   * outward to its boundaries; out-of-range offsets are clamped.
   */
  BAI.markSpan = function (text, start, end) {
    text = text || '';
    var b = enc.encode(text);
    start = Math.max(0, Math.min(start | 0, b.length));
    end = Math.max(start, Math.min(end | 0, b.length));
    while (start > 0 && (b[start] & 0xC0) === 0x80) start--;
    while (end < b.length && (b[end] & 0xC0) === 0x80) end++;
    return {
      pre: dec.decode(b.subarray(0, start)),
      mark: dec.decode(b.subarray(start, end)),
      post: dec.decode(b.subarray(end))
    };
  };

  /** excerpt renders a finding's span in its text with the words marked. */
  BAI.excerpt = function (texts, span) {
    if (!span) return null;
    var text = texts[span.field] || '';
    var p = BAI.markSpan(text, span.start, span.end);
    var pre = p.pre, post = p.post;
    if (pre.length > 90) pre = '…' + pre.slice(pre.length - 90).replace(/^\S*\s/, '');
    if (post.length > 90) post = post.slice(0, 90).replace(/\s\S*$/, '') + '…';
    return BAI.el('p', { class: 'excerpt', 'data-testid': 'finding-excerpt' }, [
      BAI.el('span', { class: 'visually-hidden', text: 'In the ' + span.field + ': ' }),
      BAI.el('span', { class: 'excerpt-field', 'aria-hidden': 'true', text: span.field }),
      pre, p.mark ? BAI.el('mark', { 'data-testid': 'finding-mark', text: p.mark }) : null, post
    ]);
  };

  /** findingList renders findings (message, marked span, fix). */
  BAI.findingList = function (findings, texts) {
    if (!findings || !findings.length) return BAI.el('p', { class: 'subtle', text: 'No findings.' });
    return BAI.el('ul', { class: 'findings' }, findings.map(function (f) {
      return BAI.el('li', { class: 'finding sev-' + f.severity, 'data-testid': 'finding', 'data-code': f.code }, [
        BAI.el('p', { class: 'finding-msg' }, [BAI.el('span', { class: 'sev', text: f.hint ? 'Hint' : f.severity === 'error' ? 'Error' : f.severity === 'warning' ? 'Warning' : 'Note' }), ' ', f.message]),
        BAI.excerpt(texts, f.span),
        f.fix ? BAI.el('p', { class: 'fix' }, [BAI.el('strong', { text: 'Suggested fix: ' }), f.fix]) : null
      ]);
    }));
  };

  /** diff renders {op, text} segments as ins/del/plain text. */
  BAI.diff = function (ops, testid) {
    return BAI.el('div', { class: 'diff', 'data-testid': testid }, (ops || []).map(function (o) {
      if (o.op === 'insert') return BAI.el('ins', {}, [BAI.el('span', { class: 'visually-hidden', text: '[added] ' }), o.text]);
      if (o.op === 'delete') return BAI.el('del', {}, [BAI.el('span', { class: 'visually-hidden', text: '[removed] ' }), o.text]);
      return o.text;
    }));
  };

  BAI.errorBox = function (slot, err, retry) {
    if (!slot) return;
    BAI.clear(slot);
    if (!err) return;
    var msg = (err && err.message) || 'Something went wrong.';
    // Only a failure on our side (5xx) or no answer at all may go away by
    // trying again; a refusal (4xx) says what to change instead, and is
    // not an outage, so it carries no reference either.
    var status = err && typeof err.status === 'number' ? err.status : -1;
    var serverFault = status >= 500;
    if (!(serverFault || status === 0)) retry = null;
    var box = BAI.el('div', { class: 'error', role: 'alert', 'data-testid': 'error-box', 'data-status': status >= 0 ? String(status) : null }, [
      BAI.el('p', {}, [msg, serverFault && err.requestId ? BAI.el('small', { 'data-testid': 'error-reference', text: ' (reference ' + err.requestId + ')' }) : null]),
      retry ? BAI.el('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'error-retry', text: 'Try again', on: { click: function () { BAI.clear(slot); retry(); } } }) : null
    ]);
    slot.appendChild(box);
    BAI.resize();
  };

  /**
   * counter shows how much of an input's maxlength is used, read by screen
   * readers only near the limit (aria-live on the last 10 %).
   */
  BAI.counter = function (input, testid) {
    var max = Number(input.getAttribute('maxlength')) || 0;
    var id = (input.id || ('in-' + Math.random().toString(36).slice(2, 8))) + '-count';
    var out = BAI.el('p', { class: 'help counter', id: id, 'data-testid': testid || 'char-counter' });
    function update() {
      var n = input.value.length;
      out.textContent = BAI.fmt(n) + ' / ' + BAI.fmt(max) + ' characters';
      var near = max && n >= max * 0.9;
      out.classList.toggle('counter-near', !!near);
      if (near) out.setAttribute('aria-live', 'polite'); else out.removeAttribute('aria-live');
    }
    var d = input.getAttribute('aria-describedby');
    input.setAttribute('aria-describedby', d ? d + ' ' + id : id);
    input.addEventListener('input', update);
    update();
    return out;
  };

  BAI.announce = function (text) {
    var live = document.getElementById('live');
    if (!live) return;
    live.textContent = '';
    setTimeout(function () { live.textContent = text; }, 30);
  };

  BAI.flag = function (title, body, type) {
    var fh = forgeHost();
    if (fh) { fh.flag(title, body, type); BAI.announce(title + (body ? '. ' + body : '')); return; }
    var a = ap();
    if (a && a.flag && a.flag.create) {
      try { a.flag.create({ title: title, body: body || '', type: type || 'success', close: 'auto' }); } catch (e) { /* shown below */ }
    }
    BAI.announce(title + (body ? '. ' + body : ''));
  };

  BAI.navigate = function (key) {
    var fh = forgeHost();
    if (fh) return fh.navigate(key);
    var a = ap();
    if (a && a.navigator && a.navigator.go) { a.navigator.go('issue', { issueKey: key }); return true; }
    return false;
  };

  var resizeQueued = false;
  BAI.resize = function () {
    if (resizeQueued) return;
    resizeQueued = true;
    requestAnimationFrame(function () {
      resizeQueued = false;
      var a = ap();
      if (a && a.resize) { try { a.resize(); } catch (e) { /* outside Jira */ } }
    });
  };

  // BAI.rights(project): the person's rights on the project, asked once
  // per page ({edit, create, split, link, administer: {allowed, reason}});
  // {} when the server cannot tell (the writes still check on their own).
  var rightsOf = {};
  BAI.rights = function (project) {
    if (!rightsOf[project]) {
      rightsOf[project] = BAI.api('GET', '/projects/' + encodeURIComponent(project) + '/permissions')
        .then(function (r) { return (r && r.rights) || {}; }, function () { return {}; });
    }
    return rightsOf[project];
  };
  // BAI.gate(btn, project, action): when the person may not take action,
  // disables btn before any click and shows the reason beside its row
  // (data-testid="right-reason"). Resolves with the reason, or null.
  BAI.gate = function (btn, project, action) {
    return BAI.rights(project).then(function (rs) {
      var r = rs[action];
      if (!btn || !r || r.allowed) return null;
      btn.disabled = true;
      btn.setAttribute('data-denied', 'true');
      var id = 'why-' + action + '-' + (++gateSeq);
      var note = BAI.el('p', { class: 'subtle', id: id, 'data-testid': 'right-reason', text: r.reason || 'You may not do this in this project.' });
      btn.setAttribute('aria-describedby', id);
      (btn.closest('.btn-row') || btn).insertAdjacentElement('afterend', note);
      BAI.resize();
      return r.reason || '';
    });
  };
  var gateSeq = 0;

  BAI.busy = function (btn, on) {
    if (!btn) return;
    btn.disabled = !!on || btn.getAttribute('data-denied') === 'true';
    if (on) btn.setAttribute('aria-busy', 'true'); else btn.removeAttribute('aria-busy');
  };

  /**
   * openSheet shows an in-page dialog below its opener: focus moves to its
   * heading, Escape closes it and focus returns to the opener.
   */
  BAI.openSheet = function (sheet, opener, title, content) {
    BAI.closeSheet(sheet, false);
    BAI.clear(sheet);
    var h = BAI.el('h3', { id: sheet.id + '-title', tabindex: '-1', 'data-testid': 'sheet-title', text: title });
    sheet.setAttribute('role', 'dialog');
    sheet.setAttribute('aria-modal', 'false');
    sheet.setAttribute('aria-labelledby', h.id);
    sheet.appendChild(h);
    append(sheet, content);
    sheet.hidden = false;
    sheet._opener = opener || null;
    if (opener) opener.setAttribute('aria-expanded', 'true');
    sheet._onkey = function (e) { if (e.key === 'Escape') { e.preventDefault(); BAI.closeSheet(sheet, true); } };
    sheet.addEventListener('keydown', sheet._onkey);
    h.focus();
    BAI.resize();
    return sheet;
  };

  BAI.closeSheet = function (sheet, restoreFocus) {
    if (!sheet || sheet.hidden) return;
    sheet.hidden = true;
    if (sheet._onkey) sheet.removeEventListener('keydown', sheet._onkey);
    var opener = sheet._opener;
    if (opener) {
      opener.setAttribute('aria-expanded', 'false');
      if (restoreFocus && document.contains(opener)) opener.focus();
    }
    BAI.clear(sheet);
    BAI.resize();
  };

  /** field builds a labelled input or textarea. */
  BAI.field = function (id, label, input, help) {
    input.id = id;
    var kids = [BAI.el('label', { for: id, text: label }), input];
    if (help) {
      input.setAttribute('aria-describedby', id + '-help');
      kids.push(BAI.el('p', { class: 'help', id: id + '-help', text: help }));
    }
    return BAI.el('div', { class: 'field' }, kids);
  };

  BAI.moscowSlug = function (m) {
    return { Must: 'must', Should: 'should', Could: 'could', "Won't": 'wont', Done: 'done' }[m] || 'none';
  };

  /** init runs fn once the page is ready and AP's theming is on. */
  BAI.init = function (fn) {
    function start() {
      var a = ap();
      if (a && a.theming && a.theming.initializeTheming) {
        try { a.theming.initializeTheming(); } catch (e) { /* keep the fallbacks */ }
      }
      document.addEventListener('click', function (e) {
        var link = e.target.closest && e.target.closest('a.issue-link[data-issue-key]');
        if (link && !e.ctrlKey && !e.metaKey && !e.shiftKey && BAI.navigate(link.getAttribute('data-issue-key'))) e.preventDefault();
      });
      if (typeof ResizeObserver !== 'undefined') new ResizeObserver(BAI.resize).observe(document.body);
      document.addEventListener('toggle', BAI.resize, true);
      fn();
      BAI.resize();
    }
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
    else start();
  };
})();
