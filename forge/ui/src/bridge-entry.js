// The Custom UI entry bundled into bridge.js (forge/ui/build.mjs): it
// exposes Atlassian's @forge/bridge as window.__forgeBridge, which
// frontend/static/host.js and loader.js use. In the sandbox, bridge.js is
// frontend/sandbox/forge-bridge-shim.js instead, with the same shape.
import { requestRemote, invokeRemote, view, router, showFlag } from '@forge/bridge';

window.__forgeBridge = { requestRemote, invokeRemote, view, router, showFlag };
