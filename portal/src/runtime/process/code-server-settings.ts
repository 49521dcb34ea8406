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
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.openRepositoryInParentFolders': 'never',
  'terminal.integrated.defaultProfile.linux': 'bash',
  'files.autoSave': 'afterDelay',
  // The Codeyard extension announces the app's URL (the preview host); VS Code's own port
  // forwarding would offer a second, wrong one.
  'remote.autoForwardPorts': false,
  // Trimmed for memory: no type downloads through npm in the background (the TypeScript server
  // still gives JS/TS language features), no task auto-detection scans, no watchers in
  // regenerable folders, no experiment fetches.
  'typescript.disableAutomaticTypeAcquisition': true,
  // One TypeScript server per repl, not two (the extra syntax-only one costs ~140 MB here).
  'typescript.tsserver.useSyntaxServer': 'never',
  'npm.autoDetect': 'off',
  'task.autoDetect': 'off',
  'workbench.enableExperiments': false,
  'files.watcherExclude': { '**/node_modules/**': true, '**/target/**': true, '**/.venv/**': true, '**/__pycache__/**': true },
});

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
