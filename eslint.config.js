import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
    files: ['scripts/**', 'bench/**', '**/main.ts', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
