// ESLint for the browser files in static/ (`make lint` runs it). Served as
// they are, no build step. The classic scripts below are loaded by <script
// defer> (host.js first, then common.js, which sets window.BAI); every other
// file is a native ES module (the project page's tabs), loaded by <script
// type="module"> and importing its siblings by relative path.
import js from '@eslint/js';
import globals from 'globals';

const scripts = ['static/host.js', 'static/common.js', 'static/glance.js', 'static/insights.js', 'static/backlogtools.js', 'static/criteria.js'];

export default [
  js.configs.recommended,
  {
    // `catch (e) {}` that ignores the error on purpose is the scripts' way
    // of saying "optional" (storage, JSON bodies); other unused names count.
    rules: { 'no-unused-vars': ['error', { caughtErrors: 'none' }] },
  },
  {
    files: ['static/**/*.js', 'static/**/*.mjs'],
    ignores: scripts,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser, AP: 'readonly' },
    },
  },
  {
    files: scripts,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'script',
      globals: { ...globals.browser, AP: 'readonly', BAI: 'readonly' },
    },
  },
];
