// Lint is where process boundaries are enforced: shared/ is imported by everyone and imports
// nobody; the server never reaches into the desktop app and vice versa; ui/ (the components the
// desktop renderer and the web console share) imports only shared/; the console (server/console/)
// is browser code that speaks to the server over its public HTTP API alone, never its internals.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';

const noServer = {
  group: ['@enclave/server', '@enclave/server/*'],
  message: 'Only tests import the server package.',
};
// Electron is imported by a few thin files only (the shell and the preload); everything else in
// the desktop app is plain code, tested without Electron.
const noElectron = {
  name: 'electron',
  message: 'Import Electron only in desktop/src/main/electron/ and the preload entry',
};
const sandboxed = 'The renderer is sandboxed web code: no Node APIs and no main-process modules';
const noNode = { group: ['node:*'], message: sandboxed };
const browserOnly = 'Browser code (ui/, the console): no Node APIs and no server or main-process modules';
const mainOnly = ['electron', 'keytar', 'better-sqlite3-multiple-ciphers', 'ws', 'jose'].map((name) => ({
  name,
  message: sandboxed,
}));

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'coverage/**',
      '.enclave-data/**',
      'desktop/out/**',
      'server/console/dist/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Interfaces are async so that networked implementations fit (the PostgreSQL store, SMTP);
      // the embedded ones answer synchronously behind them.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './shared', from: './server', message: 'shared/ must not import server code' },
            { target: './shared', from: './desktop', message: 'shared/ must not import desktop code' },
            { target: './server', from: './desktop', message: 'server/ must not import desktop code' },
            { target: './desktop', from: './server', message: 'desktop/ must not import server code' },
            { target: './shared', from: './ui', message: 'shared/ holds contracts, not components' },
            {
              target: './ui',
              from: ['./server', './desktop'],
              message: 'ui/ is shared by the desktop renderer and the console and imports neither',
            },
            {
              target: './server/src',
              from: ['./ui', './server/console'],
              message: 'The server process does not import browser code',
            },
            {
              target: './server/console',
              from: ['./server/src', './server/scripts'],
              message: 'The console speaks only the public HTTP API: no server internals',
            },
            {
              target: './desktop/src/main',
              from: './ui',
              message: 'main has no user interface: ui/ is for the renderer',
            },
            {
              target: './desktop/src/renderer',
              from: ['./desktop/src/main', './desktop/src/preload'],
              message: 'The renderer reaches main only through the preload bridge',
            },
            {
              target: './desktop/src/common',
              from: ['./desktop/src/main', './desktop/src/preload', './desktop/src/renderer'],
              message: 'desktop/src/common runs in every process and imports none of them',
            },
            {
              target: './desktop/src/main',
              from: ['./desktop/src/renderer', './desktop/src/preload'],
              message: 'main does not import renderer or preload code',
            },
            {
              target: './desktop/src/preload',
              from: ['./desktop/src/main', './desktop/src/renderer'],
              message: 'The preload imports only shared contracts',
            },
          ],
        },
      ],
      'no-restricted-imports': ['error', { patterns: [noServer] }],
    },
  },
  {
    files: ['desktop/src/**/*.ts', 'desktop/src/**/*.tsx'],
    ignores: ['desktop/src/main/electron/**', 'desktop/src/preload/preload.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [noServer] }] },
  },
  {
    files: ['desktop/src/renderer/**/*.ts', 'desktop/src/renderer/**/*.tsx', 'desktop/src/common/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: mainOnly, patterns: [noServer, noNode] }] },
  },
  {
    files: ['ui/src/**/*.ts', 'ui/src/**/*.tsx', 'server/console/src/**/*.ts', 'server/console/src/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: mainOnly.map(({ name }) => ({ name, message: browserOnly })),
          patterns: [noServer, { group: ['node:*'], message: browserOnly }],
        },
      ],
    },
  },
  {
    files: [
      'desktop/src/renderer/**/*.tsx',
      'desktop/src/renderer/**/*.ts',
      'ui/src/**/*.ts',
      'ui/src/**/*.tsx',
      'server/console/src/**/*.ts',
      'server/console/src/**/*.tsx',
    ],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@enclave/server*', '@enclave/desktop*'],
              message: 'shared/ imports nothing of server or desktop',
            },
            {
              group: ['node:*'],
              message: 'shared/ runs in every process, including the renderer: no Node APIs',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['*.js', '*.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
);
