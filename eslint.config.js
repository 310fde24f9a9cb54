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
    files: ['scripts/**', 'bench/**', '**/main.ts', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
