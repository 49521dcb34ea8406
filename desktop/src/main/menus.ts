import type { ToolbarState } from '../shared/ipc-channels.js';

/**
 * Menus as plain templates (Electron's MenuItemConstructorOptions without the click
 * functions): pure, so tests read them; the caller adds `click` from `id`.
 */
export interface MenuItemSpec {
  id?: string;
  label?: string;
  role?: string;
  type?: 'separator' | 'submenu' | 'normal' | 'checkbox';
  accelerator?: string;
  enabled?: boolean;
  checked?: boolean;
  submenu?: MenuItemSpec[];
}

/** The Repl menu of a repl window, in step with its toolbar. */
export function replMenu(state: ToolbarState | undefined): MenuItemSpec {
  const on = !!state;
  return {
    label: 'Repl',
    submenu: [
      { id: state?.run.action ?? 'run', label: state?.run.label ?? 'Run', accelerator: 'CmdOrCtrl+Enter', enabled: on && state.run.enabled },
      { type: 'separator' },
      { id: state?.preview.open ? 'close-preview' : 'open-preview', label: state?.preview.open ? 'Close Preview' : 'Open Preview', accelerator: 'CmdOrCtrl+Shift+P', enabled: on && (state.preview.enabled || state.preview.open) },
      { id: 'detach-preview', label: state?.preview.detached ? 'Attach Preview' : 'Detach Preview', enabled: on && state.preview.open },
      { id: 'open-in-browser', label: 'Open in Browser', enabled: on && !!state.preview.url },
      { id: 'copy-preview-url', label: 'Copy Preview URL', enabled: on && !!state.preview.url },
    ],
  };
}

/** The application menu: the platform's usual menus with the Repl menu among them. */
export function applicationMenu(state: ToolbarState | undefined, platform: NodeJS.Platform): MenuItemSpec[] {
  const mac = platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' }] : []),
    { label: 'File', submenu: [{ id: 'home', label: 'Show Repls', accelerator: 'CmdOrCtrl+Shift+H' }, { type: 'separator' }, { role: mac ? 'close' : 'quit' }] },
    { role: 'editMenu' },
    replMenu(state),
    { label: 'View', submenu: [{ role: 'reload' }, { role: 'togglefullscreen' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }] },
    { role: 'windowMenu' },
  ];
}

export interface TrayRepl {
  server: string;
  id: string;
  name: string;
  /** The repl runs (its sandbox is up). */
  running: boolean;
  appRunning: boolean;
}

/** The tray menu: the running repls (▶ when their app runs), each opening its window; then Show and Quit. */
export function trayMenu(repls: readonly TrayRepl[]): MenuItemSpec[] {
  const running = repls.filter((r) => r.running).sort((a, b) => a.name.localeCompare(b.name));
  return [
    ...(running.length
      ? [{ label: 'Running repls', enabled: false }, ...running.map((r) => ({ id: `open:${r.server} ${r.id}`, label: `${r.appRunning ? '▶ ' : ''}${r.name} — ${new URL(r.server).host}` }))]
      : [{ label: 'No repl running', enabled: false }]),
    { type: 'separator' },
    { id: 'home', label: 'Show Codeyard' },
    { id: 'quit', label: 'Quit Codeyard', role: 'quit' },
  ];
}

/** The tray's tooltip. */
export function trayTooltip(repls: readonly TrayRepl[]): string {
  const n = repls.filter((r) => r.appRunning).length;
  return n ? `Codeyard — ${n} app${n === 1 ? '' : 's'} running` : 'Codeyard';
}
