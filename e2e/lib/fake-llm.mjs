// A local stand-in for an OpenAI-compatible chat-completions server. The
// app asks for structured output (response_format json_schema), so the fake
// answers every call with an instance of the requested schema, filled with
// plausible product text chosen by property name. Deterministic: the same
// request gets the same answer. It records every request for assertions.
import http from 'node:http';

const STORY = 'As a returning shopper, I want to save my cart for later so that I can finish my purchase on another device';
const TEXT = {
  title: 'Save the cart for later',
  summary: STORY,
  userstory: STORY,
  story: STORY,
  description: [
    STORY + '.',
    '',
    'Acceptance criteria:',
    '- Given a signed-in shopper with items in the cart, when they choose "Save for later", then the cart is kept for 30 days.',
    '- Given a saved cart, when the shopper signs in on another device, then the saved items are shown in the cart.',
  ].join('\n'),
  rollout: 'Release behind a feature flag to 10% of shoppers, then to everyone after a week without regressions.',
  whynow: 'Cart abandonment rose this quarter and the holiday season starts in six weeks.',
  whythis: 'Saved carts recover revenue from shoppers who switch devices before paying.',
  whyus: 'Our checkout already stores carts per account, so we can ship this sooner than competitors.',
  reason: 'Shoppers asked for it in support tickets and it supports the conversion objective.',
  persona: 'returning shopper',
  name: 'Cart recovery rate',
  baseline: '12%',
  target: '18%',
  rationale: 'The original story joined two features; each part is now small and testable.',
  notes: 'Rewritten as a single, testable user story with acceptance criteria.',
  message: 'The story names a role, a goal and a benefit.',
  fix: 'Keep one goal per story.',
  query: 'saved cart conversion ecommerce 2026',
  url: 'https://example.com/research/saved-carts',
  snippet: 'Saved carts lift conversion for returning shoppers.',
  date: '2026-05-01',
};

const SPLIT = [
  'As a returning shopper, I want to save my cart so that I can come back to it later',
  'As a returning shopper, I want my saved cart on every device so that I can pay from my phone',
  'As a store owner, I want to see how many saved carts convert so that I can measure the feature',
  'As a returning shopper, I want a reminder about my saved cart so that I do not forget my purchase',
  'As a store owner, I want to choose how long saved carts are kept so that stock is not held forever',
];
const TITLES = ['Save the cart for later', 'Sync saved carts across devices', 'Report on saved cart conversion',
  'Remind shoppers of saved carts', 'Set how long saved carts are kept'];
const CRITERIA = [
  'Given a signed-in shopper with items in the cart, when they choose "Save for later", then the cart is kept for 30 days',
  'Given a saved cart, when the shopper signs in on another device, then the saved items are shown',
  'Given a saved cart older than 30 days, when the shopper signs in, then they are told it expired',
  'Given a shopper on their phone, when they open the cart they saved on a laptop, then prices are refreshed',
  'Given an item of a saved cart is out of stock, when the shopper opens the cart, then the item is marked unavailable',
  'Given a store owner, when they open the saved carts report, then they see how many saved carts were bought',
];

function keyOf(name) {
  return String(name || '').toLowerCase().replace(/[^a-z]/g, '');
}

function pickText(prop, index) {
  const k = keyOf(prop);
  if (k in TEXT) {
    const v = TEXT[k];
    return index > 0 && (k === 'title' || k === 'summary' || k === 'userstory' || k === 'story')
      ? variant(k, v, index) : k === 'userstory' || k === 'story' ? SPLIT[0] : v;
  }
  for (const [name, v] of Object.entries(TEXT)) {
    if (k.endsWith(name)) return v;
  }
  return 'A clear, testable statement about the saved cart feature.';
}

function variant(k, v, index) {
  if (k === 'title') return TITLES[index % TITLES.length];
  return SPLIT[index % SPLIT.length];
}

function resolve(schema, root) {
  let s = schema || {};
  for (let i = 0; s && s.$ref && i < 10; i++) {
    const path = s.$ref.replace(/^#\//, '').split('/');
    s = path.reduce((o, p) => (o ? o[p] : undefined), root) || {};
  }
  if (s.anyOf) s = s.anyOf.find((x) => x.type !== 'null') || s.anyOf[0];
  if (s.oneOf) s = s.oneOf.find((x) => x.type !== 'null') || s.oneOf[0];
  return s;
}

// instance builds a value that validates against schema (the strict
// subset OpenAI supports: object, array, string, number, integer, boolean,
// enum, anyOf, $ref), using prop to pick realistic text.
function instance(schema, root, prop, index, depth, hints = {}) {
  const s = resolve(schema, root);
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) {
    const vals = s.enum.filter((v) => v !== null);
    return vals.length ? vals[index % vals.length] : s.enum[0];
  }
  let type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (!type) type = s.properties ? 'object' : s.items ? 'array' : 'string';
  switch (type) {
    case 'object': {
      const out = {};
      for (const [k, v] of Object.entries(s.properties || {})) out[k] = instance(v, root, k, index, depth + 1, hints);
      if ('index' in out && hints.indices) out.index = hints.indices[index % hints.indices.length];
      return out;
    }
    case 'array': {
      const k = keyOf(prop);
      const item = resolve(s.items || {}, root);
      let n = k.includes('criteria') ? 3 : k.includes('stories') || k.includes('drafts') ? 3 : 2;
      if (k.includes('drafts') && hints.indices) n = hints.indices.length;
      else if (k.includes('drafts') && hints.count) n = hints.count;
      // One entry per allowed name (the five pillars), when items are named by an enum.
      const named = item.properties && item.properties.name && resolve(item.properties.name, root);
      if (named && Array.isArray(named.enum)) n = named.enum.length;
      // Without research there is nothing to cite.
      if (k === 'sources' && (item.type === 'integer' || item.type === 'number')) n = 0;
      if (typeof s.minItems === 'number') n = Math.max(n, s.minItems);
      if (typeof s.maxItems === 'number') n = Math.min(n, s.maxItems);
      if (depth > 6) n = Math.min(n, typeof s.minItems === 'number' ? s.minItems : 0);
      const items = [];
      for (let i = 0; i < n; i++) {
        // Each draft (index) gets its own criteria.
        if (k.includes('criteria') && item.type === 'string') items.push(CRITERIA[(index * 3 + i) % CRITERIA.length]);
        else items.push(instance(s.items || {}, root, singular(prop), i, depth + 1, hints));
      }
      return items;
    }
    case 'integer':
    case 'number': {
      const k = keyOf(prop);
      let v = k.includes('point') || k.includes('estimate') ? 3 : k.includes('confidence') || k.includes('probability') ? 0.8 : 7;
      if (typeof s.maximum === 'number') v = Math.min(v, s.maximum);
      if (typeof s.minimum === 'number') v = Math.max(v, s.minimum);
      return v;
    }
    case 'boolean':
      return true;
    default: {
      let v = pickText(prop, index);
      if (typeof s.maxLength === 'number') v = v.slice(0, s.maxLength);
      return v;
    }
  }
}

function singular(prop) {
  return String(prop || '').replace(/ies$/, 'y').replace(/s$/, '');
}

// hintsOf reads what the prompt asks for: how many drafts ("Write 3 user
// stories"), or which drafts to revise ("Draft 2 (quality 41/100)").
function hintsOf(body) {
  const text = (body.messages || []).map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');
  const hints = {};
  const count = text.match(/Write (\d+) user stor/);
  if (count) hints.count = Math.max(1, Math.min(10, Number(count[1])));
  const idx = [...text.matchAll(/^Draft (\d+) \(quality/gm)].map((m) => Number(m[1]));
  if (idx.length) hints.indices = idx;
  return hints;
}

// answer builds the assistant message for one chat-completions request.
function answer(body) {
  const rf = body.response_format || {};
  const js = rf.json_schema || {};
  if (rf.type === 'json_schema' && js.schema) {
    const name = keyOf(js.name);
    const value = instance(js.schema, js.schema, name.includes('split') ? 'stories' : js.name, 0, 0, hintsOf(body));
    return { name: js.name, content: JSON.stringify(value) };
  }
  if (rf.type === 'json_object') return { name: 'json_object', content: JSON.stringify({ summary: STORY, description: TEXT.description }) };
  return { name: 'text', content: TEXT.description };
}

/** startFakeLLM listens on 127.0.0.1 (port 0: any) and resolves to {url, requests, close}. */
export function startFakeLLM() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { raw += c; if (raw.length > 4 << 20) req.destroy(); });
    req.on('end', () => {
      const send = (status, obj) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.method === 'GET' && /\/models$/.test(req.url)) {
        send(200, { object: 'list', data: [{ id: 'fake-model', object: 'model', owned_by: 'e2e' }] });
        return;
      }
      if (req.method !== 'POST' || !/\/chat\/completions$/.test(req.url)) {
        send(404, { error: { message: 'not found: ' + req.method + ' ' + req.url, type: 'invalid_request_error' } });
        return;
      }
      let body;
      try { body = JSON.parse(raw); } catch (e) {
        send(400, { error: { message: 'invalid JSON', type: 'invalid_request_error' } });
        return;
      }
      const a = answer(body);
      requests.push({ at: Date.now(), schema: a.name, model: body.model, auth: req.headers.authorization || '' });
      const prompt = JSON.stringify(body.messages || []).length;
      send(200, {
        id: 'chatcmpl-e2e-' + requests.length,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model || 'fake-model',
        choices: [{ index: 0, message: { role: 'assistant', content: a.content }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: Math.ceil(prompt / 4), completion_tokens: Math.ceil(a.content.length / 4), total_tokens: Math.ceil((prompt + a.content.length) / 4) },
      });
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolvePromise({
        url: `http://127.0.0.1:${port}/v1`,
        requests,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
