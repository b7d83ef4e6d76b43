import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The dependency direction of DESIGN.md: api → services → store | scheduler | runtime | broker → core
 * (the message brokers may use the store: the embedded one keeps its queues there).
 * Each entry forbids a folder from importing the folders listed.
 */
const layerRules = [
  { from: 'src/core/**', forbid: ['**/store/**', '**/services/**', '**/scheduler/**', '**/worker/**', '**/runtime/**', '**/api/**', '**/cli/**'] },
  { from: 'src/store/**', forbid: ['**/services/**', '**/scheduler/**', '**/worker/**', '**/runtime/**', '**/api/**', '**/cli/**'] },
  { from: 'src/runtime/**', forbid: ['**/store/**', '**/services/**', '**/scheduler/**', '**/api/**', '**/cli/**'] },
  { from: 'src/scheduler/**', forbid: ['**/services/**', '**/api/**', '**/cli/**', '**/worker/**'] },
  { from: 'src/worker/**', forbid: ['**/store/**', '**/services/**', '**/scheduler/**', '**/api/**', '**/cli/**'] },
  { from: 'src/broker/**', forbid: ['**/services/**', '**/scheduler/**', '**/worker/**', '**/runtime/**', '**/api/**', '**/cli/**'] },
  { from: 'src/services/**', forbid: ['**/api/**', '**/cli/**'] },
  // The pilot runs on its own inside a task's sandbox: it may share core's types, nothing else.
  { from: 'src/pilot/**', forbid: ['**/store/**', '**/services/**', '**/scheduler/**', '**/worker/**', '**/runtime/**', '**/api/**', '**/cli/**', '**/broker/**'] },
  { from: 'src/api/tork/**', forbid: ['**/api/zoe/**', '**/api/zeroboot/**', '**/api/cockpit/**', '**/api/ewms/**', '**/store/**'] },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // JSON answers in tests are read field by field; typing each wire shape there adds noise, not safety.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The warm node sandbox's bootstrap: plain CommonJS that node runs as it is.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', globalThis: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...layerRules.map(({ from, forbid }) => ({
    files: [from],
    rules: {
      'no-restricted-imports': ['error', { patterns: forbid.map((group) => ({ group: [group], message: 'This import breaks the dependency direction of DESIGN.md.' })) }],
    },
  })),
);
