import type { ReplInfo, ServedRepl } from '@codeyard/common/agent/config';
import { ideInfoVariables, REPL_VARIABLES, replIdVariables } from '@codeyard/common/agent/repl-variables';
import type { AppState, LogFrame, SyncStatus } from '@codeyard/common/agent/protocol';

/**
 * What the extension shows, computed from what the agent says: pure functions, no VS Code API,
 * so they are tested with node:test alone.
 */

/**
 * Where the extension finds the repl and what it shows: the agent's socket and the repl's info
 * (environment variables the agent sets for code-server; replId '', port 0 and previewUrl ''
 * when unknown, as in a code-server started ahead in the warm pool).
 */
export interface ReplEnv extends ServedRepl {
  socket: string;
}

/** The repl info from code-server's environment; undefined outside a repl (no agent socket). */
export function replInfoFromEnv(env: NodeJS.ProcessEnv): ReplEnv | undefined {
  const socket = env.CODEYARD_AGENT_SOCKET;
  if (!socket) return undefined;
  const port = Number(env[REPL_VARIABLES.port]);
  return {
    socket,
    replId: env[REPL_VARIABLES.id] ?? '',
    name: env[REPL_VARIABLES.name] ?? '',
    stack: env[REPL_VARIABLES.stack] ?? '',
    port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 0,
    previewUrl: env[REPL_VARIABLES.previewUrl] ?? '',
    ...(env[REPL_VARIABLES.portalUrl] ? { portalUrl: env[REPL_VARIABLES.portalUrl] } : {}),
    ...(env[REPL_VARIABLES.classroom] ? { classroom: env[REPL_VARIABLES.classroom] } : {}),
  };
}

/**
 * What new terminals must get on top of code-server's own environment (`env`) to describe the
 * repl the agent serves as a repl started cold does: nothing there, and in a code-server
 * started ahead in the warm pool, before its repl existed, the repl's id, name and preview.
 */
export function terminalVariables(repl: ServedRepl, env: NodeJS.ProcessEnv): Record<string, string> {
  const wanted = { ...replIdVariables(repl.replId), ...ideInfoVariables(repl) };
  return Object.fromEntries(Object.entries(wanted).filter(([name, value]) => env[name] !== value));
}

/** Text for a terminal: line ends as CR LF (a pseudoterminal does no translation), colours kept. */
export function toTerminalText(data: string): string {
  return data.replace(/\r?\n/g, '\r\n');
}

/** The terminal text of one frame; state frames print nothing. */
export function frameText(frame: LogFrame): string {
  return frame.type === 'output' ? toTerminalText(frame.data) : '';
}

/**
 * A reconnected log stream replays the agent's backlog: frames already shown are skipped (by
 * timestamp, counting frames that share the last one), so the terminal never repeats itself.
 */
export class BacklogFilter {
  #lastAt = '';
  #atLast = 0;
  #replayAt = '';
  #replaySkip = 0;

  /** Call when a new connection opens: what follows starts with the backlog. */
  reconnected(): void {
    this.#replayAt = this.#lastAt;
    this.#replaySkip = this.#atLast;
  }

  /** True when the output frame is new and is to be shown. */
  accept(frame: LogFrame): boolean {
    if (frame.type !== 'output') return true;
    if (this.#replayAt) {
      if (frame.at < this.#replayAt) return false;
      if (frame.at === this.#replayAt && this.#replaySkip > 0) {
        this.#replaySkip--;
        return false;
      }
      this.#replayAt = '';
    }
    if (frame.at === this.#lastAt) this.#atLast++;
    else {
      this.#lastAt = frame.at;
      this.#atLast = 1;
    }
    return true;
  }
}

export interface AppView {
  /** Value of the `codeyard.appRunning` context key. */
  running: boolean;
  /** The status bar's Run / Stop app item. */
  text: string;
  tooltip: string;
  command: 'codeyard.run' | 'codeyard.stop';
  /** The status bar's Restart item, shown while the app runs. */
  restart?: { text: string; tooltip: string };
}

/** The keybinding of Restart App (package.json), for tooltips. */
export const RESTART_KEY = 'Ctrl+Shift+F5';

/**
 * The Run / Stop app and Restart controls for an app state; `connected` false while the agent is
 * out of reach. The words are the ones used everywhere: Run, Restart and Stop app act on the app;
 * Start repl and Stop repl (the dashboard) on the whole repl.
 */
export function appView(state: AppState | undefined, connected: boolean): AppView {
  if (!connected || !state) return { running: false, text: '▶ Run', tooltip: 'Connecting to the repl agent…', command: 'codeyard.run' };
  if (state.running) {
    const what = state.command ? `: ${state.command}` : '';
    return {
      running: true,
      text: '■ Stop app',
      tooltip: `Stop the app${what} (the repl keeps running)`,
      command: 'codeyard.stop',
      restart: { text: '$(debug-restart)', tooltip: `Restart the app with the code as it is now (${RESTART_KEY}, or Run again)` },
    };
  }
  return { running: false, text: '▶ Run', tooltip: `Run the app${lastRun(state)}`, command: 'codeyard.run' };
}

function lastRun(state: AppState): string {
  if (!state.exitedAt) return '';
  if (state.stopped) return ' (last run stopped)';
  if (state.signal) return ` (last run ended by ${state.signal})`;
  if (state.exitCode !== undefined && state.exitCode !== null) return ` (last run exited with code ${state.exitCode})`;
  return '';
}

/** Whether a state change is the start of a new run (the moment to watch for the port). */
export function runStarted(before: AppState | undefined, after: AppState): boolean {
  return after.running && (!before?.running || before.startedAt !== after.startedAt);
}

export interface SyncView {
  text: string;
  tooltip: string;
}

const MAX_REASON = 48;

/** The status bar's save indicator; undefined (hidden) when the repl does not sync. */
export function syncView(status: SyncStatus | undefined): SyncView | undefined {
  if (!status) return undefined;
  const last = status.lastSyncAt ? `\nLast saved ${new Date(status.lastSyncAt).toLocaleString()}` : '';
  switch (status.state) {
    case 'synced':
      return { text: '$(cloud) Saved', tooltip: `All files are saved${last}` };
    case 'pending':
    case 'syncing':
      return { text: status.pending > 0 ? `$(sync~spin) Saving ${status.pending}` : '$(sync~spin) Saving', tooltip: `${status.pending} changed ${status.pending === 1 ? 'path' : 'paths'} being saved${last}` };
    case 'degraded': {
      const reason = status.reason ?? 'the store does not answer';
      const short = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
      return { text: `$(warning) Not saved: ${short}`, tooltip: `Not saved: ${reason}. Your files are safe here; saving is retried.${last}` };
    }
    case 'restoring': {
      const progress = status.restore ? ` ${status.restore.done}/${status.restore.total}` : '';
      return { text: `$(sync~spin) Restoring${progress}`, tooltip: 'Restoring the workspace from the store' };
    }
    case 'starting':
      return { text: '$(sync~spin) Starting', tooltip: 'Workspace saving is starting' };
    default:
      return { text: `$(question) ${String(status.state)}`, tooltip: 'Unknown save state' };
  }
}

/**
 * The save indicator when editors hold changes VS Code did not manage to write (auto save is on,
 * yet they stay modified): this wins over the workspace's own state, which only knows the disk.
 */
export function unsavedEditorsView(names: readonly string[]): SyncView | undefined {
  if (!names.length) return undefined;
  const shown = names.slice(0, 2).join(', ') + (names.length > 2 ? ` +${names.length - 2}` : '');
  return {
    text: `$(warning) Not saved: ${shown}`,
    tooltip: `VS Code could not save ${names.join(', ')}: the file may have changed on disk, or cannot be written. Save again (Ctrl+S) and choose Compare or Overwrite; your changes are still in the editor.`,
  };
}

/** The status bar's repl item: name and stack; it leads back to the dashboard. */
export function replLabel(info: ReplInfo): { text: string; tooltip: string } {
  const name = info.name || 'repl';
  const text = info.stack ? `$(home) Codeyard: ${name} · ${info.stack}` : `$(home) Codeyard: ${name}`;
  const preview = info.previewUrl ? `\nPreview: ${info.previewUrl}` : '';
  return { text, tooltip: `${name}${info.stack ? ` (${info.stack})` : ''}${preview}\nClick to go back to the Codeyard dashboard` };
}
