// Stryker ignorer: skips mutants inside the message text of `new SomethingError(code, message)`.
// The code, the error class and the throwing condition stay mutated and tested; the human-readable
// wording is not behaviour (tests assert codes, which are stable; messages may be reworded).
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'error-messages', {
    shouldIgnore(path) {
      const parent = path.parentPath;
      if (parent === null || parent.node.type !== 'NewExpression') return undefined;
      if (path.listKey !== 'arguments' || path.key !== 1) return undefined;
      const callee = parent.node.callee;
      if (callee.type !== 'Identifier' || !/Error$/.test(callee.name)) return undefined;
      return 'error message text (codes are asserted, wording is not behaviour)';
    },
  }),
];
