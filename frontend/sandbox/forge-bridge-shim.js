// forge-bridge-shim.js: the sandbox's stand-in for @forge/bridge. The
// Custom UI resources load it as their bridge.js (the deployed bundle has
// Atlassian's bridge there) and get the same window.__forgeBridge:
//
//   requestRemote(remoteKey, {method, path, headers, body}) -> Promise<Response>
//   invokeRemote({method, path, headers, body}) -> Promise<{status, headers, body}>
//   view.getContext() -> Promise<context>   (extension: {type, project, issue}, accountId, moduleKey, siteUrl…)
//   view.theme.enable() -> Promise          (html[data-color-mode] follows the host)
//   router.navigate(path), router.open(path) (Jira paths such as /browse/SHOP-1)
//   showFlag({id, title, description, type, isAutoDismiss}) -> {close()}
//
// Like Atlassian's bridge it talks to the host page (the /sandbox shell)
// with postMessage: {bai: 'forge-bridge', type, id, ...} up and
// {bai: 'forge-host', ...} down, same origin only. The shell answers
// getContext itself and sends requestRemote to the emulated Forge, which
// calls the app with a Forge Invocation Token. Forge sizes Custom UI
// frames to their content; the shim reports the height as the bridge does.
(function () {
  'use strict';
  if (window.__forgeBridge) return;

  var host = window.parent !== window ? window.parent : null;
  var origin = window.location.origin;
  var seq = 0;
  var pending = {};
  var queue = [];
  var ready = false;
  var themed = false;

  function post(msg) {
    msg.bai = 'forge-bridge';
    host.postMessage(msg, origin);
  }

  function call(type, payload) {
    return new Promise(function (resolve, reject) {
      if (!host) {
        reject(new Error('Forge bridge: this page runs inside Jira (here: the sandbox shell).'));
        return;
      }
      var id = ++seq;
      var timer = setTimeout(function () {
        delete pending[id];
        reject(new Error('Forge bridge: the host did not answer ' + type));
      }, 30000);
      pending[id] = { resolve: resolve, reject: reject, timer: timer };
      var msg = payload || {};
      msg.type = type;
      msg.id = id;
      if (ready) post(msg);
      else queue.push(msg);
    });
  }

  function applyTheme(mode) {
    if (themed) document.documentElement.setAttribute('data-color-mode', mode === 'dark' ? 'dark' : 'light');
  }

  window.addEventListener('message', function (ev) {
    var msg = ev.data;
    if (!host || ev.source !== host || ev.origin !== origin || !msg || msg.bai !== 'forge-host') return;
    switch (msg.type) {
      case 'ready':
        if (ready) return;
        ready = true;
        queue.splice(0).forEach(post);
        break;
      case 'response': {
        var p = pending[msg.id];
        if (!p) return;
        delete pending[msg.id];
        clearTimeout(p.timer);
        if (msg.error) p.reject(new Error(msg.error));
        else p.resolve(msg.result);
        break;
      }
      case 'theme':
        applyTheme(msg.mode);
        break;
    }
  });

  if (host) {
    // The shell registers its frames when its deferred script runs, which
    // may be after this frame's first message: say hello until it answers.
    var tries = 0;
    (function hello() {
      if (ready || tries++ > 150) return;
      post({ type: 'hello' });
      setTimeout(hello, 100);
    })();
    var last = 0;
    var report = function () {
      var h = Math.ceil(document.documentElement.scrollHeight);
      if (h && h !== last) {
        last = h;
        if (ready) post({ type: 'resize', height: h });
        else queue.push({ type: 'resize', height: h });
      }
    };
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(report).observe(document.documentElement);
    }
    window.addEventListener('load', report);
  }

  function headersOf(h) {
    var out = {};
    if (h) new Headers(h).forEach(function (v, k) { out[k] = v; });
    return out;
  }

  function remote(init) {
    init = init || {};
    var method = String(init.method || 'GET').toUpperCase();
    return call('requestRemote', {
      method: method, path: init.path || '/', headers: headersOf(init.headers),
      body: method === 'GET' || init.body === undefined || init.body === null ? null : String(init.body)
    });
  }

  var flagSeq = 0;
  window.__forgeBridge = {
    requestRemote: function (remoteKey, init) {
      // Atlassian's bridge drops an AbortSignal (it cannot cross frames).
      return remote(init).then(function (r) {
        var empty = r.status === 204 || r.status === 205 || r.status === 304;
        return new Response(empty ? null : r.body, { status: r.status, headers: r.headers || {} });
      });
    },
    invokeRemote: function (input) {
      return remote(input).then(function (r) {
        var body = r.body;
        try { body = body ? JSON.parse(body) : undefined; } catch (e) { /* not JSON: the text */ }
        return { status: r.status, headers: r.headers || {}, body: body };
      });
    },
    view: {
      getContext: function () { return call('getContext'); },
      theme: {
        enable: function () {
          themed = true;
          return call('theme').then(applyTheme);
        }
      }
    },
    router: {
      navigate: function (target) { return call('navigate', { target: String(target) }); },
      open: function (target) { return call('navigate', { target: String(target), open: true }); }
    },
    showFlag: function (opts) {
      opts = opts || {};
      var id = opts.id || ('flag-' + (++flagSeq));
      call('showFlag', { options: { id: id, title: opts.title, description: opts.description, type: opts.type,
        isAutoDismiss: opts.isAutoDismiss } });
      return { close: function () { return call('closeFlag', { flagId: id }); } };
    }
  };
})();
