import { escapeHtml } from '@codeyard/common/html';
import { APP_PATH } from './access-policy.js';

/**
 * The Codeyard bar: the page a browser gets when it opens a repl's IDE, a thin bar (Run, or
 * Restart and Stop app while the app runs; the app's state, Open app) above VS Code in a frame of the same host. VS Code takes seconds
 * to load and its extension host seconds more before the extension's Run shows (see the README's
 * Performance section); this page is a few kilobytes with no script to fetch, so Run is usable
 * while VS Code still loads. It talks only to its own host: GET/POST `APP_PATH` (ReplProxy),
 * which the owner's host cookie opens, and polls the state to stay in step with Run pressed in
 * VS Code, the dashboard or the API. Run pressed while the app runs restarts it (as Replit's
 * does): the button says Restart then, with Stop app beside it.
 */

/** How often the bar asks for the app's state while the tab is visible. */
const POLL_MS = 2000;

export interface IdeBarOptions {
  /** Where the frame loads VS Code: `/` with the query the page was opened with. */
  frameSrc: string;
  replName: string;
  /**
   * code-server's versioned static prefix (`/<quality>-<commit>/static/`), when known: the
   * page then preloads what VS Code's page will ask for first (below).
   */
  staticPrefix?: string;
}

/**
 * What VS Code's page loads before it can draw anything (its `workbench.html`), fetched by the
 * bar's page as soon as its head is read: the frame's own page takes a while to come, and these
 * then wait in the HTTP cache, which the same-host frame shares. Module scripts are fetched in
 * CORS mode, hence `crossorigin` on the scripts (a preload in another mode would not be reused).
 */
const WORKBENCH_PRELOADS: Array<{ file: string; as: 'script' | 'style'; crossorigin: boolean }> = [
  { file: 'out/vs/code/browser/workbench/workbench.js', as: 'script', crossorigin: true },
  { file: 'out/nls.messages.js', as: 'script', crossorigin: true },
  { file: 'out/vs/code/browser/workbench/workbench.css', as: 'style', crossorigin: false },
];

function preloads(prefix: string | undefined): string {
  if (!prefix) return '';
  return WORKBENCH_PRELOADS.map((p) => `<link rel="preload" href="${escapeHtml(prefix + p.file)}" as="${p.as}"${p.crossorigin ? ' crossorigin' : ''}>\n`).join('');
}

const STYLE = `
  :root { color-scheme: light; font: 13px system-ui, sans-serif; }
  html, body { margin: 0; height: 100%; background: #f8f8f8; color: #3b3b3b; }
  body { display: flex; flex-direction: column; }
  #codeyard-bar { display: flex; align-items: center; gap: .6rem; height: 34px; padding: 0 .6rem; flex: none; border-bottom: 1px solid #e5e5e5; }
  #codeyard-bar .name { font-weight: 600; color: #1f1f1f; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 30vw; }
  #codeyard-bar button { font: inherit; border: 0; border-radius: 4px; padding: .25rem .8rem; cursor: pointer; color: white; background: #16a34a; }
  #codeyard-bar button.restart { background: #2563eb; }
  #codeyard-bar button.stop { background: #dc2626; }
  #codeyard-bar button[hidden] { display: none; }
  #codeyard-bar button:disabled { opacity: .5; cursor: default; }
  #codeyard-bar button:focus-visible, #codeyard-bar a:focus-visible { outline: 2px solid #3b82f6; outline-offset: 2px; }
  #codeyard-bar a { color: #005fb8; }
  #codeyard-bar a[aria-disabled="true"] { color: #8a8a8a; pointer-events: none; }
  #codeyard-bar .spacer { flex: 1; }
  iframe { flex: 1; width: 100%; border: 0; }
`;

/** The bar's script: state polling, Run (Restart while the app runs) and Stop app. Plain ES2020, no imports. */
const SCRIPT = `
const APP = ${JSON.stringify(APP_PATH)};
const button = document.getElementById('codeyard-run');
const stop = document.getElementById('codeyard-stop');
const status = document.getElementById('codeyard-app-status');
const open = document.getElementById('codeyard-open');
// Keys go to VS Code from the start, as they did before the bar was around it.
const ide = document.getElementById('codeyard-ide');
ide.focus();
ide.addEventListener('load', () => ide.contentWindow && ide.contentWindow.focus());
let state;
let busy = false;
function describe(app) {
  if (app.running) return 'Running' + (app.command ? ': ' + app.command : '');
  if (!app.exitedAt) return 'Not running';
  if (app.stopped) return 'Stopped';
  if (app.signal) return 'Ended by ' + app.signal;
  return 'Exited with code ' + app.exitCode;
}
function render(body) {
  state = body.app;
  button.textContent = state.running ? '↻ Restart' : '▶ Run';
  button.className = state.running ? 'restart' : '';
  button.setAttribute('aria-label', state.running ? 'Restart the app' : 'Run the app');
  button.disabled = busy;
  stop.hidden = !state.running;
  stop.disabled = busy;
  status.textContent = describe(state);
  if (body.previewUrl) {
    open.href = body.previewUrl;
    open.setAttribute('aria-disabled', String(!state.running));
  }
}
async function call(method, path) {
  const res = await fetch(path, { method, cache: 'no-store', credentials: 'same-origin' });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
  return body;
}
async function refresh() {
  try { render(await call('GET', APP)); }
  catch (err) { status.textContent = 'Repl agent not answering: ' + err.message; }
}
async function press(action, doing) {
  if (!state || busy) return;
  busy = true;
  button.disabled = stop.disabled = true;
  status.textContent = doing;
  try { render(await call('POST', APP + '/' + action)); }
  catch (err) { status.textContent = 'Failed: ' + err.message; }
  busy = false;
  button.disabled = stop.disabled = false;
}
// Run, or Run again while the app runs: one click restarts it with the code as it is now.
button.addEventListener('click', () => press(state && state.running ? 'restart' : 'start', state && state.running ? 'Restarting…' : 'Starting…'));
stop.addEventListener('click', () => press('stop', 'Stopping…'));
async function poll() {
  mirrorTitle();
  if (document.visibilityState === 'visible' && !busy) await refresh();
  setTimeout(poll, ${POLL_MS});
}
poll();
`;

/**
 * What shows while VS Code loads (seconds: see the README's Performance section) instead of a
 * blank frame: inline, no request of its own, gone as soon as the workbench is drawn. The same
 * loop then keeps the tab's title as VS Code's (the active file) followed by the repl's name.
 * Bounded: the splash gives up after a minute (VS Code's own error page shows then).
 */
function loadingSplash(name: string): { style: string; html: string; script: string } {
  return {
    style: `#codeyard-splash { position: fixed; inset: 35px 0 0 0; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 1rem; background: #f8f8f8; color: #3b3b3b; }
  #codeyard-splash i { width: 28px; height: 28px; border: 3px solid #d4d4d4; border-top-color: #16a34a; border-radius: 50%; animation: cy-spin 1s linear infinite; }
  @keyframes cy-spin { to { transform: rotate(360deg); } }
  @media (prefers-reduced-motion: reduce) { #codeyard-splash i { animation: none; } }`,
    html: `<div id="codeyard-splash" role="status" aria-live="polite"><i aria-hidden="true"></i><span>Opening ${escapeHtml(name)} in VS Code…</span></div>`,
    script: `
const splash = document.getElementById('codeyard-splash');
let looks = 0;
(function watch() {
  const doc = ide.contentDocument;
  if (doc && doc.querySelector('.monaco-workbench')) splash.remove();
  else if (++looks < 240) setTimeout(watch, 250);
  else splash.remove();
})();
function mirrorTitle() {
  const inner = (ide.contentDocument && ide.contentDocument.title) || '';
  const own = ${JSON.stringify(`${name} · Codeyard`).replace(/</g, '\\u003c')};
  document.title = inner && inner !== 'code-server' ? inner + ' — ' + own : own;
}
`,
  };
}

export function ideBarPage(options: IdeBarOptions): string {
  const name = escapeHtml(options.replName);
  const splash = loadingSplash(options.replName);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} · Codeyard</title>
${preloads(options.staticPrefix)}<style>${STYLE}${splash.style}</style>
</head>
<body>
<header id="codeyard-bar" role="toolbar" aria-label="Codeyard">
  <span class="name">${name}</span>
  <button id="codeyard-run" type="button" disabled aria-label="Run the app">▶ Run</button>
  <button id="codeyard-stop" class="stop" type="button" hidden aria-label="Stop the app">■ Stop app</button>
  <span id="codeyard-app-status" role="status" aria-live="polite">Connecting…</span>
  <span class="spacer"></span>
  <a id="codeyard-open" target="_blank" rel="noopener" aria-disabled="true">Open app ↗</a>
</header>
<iframe id="codeyard-ide" name="codeyard-ide" title="VS Code" src="${escapeHtml(options.frameSrc)}" allow="clipboard-read; clipboard-write"></iframe>
${splash.html}
<script>${SCRIPT}${splash.script}</script>
</body>
</html>
`;
}
