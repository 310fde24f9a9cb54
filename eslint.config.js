import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importBoundaries from './scripts/eslint/import-boundaries.js';

export default tseslint.config(
  {
    ignores: [
      'gen/**',
      'node_modules/**',
      '**/dist/**',
      '**/dist.next/**',
      'bench/.bundle/**',
      '**/.data/**',
      'coverage/**',
      'proto-vendor/**',
      // Scratch space for trying Kith out by hand (see .gitignore).
      '**/scratch/**',
      '**/*.scratch.*',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Services never import one another (only the embedded host composes them); packages never
    // import services. A test may import what another service's package exports (its module,
    // its test harness), to host it beside its own, as auth's tests host the user module.
    files: ['packages/**', 'services/**'],
    plugins: { kith: { rules: { 'import-boundaries': importBoundaries } } },
    rules: {
      'kith/import-boundaries': ['error', { hosts: ['embedded'], testsMayHostServices: true }],
    },
  },
  {
    // One home for SQL per domain: only a `<domain>-store.ts` (plain `(db, …)` functions) or a
    // migration builds a query; a use case calls the store. Tests and test support are exempt.
    files: ['services/*/src/**/*.ts'],
    ignores: [
      '**/*-store.ts',
      '**/migrations/**',
      '**/*.test.ts',
      '**/testing/**',
      'services/embedded/src/e2e/**',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)$/]',
          message: 'Queries live in the domain’s <domain>-store.ts; call a store function here.',
        },
        {
          selector: 'TaggedTemplateExpression[tag.name="sql"]',
          message: 'Raw SQL lives in the domain’s <domain>-store.ts (or a migration).',
        },
      ],
    },
  },
  {
    files: ['scripts/**', 'bench/**', '**/main.ts', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
