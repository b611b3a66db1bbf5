// Lint for what the type checker lets through: a promise nobody awaits or catches. In a
// server that is an unhandled rejection, which ends the Node process.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';
import svelteConfig from './web/svelte.config.js';

export default defineConfig(
  // Build output, what `svelte-kit sync` and Paraglide generate, and the local data of `npm start`.
  { ignores: ['**/node_modules/', 'web/.svelte-kit/', 'web/build/', 'web/src/lib/paraglide/', '.mchat/'] },
  {
    // The three hand-written JS files: plain recommended rules, no types.
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    files: ['**/*.ts', '**/*.svelte'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        // Typed linting through each file's nearest tsconfig: the root one, and web/tsconfig.json
        // (which extends what `svelte-kit sync` generates) for web/, so $lib and $schemas resolve.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    rules: {
      // The point of this config: every promise is awaited, caught, or explicitly `void`ed, and no
      // async function is handed to a caller that ignores what it returns (event emitters, timers).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Not require-await: all 54 of its findings were deliberate async functions without an
      // await (fakes of async interfaces in tests, Temporal activities, a throw that must become a
      // rejection), so it would only teach people to silence it.
      // tsc's noUnused* convention: a leading underscore marks an unused parameter, and the
      // `{ dropped: _, ...rest }` destructuring is how the code leaves a property out.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['web/src/**/*.svelte', 'web/src/**/*.svelte.ts'],
    extends: [svelte.configs.recommended],
    languageOptions: { parserOptions: { parser: tseslint.parser, svelteConfig } },
    rules: {
      // TypeScript (svelte-check) already checks names, and knows the browser's globals.
      'no-undef': 'off',
      // The app is served at the root (no kit.paths.base), and attachment links are URLs the
      // gateway signed, which resolve() must not touch.
      'svelte/no-navigation-without-resolve': 'off',
    },
  },
);
