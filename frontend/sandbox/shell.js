// The /sandbox shell: plays Jira's host side of the Connect JavaScript API
// for the app's iframes (see ap-shim.js for the protocol), or Forge's side
// of @forge/bridge for the Custom UI frames (data-host="forge"; see
// forge-bridge-shim.js), switches the
// theme, shows flags, opens the issue glance and edits an issue's summary
// through the emulated Jira so that its webhook re-scores the issue.
(function () {
  'use strict';

  var THEME_KEY = 'backlogai-sandbox-theme';
  var TOKEN_MARGIN_MS = 60 * 1000;
  var GLANCE_URL_TTL_MS = 14 * 60 * 1000; // signed iframe URLs live 15 minutes
  var loadedAt = Date.now();
  var frames = []; // {el, module, context, themed}
  var tokens = {}; // context key -> {token, exp}
  var flagSeq = 0;

  // --- theme -------------------------------------------------------------
  function currentTheme() {
    return document.documentElement.getAttribute('data-color-mode') === 'dark' ? 'dark' : 'light';
  }

  function setTheme(mode) {
    document.documentElement.setAttribute('data-color-mode', mode);
    try { localStorage.setItem(THEME_KEY, mode); } catch (e) { /* private mode */ }
    var btn = document.getElementById('theme-toggle');
    if (btn) btn.setAttribute('aria-pressed', mode === 'dark' ? 'true' : 'false');
    frames.forEach(function (f) {
      if (f.themed) send(f, { type: 'theme', mode: mode });
    });
  }

  // --- frames ------------------------------------------------------------
  function register(el) {
    var ctx = {};
    try { ctx = JSON.parse(el.getAttribute('data-context') || '{}'); } catch (e) { ctx = {}; }
    var f = { el: el, module: el.getAttribute('data-module'), context: ctx, themed: false, fill: false,
      forge: el.getAttribute('data-host') === 'forge' };
    frames.push(f);
    return f;
  }

  function frameFor(source) {
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].el.contentWindow === source) return frames[i];
    }
    return null;
  }

  function send(f, msg) {
    if (!f.el.contentWindow) return;
    msg.bai = f.forge ? 'forge-host' : 'ap-host';
    f.el.contentWindow.postMessage(msg, location.origin);
  }

  function reply(f, id, result, error) {
    send(f, { type: 'response', id: id, result: result, error: error || null });
  }

  function emit(f, name, data) {
    send(f, { type: 'event', name: name, data: data });
  }

  // --- host services -----------------------------------------------------
  function contextKey(ctx) {
    var j = (ctx && ctx.jira) || {};
    return ((j.project && j.project.key) || '') + '|' + ((j.issue && j.issue.key) || '');
  }

  function getToken(ctx) {
    var key = contextKey(ctx);
    var cached = tokens[key];
    if (cached && cached.exp - Date.now() > TOKEN_MARGIN_MS) return Promise.resolve(cached.token);
    var j = (ctx && ctx.jira) || {};
    var q = new URLSearchParams();
    if (j.project && j.project.key) q.set('project', j.project.key);
    if (j.issue && j.issue.key) q.set('issue', j.issue.key);
    return fetch('/sandbox/api/context-token?' + q.toString(), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + r.status));
          return body;
        });
      })
      .then(function (body) {
        tokens[key] = { token: body.token, exp: Date.parse(body.expiresAt) || (Date.now() + 10 * 60 * 1000) };
        return body.token;
      });
  }

  function availableHeight(el) {
    var top = el.getBoundingClientRect().top + window.scrollY;
    return Math.max(320, window.innerHeight - Math.min(top, window.innerHeight / 2) - 16);
  }

  function resize(f, height) {
    var h = Math.ceil(Number(height) || 0);
    if (!h) return;
    if (f.module === 'project') {
      // A project page fills the content area and grows with its content,
      // so short loading states never make the page jump.
      h = Math.max(h, availableHeight(f.el));
    }
    f.el.style.height = h + 'px';
  }

  function sizeToParent(f) {
    f.fill = true;
    f.el.style.height = availableHeight(f.el) + 'px';
  }

  window.addEventListener('resize', function () {
    frames.forEach(function (f) { if (f.fill) sizeToParent(f); });
  });

  function navigate(target, ctx) {
    if (target === 'issue' && ctx && ctx.issueKey) {
      location.href = '/sandbox/issue/' + encodeURIComponent(ctx.issueKey) + '?glance=open';
      return true;
    }
    if ((target === 'addonmodule' || target === 'projectAdminTabPanel' || target === 'site') && document.body.dataset.project) {
      location.href = '/sandbox?project=' + encodeURIComponent(document.body.dataset.project);
      return true;
    }
    return false;
  }

  // Flags: AP.flag.create({title, body, type, close}). Bodies are shown as
  // text: the sandbox never injects a frame's HTML into the host page.
  function showFlag(f, opts) {
    var box = document.getElementById('flags');
    if (!box) return null;
    var id = opts.id || ('flag-' + (++flagSeq));
    var type = ['info', 'success', 'warning', 'error'].indexOf(opts.type) >= 0 ? opts.type : 'info';
    var el = document.createElement('div');
    el.className = 'flag flag-' + type;
    el.id = 'sandbox-' + id;
    el.setAttribute('role', type === 'error' || type === 'warning' ? 'alert' : 'status');
    el.setAttribute('data-testid', 'sandbox-flag');
    var icon = document.createElement('span');
    icon.className = 'flag-icon';
    icon.setAttribute('aria-hidden', 'true');
    var title = document.createElement('p');
    title.className = 'flag-title';
    title.textContent = opts.title || '';
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'icon-button flag-close';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '\u00d7';
    close.addEventListener('click', function () { closeFlag(id, f); });
    el.appendChild(icon);
    el.appendChild(title);
    el.appendChild(close);
    if (opts.body) {
      var body = document.createElement('p');
      body.className = 'flag-body';
      body.textContent = stripTags(String(opts.body));
      el.appendChild(body);
    }
    box.appendChild(el);
    if (opts.close !== 'manual') {
      setTimeout(function () { closeFlag(id, f); }, 8000);
    }
    return id;
  }

  // stripTags keeps the text of an HTML body; DOMParser documents are
  // inert (no scripts run, no images load).
  function stripTags(s) {
    return new DOMParser().parseFromString(s, 'text/html').body.textContent || '';
  }

  function closeFlag(id, f) {
    var el = document.getElementById('sandbox-' + id);
    if (!el) return;
    el.remove();
    if (f) emit(f, 'flag.close', { flagIdentifier: id });
  }

  // --- the message channel --------------------------------------------------
  window.addEventListener('message', function (ev) {
    var msg = ev.data;
    if (!msg || msg.bai !== 'ap-shim' || ev.origin !== location.origin) return;
    var f = frameFor(ev.source);
    if (!f) return;
    switch (msg.type) {
      case 'hello':
        send(f, { type: 'init', context: f.context, theme: currentTheme() });
        break;
      case 'getContext':
        reply(f, msg.id, f.context);
        break;
      case 'getToken':
        getToken(f.context).then(function (t) { reply(f, msg.id, t); }, function (e) { reply(f, msg.id, null, e.message); });
        break;
      case 'resize':
        if (!f.fill) resize(f, msg.height);
        break;
      case 'sizeToParent':
        sizeToParent(f);
        break;
      case 'theming':
        f.themed = true;
        reply(f, msg.id, currentTheme());
        break;
      case 'flag':
        reply(f, msg.id, showFlag(f, msg.options || {}));
        break;
      case 'closeFlag':
        closeFlag(msg.flagId, f);
        break;
      case 'navigate':
        reply(f, msg.id, navigate(msg.target, msg.context || {}));
        break;
      case 'refreshIssuePage':
        // As Jira does: the issue view shows the issue's current fields
        // (here by loading it again, with the glance kept open).
        if (document.querySelector('.issue')) {
          location.href = location.pathname + '?glance=open';
        }
        break;
    }
  });

  // --- the Forge host (Custom UI frames) ----------------------------------------
  // requestRemote goes to the emulated Forge, which mints a Forge
  // Invocation Token for this frame's module and context and the person
  // the shell acts as, and calls the app's remote with it.
  function invokeRemote(f, msg) {
    var ext = (f.context && f.context.extension) || {};
    var issue = ext.issue || {};
    return fetch('/sandbox/api/forge/invoke', {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'X-Sandbox-Shell': '1' },
      body: JSON.stringify({ module: f.module, project: (ext.project && ext.project.key) || '', issue: issue.key || '',
        issueId: issue.id || '', method: msg.method, path: msg.path, body: msg.body })
    }).then(function (r) {
      return r.json().then(function (b) {
        if (!r.ok) throw new Error((b && b.error && b.error.message) || ('HTTP ' + r.status));
        return b;
      });
    });
  }

  // forgeNavigate follows router.navigate/open to a Jira path the sandbox
  // has: an issue (/browse/KEY) or the project's app page.
  function forgeNavigate(target) {
    var m = /^\/browse\/([A-Za-z][A-Za-z0-9_]*-\d+)$/.exec(target || '');
    if (m) return navigate('issue', { issueKey: m[1] });
    if (/^\/jira\/software\/projects\//.test(target || '')) return navigate('addonmodule', {});
    return false;
  }

  window.addEventListener('message', function (ev) {
    var msg = ev.data;
    if (!msg || msg.bai !== 'forge-bridge' || ev.origin !== location.origin) return;
    var f = frameFor(ev.source);
    if (!f || !f.forge) return;
    switch (msg.type) {
      case 'hello':
        send(f, { type: 'ready' });
        break;
      case 'getContext':
        reply(f, msg.id, f.context);
        break;
      case 'requestRemote':
        invokeRemote(f, msg).then(function (r) { reply(f, msg.id, r); }, function (e) { reply(f, msg.id, null, e.message); });
        break;
      case 'theme':
        f.themed = true;
        reply(f, msg.id, currentTheme());
        break;
      case 'showFlag': {
        var o = msg.options || {};
        reply(f, msg.id, showFlag(f, { id: o.id, title: o.title, body: o.description, type: o.type,
          close: o.isAutoDismiss === false ? 'manual' : 'auto' }));
        break;
      }
      case 'closeFlag':
        closeFlag(msg.flagId, f);
        break;
      case 'navigate':
        reply(f, msg.id, forgeNavigate(msg.target));
        break;
      case 'resize':
        if (!f.fill) resize(f, msg.height);
        break;
    }
  });

  // --- the issue view ----------------------------------------------------------
  function initGlance() {
    var btn = document.getElementById('glance-button');
    var panel = document.getElementById('glance-panel');
    var details = document.getElementById('details-panel');
    var frame = document.getElementById('glance-frame');
    var closeBtn = document.getElementById('glance-close');
    if (!btn || !panel || !frame) return;
    function open() {
      if (Date.now() - loadedAt > GLANCE_URL_TTL_MS) {
        // The signed URL has expired: let the server sign a new one.
        location.href = location.pathname + '?glance=open';
        return;
      }
      if (!frame.getAttribute('src')) frame.setAttribute('src', frame.getAttribute('data-src'));
      details.hidden = true;
      panel.hidden = false;
      btn.setAttribute('aria-expanded', 'true');
      document.getElementById('glance-heading').focus();
      history.replaceState(null, '', location.pathname + '?glance=open');
    }
    function close() {
      panel.hidden = true;
      details.hidden = false;
      btn.setAttribute('aria-expanded', 'false');
      btn.focus();
      history.replaceState(null, '', location.pathname);
    }
    btn.addEventListener('click', open);
    closeBtn.addEventListener('click', close);
    if (!panel.hidden) details.hidden = true;
  }

  function initSummaryEdit() {
    var block = document.getElementById('summary-block');
    var form = document.getElementById('summary-form');
    if (!block || !form) return;
    var heading = document.getElementById('summary');
    var input = document.getElementById('summary-input');
    var error = document.getElementById('summary-error');
    var issue = document.querySelector('.issue');
    var key = issue.getAttribute('data-issue');
    function edit() {
      input.value = heading.textContent;
      block.hidden = true;
      form.hidden = false;
      error.hidden = true;
      input.focus();
      input.select();
    }
    function done() {
      form.hidden = true;
      block.hidden = false;
      document.getElementById('summary-edit').focus();
    }
    document.getElementById('summary-edit').addEventListener('click', edit);
    heading.addEventListener('click', edit);
    document.getElementById('summary-cancel').addEventListener('click', done);
    input.addEventListener('keydown', function (e) { if (e.key === 'Escape') done(); });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var summary = input.value.trim();
      if (!summary) return;
      var before = document.getElementById('glance-label').getAttribute('data-stamp');
      fetch('/sandbox/api/issues/' + encodeURIComponent(key), {
        method: 'PUT', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Sandbox-Shell': '1' },
        body: JSON.stringify({ summary: summary })
      }).then(function (r) {
        if (r.status === 204) {
          heading.textContent = summary;
          document.title = '[' + key + '] ' + summary + ' - Jira sandbox';
          done();
          showFlag(null, { type: 'success', title: 'Summary updated', body: 'Jira sent the change to BacklogAI, which re-scores the issue now.' });
          watchRescore(key, before);
          return;
        }
        return r.json().then(function (b) {
          error.textContent = (b && b.error && b.error.message) || 'The summary could not be saved.';
          error.hidden = false;
        });
      }).catch(function () {
        error.textContent = 'The summary could not be saved: the sandbox did not answer.';
        error.hidden = false;
      });
    });
  }

  // watchRescore polls the issue until the app has rewritten its
  // properties (the webhook was processed), then updates the glance label
  // and tells the glance, as Jira's ISSUE_CHANGED event does.
  function watchRescore(key, before) {
    var label = document.getElementById('glance-label');
    var issueEl = document.querySelector('.issue');
    var deadline = Date.now() + 20000;
    function tell() {
      frames.forEach(function (f) {
        if (f.module === 'glance') {
          emit(f, 'ISSUE_CHANGED', {
            issueId: issueEl.getAttribute('data-issue-id'), projectId: document.body.dataset.projectId,
            changes: [{ changeType: 'updated', atlassianId: document.body.dataset.user }]
          });
        }
      });
    }
    function poll() {
      fetch('/sandbox/api/issues/' + encodeURIComponent(key), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s && s.glance && s.glance.stamp !== before) {
            label.textContent = s.glance.label;
            label.className = 'glance-label' + (s.glance.type ? ' lozenge lozenge-' + s.glance.type : '');
            label.setAttribute('data-stamp', s.glance.stamp);
            tell();
            return;
          }
          if (Date.now() < deadline) setTimeout(poll, 400);
          else tell();
        }, function () { if (Date.now() < deadline) setTimeout(poll, 1000); });
    }
    setTimeout(poll, 300);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll('iframe[data-module]'), register);
    var btn = document.getElementById('theme-toggle');
    if (btn) {
      btn.setAttribute('aria-pressed', currentTheme() === 'dark' ? 'true' : 'false');
      btn.addEventListener('click', function () { setTheme(currentTheme() === 'dark' ? 'light' : 'dark'); });
    }
    initGlance();
    initSummaryEdit();
  }

  // Frames may post before DOMContentLoaded: register them as soon as the
  // script runs (it is deferred, so the DOM is parsed).
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
