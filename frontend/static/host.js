/*
 * BacklogAI: the host adapter. The pages run in two hosts; this file alone
 * knows which. common.js asks it for every call that differs:
 *
 *   Connect: a Jira iframe with AP (all.js, or the sandbox's AP shim).
 *   Forge:   Custom UI with @forge/bridge, which the Custom UI bundle (or the
 *            sandbox's bridge shim) exposes as window.__forgeBridge:
 *            requestRemote, view.getContext, view.theme, router, showFlag.
 *
 * window.BAIHost:
 *   kind                         'forge' | 'connect' | 'none'
 *   request(method, path, body, signal)
 *                                Forge only: a fetch Response from the remote's
 *                                /api + path (requestRemote adds the FIT; the
 *                                remote key is "backlogai" as in manifest.yml)
 *   context()                    Promise of {projectKey, issueKey} of the page
 *   navigate(key)                open an issue in Jira; false if impossible
 *   flag(title, body, type)      show a Jira flag; false if impossible
 *   theme()                      follow Jira's theme (light/dark)
 */
(function () {
  'use strict';

  var REMOTE = 'backlogai';
  var bridge = window.__forgeBridge || null;
  var ap = window.AP || null;

  var host = { kind: bridge ? 'forge' : ap ? 'connect' : 'none' };
  window.BAIHost = host;
  if (host.kind !== 'forge') {
    host.context = function () {
      var b = document.body ? document.body.dataset : {};
      return Promise.resolve({ projectKey: b.projectKey || '', issueKey: b.issueKey || '' });
    };
    return;
  }

  host.request = function (method, path, body, signal) {
    var init = { method: method, path: '/api' + path, headers: { 'Accept': 'application/json' } };
    if (body !== undefined && body !== null) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    // The bridge cannot pass an AbortSignal to the host (it logs an error
    // and drops it): an aborted call is dropped here instead.
    var aborted = function () { return new DOMException('The call was aborted.', 'AbortError'); };
    if (signal && signal.aborted) return Promise.reject(aborted());
    var sent = bridge.requestRemote(REMOTE, init);
    if (!signal) return sent;
    return new Promise(function (resolve, reject) {
      signal.addEventListener('abort', function () { reject(aborted()); }, { once: true });
      sent.then(resolve, reject);
    });
  };

  host.context = function () {
    return bridge.view.getContext().then(function (ctx) {
      var ext = (ctx && ctx.extension) || {};
      var issue = ext.issue || {};
      var project = ext.project || {};
      return { projectKey: project.key || (issue.key ? issue.key.split('-')[0] : ''), issueKey: issue.key || '' };
    });
  };

  host.navigate = function (key) {
    if (!bridge.router || !bridge.router.navigate) return false;
    bridge.router.navigate('/browse/' + encodeURIComponent(key));
    return true;
  };

  var flagSeq = 0;
  host.flag = function (title, body, type) {
    if (!bridge.showFlag) return false;
    bridge.showFlag({ id: 'bai-' + (++flagSeq), title: title, description: body || '', type: type || 'success', isAutoDismiss: true });
    return true;
  };

  host.theme = function () {
    if (bridge.view && bridge.view.theme && bridge.view.theme.enable) {
      try { bridge.view.theme.enable(); } catch (e) { /* the page keeps the system theme */ }
    }
  };
  host.theme();
})();
