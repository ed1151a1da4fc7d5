// ESLint for the browser scripts in static/ (`make lint` runs it). They are
// plain scripts loaded by <script defer>; a file ending .mjs is an ES module.
import js from '@eslint/js';
import globals from 'globals';

export default [
  js.configs.recommended,
  {
    // `catch (e) {}` that ignores the error on purpose is the scripts' way
    // of saying "optional" (storage, JSON bodies); other unused names count.
    rules: { 'no-unused-vars': ['error', { caughtErrors: 'none' }] },
  },
  {
    files: ['static/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'script',
      globals: { ...globals.browser, AP: 'readonly', BAI: 'readonly' },
    },
  },
  {
    files: ['static/**/*.mjs'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser, AP: 'readonly' },
    },
  },
];
