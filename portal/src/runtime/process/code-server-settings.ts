import { INSIDE } from './sandbox.js';

/** The setting naming the Node that runs VS Code's TypeScript server (the unified name; `typescript.tsserver.nodePath` before). */
export const TSSERVER_NODE_SETTING = 'js/ts.tsserver.node.path';

/**
 * VS Code user settings that make a repl open ready to work: no Restricted Mode banner, no
 * Welcome tab, no AI chat panel (so no agent host process either), no telemetry or update
 * checks. Settings a user changed later are kept: ours are only the defaults (the agent merges them, see
 * agent/src/ide-settings.ts).
 */
export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  // VS Code's own spelling: `false` is migrated to 'off' by VS Code at the first start, which
  // opens and saves settings.json (a JSON document, so the JSON language server starts for it).
  'extensions.autoUpdate': 'off',
  'extensions.ignoreRecommendations': true,
  'git.openRepositoryInParentFolders': 'never',
  'terminal.integrated.defaultProfile.linux': 'bash',
  'files.autoSave': 'afterDelay',
  // The Codeyard extension announces the app's URL (the preview host); VS Code's own port
  // forwarding would offer a second, wrong one.
  'remote.autoForwardPorts': false,
  // The Codeyard bar's page puts this (the active file) before the repl's name in the tab's title.
  'window.title': '${dirty}${activeEditorShort}',
  // Trimmed for memory: no type downloads through npm in the background (the TypeScript server
  // still gives JS/TS language features), no task auto-detection scans, no watchers in
  // regenerable folders, no experiment fetches.
  'typescript.disableAutomaticTypeAcquisition': true,
  // One TypeScript server per repl, not two (the extra syntax-only one costs ~140 MB here).
  'typescript.tsserver.useSyntaxServer': 'never',
  // Its Node with a small young generation and the idle collection (agent/src/tsserver-node.sh):
  // the extension starts the server with flags of its own, so this is the only way to add ours.
  // Where that file is not (an unsandboxed portal, an external code-server) the runtime changes
  // or drops this (SandboxSpawner.ideTuning).
  [TSSERVER_NODE_SETTING]: INSIDE.tsserverNode,
  'npm.autoDetect': 'off',
  // Codeyard's Run starts the app: no "Debug" code lens over package.json's scripts offering
  // another way that bypasses it (a launch.json still debugs, with F5).
  'debug.javascript.codelens.npmScripts': 'never',
  'task.autoDetect': 'off',
  'workbench.enableExperiments': false,
  // VS Code's chat model settings file is opened as a JSON document at every start, even with AI
  // features off (its ILanguageModelsConfigurationService reads it), and any JSON document starts
  // the JSON language server (~25 MB) with configuration-editing and npm beside it. Read as plain
  // text, it starts nothing: the JSON server then starts when the user opens a JSON file.
  'files.associations': { '**/User/chatLanguageModels.json': 'plaintext', '**/User/profiles/*/chatLanguageModels.json': 'plaintext' },
  'files.watcherExclude': { '**/.git/objects/**': true, '**/node_modules/**': true, '**/target/**': true, '**/.venv/**': true, '**/__pycache__/**': true },
  // code-server's memory tuning (CODE_SERVER_ENV) is not for the user's own programs.
  'terminal.integrated.env.linux': { MALLOC_ARENA_MAX: null, MALLOC_MMAP_THRESHOLD_: null, MALLOC_TRIM_THRESHOLD_: null, CODEYARD_IDE_NODE: null },
});

/**
 * Variables code-server runs with, on top of the repl's own: glibc's malloc keeps at most two
 * arenas per process instead of one per thread (8 per core). code-server's server compresses
 * what it serves on libuv's worker threads, and each thread's arena kept what it had held: the
 * server held ~190 MB after one workbench load, ~150 MB with this (measured with
 * `npm run bench -- memory`). And fixed mmap and trim thresholds (128 KiB, glibc's defaults):
 * glibc otherwise raises both as large blocks are freed (up to 32 MiB), so the buffers of a
 * workbench load or a project parse come from, and stay in, the heap; with them fixed such blocks
 * are mapped apart and unmapped when freed. Measured (gdb calling malloc_trim on settled
 * processes): the heaps had held 25 MB freed but resident in code-server's server, ~8 MB in the
 * extension host; with these the server settles at ~54 MB PSS instead of ~73, and no slower
 * TypeScript start was measured. They reach the extension host and language servers too; not
 * the repl's terminals (see DEFAULT_SETTINGS) nor its app (the agent starts that).
 */
export const CODE_SERVER_ENV: Readonly<Record<string, string>> = Object.freeze({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' });

/**
 * code-server's environment: CODE_SERVER_ENV, and the Node it runs on (`node`, its own: a repl's
 * PATH has the stack's toolchain, which may be another Node) for tsserver-node to run the
 * TypeScript server with.
 */
export function codeServerEnv(node: string | undefined): Record<string, string> {
  return { ...CODE_SERVER_ENV, ...(node ? { CODEYARD_IDE_NODE: node } : {}) };
}

/**
 * Node flags of code-server's server process (and of the helpers it forks with its own flags:
 * the file watcher, the terminal host). A young generation of 1 MB per semi-space instead of up
 * to 16 MB: the server allocates in bursts (a workbench load) and V8 kept the grown space.
 * VS Code removes NODE_OPTIONS from what it starts, which is why these are flags on the command
 * line and not in the environment; the extension host gets them too (VS Code forks it with the
 * server's own flags, and adds its own).
 *
 * With `idleGc` (agent/src/idle-gc.ts, as these processes see it), each of them preloads it and
 * gives its memory back once it has gone quiet after work.
 */
export function codeServerNodeFlags(idleGc: string | undefined): string[] {
  return ['--max-semi-space-size=1', ...(idleGc ? [`--require=${idleGc}`] : [])];
}

/** code-server's command-line flags for one repl (after the program and its entry script). */
export function codeServerArgs(options: { socketPath: string; userDataDir: string; extensionsDir: string; configFile: string; workspace: string; builtinExtensionsDir?: string }): string[] {
  return [
    '--auth', 'none',
    '--socket', options.socketPath,
    '--socket-mode', '600',
    '--config', options.configFile,
    '--user-data-dir', options.userDataDir,
    '--extensions-dir', options.extensionsDir,
    // code-server's built-ins plus the Codeyard extension (see ide-extensions.ts).
    ...(options.builtinExtensionsDir ? ['--builtin-extensions-dir', options.builtinExtensionsDir] : []),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    options.workspace,
  ];
}
