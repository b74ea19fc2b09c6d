// Lint: typescript-eslint recommended plus the layer rule of ARCHITECTURE.md
// (a layer imports another layer only through its index.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const LAYERS = ['crypto', 'keys', 'twoparty', 'membership', 'ordering', 'dcgka', 'data', 'message', 'group', 'mls', 'store', 'transport', 'peer', 'cli'];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-check/**', 'node_modules/**', 'examples/browser/dist/**', 'bench/results/**', '.stryker-tmp/**', 'reports/**', '.tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: LAYERS.map((layer) => ({
          // transport/hypercore is a public surface of its own (its own package subpath, loaded only when used)
          group: [`../${layer}/*`, `!../${layer}/index.js`, ...(layer === 'transport' ? ['!../transport/hypercore.js'] : [])],
          message: `Import the ${layer} layer through its index.ts only.`,
        })),
      }],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
