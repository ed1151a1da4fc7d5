// Draws backlog rows with the page's own renderer (frontend/static/backlog.js
// rowNode) in node, on a DOM just large enough for BAI.el, and prints each
// row's HTML by key. Used by the web tests that check what a person sees
// in the backlog table.
//
//   node renderrows.mjs <static dir> < {"jiraUrl": "...", "rows": [...]}
//   → {"SHOP-1": "<tr data-key=\"SHOP-1\" …>…</tr>", …}
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

class Text {
  constructor(t) { this.text = String(t); }
  get outerHTML() { return esc(this.text); }
}
class Element {
  constructor(tag) { this.tag = tag; this.attrs = new Map(); this.children = []; }
  setAttribute(k, v) { this.attrs.set(k, String(v)); }
  getAttribute(k) { return this.attrs.has(k) ? this.attrs.get(k) : null; }
  set className(v) { this.attrs.set('class', v); }
  set value(v) { this.attrs.set('value', v); }
  set checked(v) { if (v) this.attrs.set('checked', ''); else this.attrs.delete('checked'); }
  set textContent(v) { this.children = [new Text(v)]; }
  get textContent() { return this.children.map((c) => (c instanceof Text ? c.text : c.textContent)).join(''); }
  appendChild(c) { this.children.push(c); return c; }
  addEventListener() {}
  get outerHTML() {
    const a = [...this.attrs].map(([k, v]) => (v === '' ? ' ' + k : ' ' + k + '="' + esc(v) + '"')).join('');
    return '<' + this.tag + a + '>' + this.children.map((c) => c.outerHTML).join('') + '</' + this.tag + '>';
  }
}
globalThis.window = globalThis;
globalThis.location = { pathname: '/project' };
globalThis.document = {
  documentElement: { hasAttribute: () => true },
  createElement: (tag) => new Element(tag),
  createTextNode: (t) => new Text(t),
};

const dir = path.resolve(process.argv[2]);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { jiraUrl, rows } = JSON.parse(input);
await import(pathToFileURL(path.join(dir, 'common.js')));
const { links } = await import(pathToFileURL(path.join(dir, 'page.js')));
const { rowNode } = await import(pathToFileURL(path.join(dir, 'backlog.js')));
const { issueLink } = links(jiraUrl);
const out = {};
for (const r of rows) out[r.key] = rowNode(r, false, issueLink).outerHTML;
console.log(JSON.stringify(out));
