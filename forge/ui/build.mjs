#!/usr/bin/env node
// Builds the Custom UI resources of manifest.yml (forge/ui/glance and
// forge/ui/project) from the Connect pages' own files, so no page code is
// duplicated: each bundle is src/index.html and src/loader.js, every file
// of frontend/static (host.js, common.js, the page scripts, the styles),
// and bridge.js, @forge/bridge bundled by esbuild and exposed as
// window.__forgeBridge (src/bridge-entry.js). The pages' markup comes
// from the remote at run time (see src/loader.js).
//
// Usage: node build.mjs   (make forge-ui; needs `npm ci` here first)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const staticDir = path.join(root, 'frontend', 'static');
const resources = ['glance', 'project'];

const bridge = await build({
  entryPoints: [path.join(here, 'src', 'bridge-entry.js')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'eof',
  write: false,
  logLevel: 'warning',
});
const bridgeJS = bridge.outputFiles[0].contents;

for (const r of resources) {
  const out = path.join(here, r);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(staticDir)) {
    fs.copyFileSync(path.join(staticDir, f), path.join(out, f));
  }
  for (const f of ['index.html', 'loader.js']) {
    fs.copyFileSync(path.join(here, 'src', f), path.join(out, f));
  }
  fs.writeFileSync(path.join(out, 'bridge.js'), bridgeJS);
  console.log(`forge/ui/${r}: ${fs.readdirSync(out).length} files`);
}
