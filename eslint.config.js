/**
 * Lint: typescript-eslint with type information (projectService), so rules that need types run:
 * no floating or misused promises, consistent type imports. Formatting is prettier's job, not eslint's.
 * Sources get their types from their package's tsconfig.json (and @mc-kit/core's built dist/, so build
 * first); tests, fixtures and test/ helpers, which those exclude, from the root tsconfig.json.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'test/fixtures/**', 'templates/*/template/**', '.jest-results.json'],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A leading underscore is this codebase's "unused on purpose": `for (const _ of s) n++` counts code
      // points, `{ codes: _unpacked, ...rest }` drops a field.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
);
