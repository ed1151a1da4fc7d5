package frontend_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestHostAdapterWithForgeBridge runs host.js and common.js in node with a
// fake @forge/bridge: API calls, flags, navigation and the page context go
// through the bridge, and API errors read as on Connect.
func TestHostAdapterWithForgeBridge(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	host, _ := filepath.Abs(filepath.Join("static", "host.js"))
	common, _ := filepath.Abs(filepath.Join("static", "common.js"))
	script := `
globalThis.window = globalThis; globalThis.location = {pathname: '/forge/glance'};
globalThis.document = {documentElement: {hasAttribute: () => true}, getElementById: () => null};
const calls = [];
const resp = (status, body) => ({status, ok: status < 300, text: () => Promise.resolve(JSON.stringify(body))});
window.__forgeBridge = {
  requestRemote: (remote, init) => { calls.push(['requestRemote', remote, init.method, init.path, init.body || null]);
    return Promise.resolve(init.path.endsWith('/missing') ? resp(404, {error: {code: 'not_found', message: 'No such issue.'}}) : resp(200, {ok: true})); },
  view: {getContext: () => Promise.resolve({extension: {issue: {key: 'SHOP-7'}}}), theme: {enable: () => calls.push(['theme'])}},
  router: {navigate: (u) => calls.push(['navigate', u])},
  showFlag: (o) => calls.push(['flag', o.title, o.type]),
};
require(` + jsString(host) + `);
require(` + jsString(common) + `);
(async () => {
  const out = {kind: BAIHost.kind};
  out.ok = await BAI.api('PUT', '/issues/SHOP-7/override', {moscow: 'Must'});
  try { await BAI.api('GET', '/issues/missing'); } catch (e) { out.err = {status: e.status, code: e.code, message: e.message}; }
  out.ctx = await BAIHost.context();
  BAI.flag('Saved', '', 'success');
  out.nav = BAI.navigate('SHOP-9');
  out.calls = calls;
  console.log(JSON.stringify(out));
})();`
	out, err := exec.Command(node, "-e", script).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v: %s", err, out)
	}
	var got struct {
		Kind string
		OK   map[string]bool
		Err  struct {
			Status        int
			Code, Message string
		}
		Ctx   struct{ ProjectKey, IssueKey string }
		Nav   bool
		Calls [][]any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Kind != "forge" || !got.OK["ok"] {
		t.Fatalf("kind %q, ok %v", got.Kind, got.OK)
	}
	if got.Err.Status != 404 || got.Err.Code != "not_found" || got.Err.Message != "No such issue." {
		t.Errorf("error = %+v", got.Err)
	}
	if got.Ctx.IssueKey != "SHOP-7" || got.Ctx.ProjectKey != "SHOP" {
		t.Errorf("context = %+v", got.Ctx)
	}
	want := `[["theme"],["requestRemote","backlogai","PUT","/api/issues/SHOP-7/override","{\"moscow\":\"Must\"}"],` +
		`["requestRemote","backlogai","GET","/api/issues/missing",null],["flag","Saved","success"],["navigate","/browse/SHOP-9"]]`
	if b, _ := json.Marshal(got.Calls); string(b) != want || !got.Nav {
		t.Errorf("bridge calls = %s\nwant %s (navigate %v)", b, want, got.Nav)
	}
}

// TestHostAdapterForgeAbort: the bridge cannot carry an AbortSignal, so
// host.js never hands one to it and rejects an aborted call itself with
// an AbortError (as fetch does), after sending or instead of it.
func TestHostAdapterForgeAbort(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	host, _ := filepath.Abs(filepath.Join("static", "host.js"))
	script := `
globalThis.window = globalThis;
let sawSignal = false, sent = 0;
window.__forgeBridge = {
  requestRemote: (remote, init) => { sent++; if ('signal' in init) sawSignal = true; return new Promise(() => {}); },
  view: {getContext: () => Promise.resolve({}), theme: {enable: () => {}}},
};
require(` + jsString(host) + `);
(async () => {
  const out = {};
  const c1 = new AbortController();
  const p = BAIHost.request('GET', '/me', null, c1.signal);
  c1.abort();
  try { await p; } catch (e) { out.after = e.name; }
  const c2 = new AbortController(); c2.abort();
  try { await BAIHost.request('GET', '/me', null, c2.signal); } catch (e) { out.before = e.name; }
  out.sawSignal = sawSignal; out.sent = sent;
  console.log(JSON.stringify(out));
})();`
	out, err := exec.Command(node, "-e", script).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v: %s", err, out)
	}
	var got struct {
		After, Before string
		SawSignal     bool
		Sent          int
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.After != "AbortError" || got.Before != "AbortError" || got.SawSignal || got.Sent != 1 {
		t.Errorf("abort handling = %+v, want AbortError twice, no signal passed to the bridge, only the first call sent", got)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
