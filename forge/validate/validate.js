// Validates a Forge manifest with Atlassian's own validator
// (@forge/manifest, the one `forge lint` and `forge deploy` use).
// Usage: node validate.js PATH/manifest.yml
// FORGE_APP_ID and BACKLOGAI_URL are the manifest's deploy-time variables;
// stand-ins are used when unset so the structure can be checked offline.
'use strict';

const { validate } = require('@forge/manifest');

async function main() {
  const path = process.argv[2];
  if (!path) {
    console.error('usage: node validate.js manifest.yml');
    process.exit(2);
  }
  process.env.FORGE_APP_ID ||= '00000000-0000-4000-8000-000000000000';
  process.env.BACKLOGAI_URL ||= 'https://backlogai.example.com';
  const res = await validate(false, path);
  for (const e of res.errors || []) {
    const where = e.reference ? ` (${e.reference})` : '';
    console.error(`${e.level || 'error'}: ${e.message}${where}`);
  }
  if (!res.success) {
    console.error('manifest invalid');
    process.exit(1);
  }
  console.log('manifest valid');
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
