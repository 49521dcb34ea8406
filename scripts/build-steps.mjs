// What `npm run build` makes, step by step, and what each step reads (see build-stamp.mjs for
// how a step is skipped). Inputs are named generously: a file listed that a step does not really
// read costs a needless rebuild at worst, a file missing from the list a stale build.

/** What every step depends on: the lockfile and the tree npm really installed from it. */
const INSTALLED = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json'];
const PACKAGES = ['common', 'agent', 'proxy', 'portal', 'vscode-extension', 'desktop', 'cli'];
/** The compiled shared package, as the bundlers read it (its `exports` point into dist/src). */
const COMMON_BUILT = ['common/package.json', { path: 'common/dist/src', ext: ['.js', '.d.ts'] }];

/** @type {import('./build-stamp.mjs').Step[]} */
export const STEPS = [
  {
    // The Node packages, through TypeScript's own incremental build; skipped whole when no
    // TypeScript source, config or installed type changed, since even a no-op `tsc -b` loads
    // the compiler (~0.6 s).
    name: 'tsc',
    inputs: [
      ...INSTALLED,
      'tsconfig.json',
      'tsconfig.base.json',
      ...PACKAGES.flatMap((p) => [`${p}/package.json`, `${p}/tsconfig.json`, { path: `${p}/src`, ext: ['.ts'] }, { path: `${p}/test`, ext: ['.ts'] }]),
      { path: 'portal/bench', ext: ['.ts'] },
    ],
    outputs: [...PACKAGES.flatMap((p) => [`${p}/dist/tsconfig.tsbuildinfo`, `${p}/dist/src`]), ...PACKAGES.map((p) => `${p}/dist/test`), 'portal/dist/bench'],
    tools: [{ name: 'typescript' }],
    command: ['node', 'node_modules/typescript/bin/tsc', '-b'],
  },
  {
    name: 'agent',
    inputs: [...INSTALLED, 'agent/package.json', 'agent/src', ...COMMON_BUILT],
    outputs: ['agent/dist/codeyard-agent.cjs', 'agent/dist/code-server-launch.cjs', 'agent/dist/idle-gc.cjs', 'agent/dist/tsserver-node'],
    tools: [{ name: 'esbuild', from: 'agent' }],
    command: ['npm', 'run', 'build', '--silent', '-w', '@codeyard/agent'],
  },
  {
    name: 'extension',
    inputs: [...INSTALLED, 'vscode-extension/package.json', 'vscode-extension/README.md', 'vscode-extension/src', 'vscode-extension/scripts', ...COMMON_BUILT],
    outputs: ['vscode-extension/dist/extension.js', 'vscode-extension/dist/codeyard.vsix'],
    tools: [{ name: 'esbuild', from: 'vscode-extension' }, { name: 'yazl', from: 'vscode-extension' }],
    command: ['npm', 'run', 'build', '--silent', '-w', '@codeyard/vscode-extension'],
  },
  {
    // The dashboard: its own type check, then Vite.
    name: 'ui',
    inputs: [...INSTALLED, 'portal/package.json', 'portal/ui', ...COMMON_BUILT],
    outputs: ['portal/dist/ui'],
    tools: [{ name: 'typescript', from: 'portal' }, { name: 'vite', from: 'portal' }],
    command: ['npm', 'run', 'build', '--silent', '-w', '@codeyard/portal'],
  },
  {
    // The desktop app's own pages (home, toolbar, splitter): their type check, then Vite. The
    // home page bundles the portal's Lit elements, so a change there rebuilds it too.
    name: 'desktop-ui',
    inputs: [...INSTALLED, 'desktop/package.json', 'desktop/ui', 'desktop/src/shared', 'desktop/build/icon.svg', 'portal/ui/src', ...COMMON_BUILT],
    outputs: ['desktop/dist/ui'],
    tools: [{ name: 'typescript', from: 'desktop' }, { name: 'vite', from: 'desktop' }],
    command: ['npm', 'run', 'build', '--silent', '-w', '@codeyard/desktop'],
  },
];
