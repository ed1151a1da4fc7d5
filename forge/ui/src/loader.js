/*
 * BacklogAI Custom UI loader: the glance and the project page under Forge.
 *
 * Custom UI resources are static, so they cannot render the Go templates
 * the Connect pages come from. This loader asks the remote for the very
 * same page through the bridge (GET /api/forge/pages/glance|project with
 * the Forge Invocation Token, rendered by the same handlers and templates),
 * then mounts it here: the <body> and its attributes, the stylesheets and
 * the page's scripts, mapped from the remote's /static/<hash>/<name> URLs
 * to the copies in this bundle (the same files, copied by build.mjs).
 * Atlassian's all.js is skipped: host.js finds window.__forgeBridge and
 * common.js then sends every call through it.
 *
 * data-testid set here: forge-loading (placeholder until the page is
 * mounted, in index.html), forge-load-error (the page could not be loaded).
 */
(function () {
  'use strict';

  var REMOTE = 'backlogai';
  var bridge = window.__forgeBridge;

  function fail(message) {
    var body = document.body;
    while (body.firstChild) body.removeChild(body.firstChild);
    var p = document.createElement('p');
    p.className = 'error-slot';
    p.setAttribute('role', 'alert');
    p.setAttribute('data-testid', 'forge-load-error');
    p.textContent = message;
    body.appendChild(p);
  }

  // pagePath is the remote path of the page for this extension context:
  // the issue glance or the project page (module types as Jira names them).
  function pagePath(ctx) {
    var ext = (ctx && ctx.extension) || {};
    var issue = ext.issue || {};
    var project = ext.project || {};
    var projectKey = project.key || (issue.key ? String(issue.key).split('-')[0] : '');
    var q = new URLSearchParams();
    if (ext.type === 'jira:issueGlance' || (issue.key && ext.type !== 'jira:projectPage')) {
      q.set('issueKey', issue.key || '');
      q.set('projectKey', projectKey);
      return '/api/forge/pages/glance?' + q.toString();
    }
    q.set('projectKey', projectKey);
    if (project.id !== undefined && project.id !== null && project.id !== '') q.set('projectId', String(project.id));
    return '/api/forge/pages/project?' + q.toString();
  }

  // local maps a static URL of the remote (/static/<hash>/app.css, under
  // any base path) to this bundle's copy; null for anything else.
  function local(url) {
    var m = /\/static\/(?:[0-9a-f]{12}\/)?([A-Za-z0-9._-]+)$/.exec(url || '');
    return m ? m[1] : null;
  }

  function mount(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    document.title = doc.title || document.title;
    var scripts = [];
    Array.prototype.forEach.call(doc.querySelectorAll('script[src]'), function (s) {
      var name = local(s.getAttribute('src'));
      // The project page's tabs are native ES modules: they keep their type
      // (their relative imports find the copies beside them in the bundle).
      if (name) scripts.push({ name: name, module: s.getAttribute('type') === 'module' });
      s.remove();
    });
    // Inline scripts never run in Custom UI (its CSP), nor here.
    Array.prototype.forEach.call(doc.querySelectorAll('script:not([type="application/json"])'), function (s) { s.remove(); });
    Array.prototype.forEach.call(doc.querySelectorAll('link[rel~="stylesheet"], link[rel~="icon"]'), function (l) {
      var name = local(l.getAttribute('href'));
      if (!name) return;
      var n = document.createElement('link');
      n.rel = l.getAttribute('rel');
      n.href = name;
      document.head.appendChild(n);
    });
    Array.prototype.forEach.call(doc.documentElement.attributes, function (a) {
      document.documentElement.setAttribute(a.name, a.value);
    });
    var body = document.body;
    Array.prototype.slice.call(body.attributes).forEach(function (a) { body.removeAttribute(a.name); });
    Array.prototype.forEach.call(doc.body.attributes, function (a) { body.setAttribute(a.name, a.value); });
    while (body.firstChild) body.removeChild(body.firstChild);
    while (doc.body.firstChild) body.appendChild(document.adoptNode(doc.body.firstChild));
    // The page's scripts run in order, as the deferred scripts of the
    // Connect page do, once its markup is in place.
    // async = false keeps the insertion order for module scripts too.
    scripts.forEach(function (sc) {
      var s = document.createElement('script');
      if (sc.module) s.type = 'module';
      s.src = sc.name;
      s.async = false;
      document.head.appendChild(s);
    });
  }

  if (!bridge || !bridge.view || !bridge.requestRemote) {
    fail('BacklogAI must be opened inside Jira: the Forge bridge is missing.');
    return;
  }
  bridge.view.getContext().then(function (ctx) {
    return bridge.requestRemote(REMOTE, { method: 'GET', path: pagePath(ctx), headers: { 'Accept': 'text/html' } });
  }).then(function (res) {
    return res.text().then(function (text) {
      if (!res.ok) {
        var msg = 'BacklogAI could not load this page (' + res.status + ').';
        try { msg = JSON.parse(text).error.message || msg; } catch (e) { /* not JSON */ }
        throw new Error(msg);
      }
      mount(text);
    });
  }).catch(function (err) {
    fail((err && err.message) || 'BacklogAI could not be reached. Reload the page.');
  });
})();
