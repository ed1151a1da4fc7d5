// Cross-check of server/connect against Atlassian's atlassian-jwt package.
// Run by atlassianjwt_test.go with NODE_PATH pointing at an npm install of
// atlassian-jwt@2. Reads one JSON job from stdin, writes one JSON answer.
//
// Job:    {qsh: [{method, url, baseUrl}],
//          decode: [{token, secret, method, url, baseUrl}],
//          sign: [{claims, secret, method, url, baseUrl}],
//          rs256: [{claims, privateKey, kid, method, url, baseUrl}]}
// Answer: {version, qsh: [{canonical, hash}],
//          decode: [{ok, error, claims, qsh}], sign: [{token}], rs256: [{token}]}
'use strict';

const jwt = require('atlassian-jwt');

function hash(method, url, baseUrl) {
  const req = jwt.fromMethodAndUrl(method, url);
  return {
    canonical: jwt.createCanonicalRequest(req, false, baseUrl),
    hash: jwt.createQueryStringHash(jwt.fromMethodAndUrl(method, url), false, baseUrl),
  };
}

function main(job) {
  const out = { version: jwt.version, qsh: [], decode: [], sign: [], rs256: [] };
  for (const c of job.qsh || []) {
    out.qsh.push(hash(c.method, c.url, c.baseUrl));
  }
  for (const c of job.decode || []) {
    const qsh = hash(c.method, c.url, c.baseUrl).hash;
    try {
      const claims = jwt.decodeSymmetric(c.token, c.secret, jwt.SymmetricAlgorithm.HS256);
      out.decode.push({ ok: true, claims, qsh });
    } catch (e) {
      out.decode.push({ ok: false, error: String(e.message || e).split(' for input')[0], qsh });
    }
  }
  for (const c of job.sign || []) {
    const claims = Object.assign({}, c.claims, { qsh: hash(c.method, c.url, c.baseUrl).hash });
    out.sign.push({ token: jwt.encodeSymmetric(claims, c.secret) });
  }
  for (const c of job.rs256 || []) {
    const claims = Object.assign({}, c.claims, { qsh: hash(c.method, c.url, c.baseUrl).hash });
    out.rs256.push({
      token: jwt.encodeAsymmetric(claims, c.privateKey, jwt.AsymmetricAlgorithm.RS256, { kid: c.kid }),
    });
  }
  return out;
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify(main(JSON.parse(input))));
});
