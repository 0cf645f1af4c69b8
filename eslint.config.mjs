// Lint of the JupyterLab panel's TypeScript (labextension/) and of the browser tests (ui-tests/).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/**', 'build/**', 'mlestar_lab/**', '**/node_modules/**', 'test-artifacts/**', 'ui-tests/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['labextension/**/*.{ts,tsx}', 'ui-tests/tests/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      'no-console': ['error', { allow: ['error', 'warn'] }]
    }
  }
);
