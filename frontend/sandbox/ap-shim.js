// ap-shim.js: the sandbox's stand-in for Atlassian's all.js. It gives the
// app's pages the subset of the Connect JavaScript API they use:
//
//   AP.context.getToken([cb]) -> Promise<string>   (context-qsh JWT)
//   AP.context.getContext([cb]) -> Promise<object> ({jira: {project, issue}})
//   AP.resize([width, height]), AP.sizeToParent()
//   AP.theming.initializeTheming()                 (html[data-color-mode])
//   AP.flag.create({title, body, type, close}) -> {close()}
//   AP.navigator.go('issue', {issueKey})
//   AP.jira.refreshIssuePage()                     (the shell reloads the issue view)
//   AP.events.on(name, cb), AP.events.once(name, cb), AP.events.off(name, cb)
//
// Inside the /sandbox shell it talks to the host page with postMessage
// (messages {bai: 'ap-shim', type, id, ...} up and {bai: 'ap-host', ...}
// down, same origin only), as all.js talks to Jira. Opened on its own it
// falls back to the page's URL for its context and fetches tokens itself.
(function () {
  'use strict';
  if (window.AP && window.AP.__sandbox) return;

  var host = window.parent !== window ? window.parent : null;
  var origin = window.location.origin;
  var seq = 0;
  var pending = {};
  var listeners = {};
  var queue = [];
  var initialised = false;
  var context = null;
  var theme = 'light';
  var themed = false;
  var autoResize = true;
  var lastHeight = 0;
  var readyResolve;
  var ready = new Promise(function (resolve) { readyResolve = resolve; });

  // --- channel -------------------------------------------------------------
  function post(msg) {
    msg.bai = 'ap-shim';
    host.postMessage(msg, origin);
  }

  function request(type, payload) {
    return new Promise(function (resolve, reject) {
      var id = ++seq;
      var timer = setTimeout(function () {
        delete pending[id];
        reject(new Error('AP: the host did not answer ' + type));
      }, 15000);
      pending[id] = { resolve: resolve, reject: reject, timer: timer };
      var msg = payload || {};
      msg.type = type;
      msg.id = id;
      if (initialised) post(msg);
      else queue.push(msg);
    });
  }

  function notify(type, payload) {
    var msg = payload || {};
    msg.type = type;
    if (initialised) post(msg);
    else queue.push(msg);
  }

  function emit(name, data) {
    (listeners[name] || []).slice().forEach(function (l) {
      if (l.once) off(name, l.cb);
      try { l.cb(data); } catch (e) { console.error('AP event handler failed', e); }
    });
  }

  function off(name, cb) {
    listeners[name] = (listeners[name] || []).filter(function (l) { return l.cb !== cb; });
  }

  function applyTheme(mode) {
    theme = mode === 'dark' ? 'dark' : 'light';
    if (!themed) return;
    var root = document.documentElement;
    root.setAttribute('data-color-mode', theme);
    root.setAttribute('data-theme', 'dark:dark light:light spacing:spacing typography:typography');
  }

  if (host) {
    window.addEventListener('message', function (ev) {
      var msg = ev.data;
      if (ev.source !== host || ev.origin !== origin || !msg || msg.bai !== 'ap-host') return;
      switch (msg.type) {
        case 'init':
          if (initialised) return;
          initialised = true;
          context = msg.context || {};
          theme = msg.theme || 'light';
          queue.splice(0).forEach(post);
          readyResolve();
          break;
        case 'response':
          var p = pending[msg.id];
          if (!p) return;
          delete pending[msg.id];
          clearTimeout(p.timer);
          if (msg.error) p.reject(new Error(msg.error));
          else p.resolve(msg.result);
          break;
        case 'event':
          emit(msg.name, msg.data);
          break;
        case 'theme':
          applyTheme(msg.mode);
          emit('THEME_CHANGED', { colorMode: theme });
          break;
      }
    });
    // The host may not listen yet (its script can run after this frame's):
    // say hello until it answers.
    var tries = 0;
    (function hello() {
      if (initialised || tries++ > 100) return;
      post({ type: 'hello' });
      setTimeout(hello, 100);
    })();
  } else {
    // Standalone (the page opened outside the shell): the context comes from
    // the URL Jira signed.
    var q = new URLSearchParams(window.location.search);
    var jira = {};
    if (q.get('projectKey')) jira.project = { key: q.get('projectKey'), id: q.get('projectId') || undefined };
    if (q.get('issueKey')) jira.issue = { key: q.get('issueKey') };
    context = { jira: jira };
    initialised = true;
    readyResolve();
  }

  function standaloneToken() {
    var j = context.jira || {};
    var q = new URLSearchParams();
    if (j.project) q.set('project', j.project.key);
    if (j.issue) q.set('issue', j.issue.key);
    return fetch('/sandbox/api/context-token?' + q.toString(), { cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('AP: no context token (HTTP ' + r.status + ')');
        return r.json();
      })
      .then(function (b) { return b.token; });
  }

  function withCallback(promise, cb) {
    if (typeof cb === 'function') {
      promise.then(cb, function (e) { console.error(e); });
    }
    return promise;
  }

  // --- sizing ----------------------------------------------------------------
  // contentHeight measures the document's content, not the frame: the
  // bottom of the body's in-flow children (so html/body at height:100%
  // still let the frame shrink), plus the body's bottom padding and margin.
  function contentHeight() {
    var body = document.body;
    if (!body) return 0;
    var bottom = 0;
    var kids = body.children;
    for (var i = 0; i < kids.length; i++) {
      var el = kids[i];
      var cs = window.getComputedStyle(el);
      if (cs.position === 'fixed' || cs.display === 'none') continue;
      var r = el.getBoundingClientRect();
      var b = r.bottom + window.scrollY + (parseFloat(cs.marginBottom) || 0);
      if (b > bottom) bottom = b;
    }
    var bs = window.getComputedStyle(body);
    bottom += (parseFloat(bs.paddingBottom) || 0) + (parseFloat(bs.marginBottom) || 0) + (parseFloat(bs.borderBottomWidth) || 0);
    return Math.ceil(bottom);
  }

  function sendHeight(force) {
    if (!host) return;
    var h = contentHeight();
    if (!h || (!force && Math.abs(h - lastHeight) < 1)) return;
    lastHeight = h;
    notify('resize', { height: h });
  }

  var scheduled = false;
  function scheduleResize() {
    if (!autoResize || scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(function () {
      scheduled = false;
      if (autoResize) sendHeight(false);
    });
  }

  function startAutoResize() {
    if (!host || typeof ResizeObserver === 'undefined') return;
    var ro = new ResizeObserver(scheduleResize);
    ro.observe(document.documentElement);
    if (document.body) ro.observe(document.body);
    new MutationObserver(function () {
      scheduleResize();
      Array.prototype.forEach.call(document.body.children, function (el) { ro.observe(el); });
    }).observe(document.body, { childList: true });
    Array.prototype.forEach.call(document.body.children, function (el) { ro.observe(el); });
    window.addEventListener('load', function () { sendHeight(true); });
    scheduleResize();
  }

  var script = document.currentScript;
  if (script && /resize:\s*false/.test(script.getAttribute('data-options') || '')) autoResize = false;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startAutoResize);
  else startAutoResize();

  // --- the API ---------------------------------------------------------------
  var AP = {
    __sandbox: true,
    context: {
      getToken: function (cb) {
        var p = ready.then(function () { return host ? request('getToken') : standaloneToken(); });
        return withCallback(p, cb);
      },
      getContext: function (cb) {
        var p = ready.then(function () { return JSON.parse(JSON.stringify(context)); });
        return withCallback(p, cb);
      }
    },
    resize: function (width, height) {
      if (!host) return;
      if (height === undefined || height === null || height === '') {
        sendHeight(true);
        return;
      }
      var h = typeof height === 'number' ? height : parseFloat(String(height));
      if (String(height).indexOf('%') >= 0 || !h) {
        notify('sizeToParent');
        return;
      }
      autoResize = false;
      notify('resize', { height: h });
    },
    sizeToParent: function () {
      if (!host) return;
      autoResize = false;
      notify('sizeToParent');
    },
    theming: {
      initializeTheming: function () {
        themed = true;
        applyTheme(theme);
        if (host) request('theming').then(applyTheme, function () {});
      }
    },
    flag: {
      create: function (options) {
        var o = options || {};
        var id = 'ap-flag-' + (++seq);
        var flag = {
          _id: id,
          close: function () { if (host) notify('closeFlag', { flagId: id }); }
        };
        var opts = { id: id, title: String(o.title || ''), body: String(o.body || ''), type: o.type || 'info', close: o.close || 'auto' };
        if (host) request('flag', { options: opts }).catch(function (e) { console.error(e); });
        else console.info('[flag]', opts.type, opts.title, opts.body);
        return flag;
      }
    },
    navigator: {
      go: function (target, ctx) {
        if (!host) {
          if (target === 'issue' && ctx && ctx.issueKey) window.top.location.href = '/sandbox/issue/' + encodeURIComponent(ctx.issueKey);
          return;
        }
        request('navigate', { target: target, context: ctx || {} }).then(function (ok) {
          if (!ok) console.warn('AP.navigator.go: the sandbox does not know target', target);
        }, function (e) { console.error(e); });
      }
    },
    jira: {
      refreshIssuePage: function () {
        if (host) notify('refreshIssuePage');
        else window.location.reload();
      }
    },
    events: {
      on: function (name, cb) { (listeners[name] = listeners[name] || []).push({ cb: cb, once: false }); },
      once: function (name, cb) { (listeners[name] = listeners[name] || []).push({ cb: cb, once: true }); },
      off: function (name, cb) { off(name, cb); }
    }
  };
  window.AP = AP;
})();
