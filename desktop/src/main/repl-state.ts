import type { AppState, Repl } from '@codeyard/common/api/models';
import type { ToolbarState } from '../shared/ipc-channels.js';

const STATUS_LABELS: Record<Repl['status'], string> = { running: 'Running', starting: 'Starting', stopping: 'Stopping', stopped: 'Stopped', error: 'Error' };

/** The app's state in a few words, as the portal's Codeyard bar says it. */
export function appLabel(app: AppState): string {
  if (app.running) return app.command ? `Running: ${app.command}` : 'Running';
  if (!app.exitedAt) return 'Not running';
  if (app.stopped) return 'Stopped';
  if (app.signal) return `Ended by ${app.signal}`;
  return `Exited with code ${app.exitCode}`;
}

/** Where the preview of a repl is: the port that is public or the stack's port. */
export function previewUrlOf(repl: Repl): string | undefined {
  const port = repl.ports.find((p) => p.port === repl.port) ?? repl.ports[0];
  return port?.url ?? repl.previewUrl;
}

export interface ViewState {
  previewOpen: boolean;
  previewDetached: boolean;
  /** A Run or Stop pressed here, not answered yet. */
  busy: boolean;
  error?: string;
}

/**
 * What the toolbar and the Repl menu show for a repl: Run or Stop app as the app's state says,
 * whoever pressed it (VS Code, the web page, the API): the state comes from the portal's event
 * stream, so the buttons follow every change.
 */
export function toolbarState(repl: Repl, view: ViewState): ToolbarState {
  const running = repl.app.running;
  const transitioning = repl.status === 'stopping';
  return {
    replId: repl.id,
    name: repl.name,
    status: repl.status,
    statusLabel: repl.queue ? `Waiting for room (#${repl.queue.position})` : STATUS_LABELS[repl.status],
    app: { running, label: appLabel(repl.app) },
    // "Stop app", as everywhere: the repl keeps running (Stop repl is the dashboard's).
    run: running ? { label: 'Stop app', action: 'stop', enabled: !view.busy } : { label: 'Run', action: 'run', enabled: !view.busy && !transitioning },
    preview: { url: previewUrlOf(repl), open: view.previewOpen, detached: view.previewDetached, enabled: running || view.previewOpen },
    busy: view.busy,
    ...(view.error ? { error: view.error } : {}),
  };
}

/** The window's title: the repl and what its app does, e.g. "hello-node — Running: npm start". */
export function windowTitle(repl: Pick<Repl, 'name' | 'status' | 'app'>): string {
  if (repl.status !== 'running') return `${repl.name} — ${STATUS_LABELS[repl.status]} · Codeyard`;
  return `${repl.name} — ${appLabel(repl.app)} · Codeyard`;
}

/**
 * The dock (macOS) or launcher (Linux Unity) badge: how many of the open repls have their app
 * running; a mark when one of them crashed since it was last looked at.
 */
export function badgeOf(repls: ReadonlyArray<Pick<Repl, 'app'>>, crashed: number): { count: number; text: string } {
  const running = repls.filter((r) => r.app.running).length;
  if (crashed > 0) return { count: running + crashed, text: '!' };
  return { count: running, text: running ? String(running) : '' };
}

/**
 * The notification to show when a repl's app ended by itself (a crash: a non-zero exit code or
 * a signal it was not sent by Stop), or undefined. `before` is the last state seen.
 */
export function crashNotice(before: Pick<Repl, 'app'> | undefined, after: Pick<Repl, 'name' | 'app' | 'status'>): { title: string; body: string } | undefined {
  if (!before?.app.running || after.app.running) return undefined;
  const app = after.app;
  if (app.stopped) return undefined;
  // The repl was stopped (or is stopping): its app ended with it, on purpose.
  if (after.status === 'stopping' || after.status === 'stopped') return undefined;
  if (app.exitCode === 0 && !app.signal) return undefined;
  const how = app.signal ? `was ended by ${app.signal}` : app.exitCode != null ? `exited with code ${app.exitCode}` : 'ended';
  const restart = app.gaveUp ? ` Not restarted: ${app.gaveUp}` : app.restartAt ? ' It is restarted shortly (always on).' : '';
  return { title: `${after.name}: the app crashed`, body: `The app ${how}.${restart}` };
}
