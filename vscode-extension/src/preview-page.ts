import { escapeHtml } from '@codeyard/common/html';

/*
 * The Preview panel's page, apart from the VS Code API so it can be checked with node:test alone.
 * Its script is JavaScript inside a template literal: a backslash escape written here is consumed
 * by TypeScript before the page sees it (`\/` became `/`, ending a regex and commenting out the
 * rest of the line: the whole script failed to parse and no reload ever reached the frame), so the
 * script is written without backslash escapes, and a test runs it.
 */

/** The panel's page: a thin bar (address, reload, new tab) over the frame. Plain script, no imports. */
export function previewHtml(url: string, nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; frame-src http: https:; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'">
<style>
  html, body { margin: 0; padding: 0; height: 100%; overflow: hidden; }
  body { display: flex; flex-direction: column; background: var(--vscode-editor-background); color: var(--vscode-foreground); font: var(--vscode-font-size) var(--vscode-font-family); }
  header { display: flex; gap: 4px; align-items: center; padding: 3px 6px; border-bottom: 1px solid var(--vscode-panel-border, transparent); }
  header span { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; opacity: .8; }
  button { font: inherit; color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); border: 0; border-radius: 2px; padding: 2px 8px; cursor: pointer; }
  iframe { flex: 1; width: 100%; border: 0; background: white; }
</style></head>
<body>
<header><span id="address" title="${escapeHtml(url)}">${escapeHtml(url)}</span>
<button id="reload" type="button" title="Reload the preview">↻ Reload</button>
<button id="external" type="button" title="Open the app in a new browser tab">Open in New Tab ↗</button></header>
<iframe id="preview" title="App preview" src="${escapeHtml(url)}" allow="clipboard-read; clipboard-write" sandbox="allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads"></iframe>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
const frame = document.getElementById('preview');
const address = document.getElementById('address');
let url = ${JSON.stringify(url).replace(/</g, '\\u003c')};
// Setting src is a fresh navigation even to the same URL (the HTML standard's "process the iframe
// attributes"), with the URL exactly as the app should see it. One navigation, not a detour
// through about:blank (two, and the cross-site frame swapped between processes twice).
function load(next) { vscode.postMessage({ type: 'loading', url: next }); url = next; address.textContent = next; address.title = next; frame.src = next; }
document.getElementById('reload').addEventListener('click', () => load(url));
document.getElementById('external').addEventListener('click', () => vscode.postMessage({ type: 'openExternal' }));
// Only VS Code (the extension) says what to load, never the page in the frame.
window.addEventListener('message', (e) => {
  if (e.source === frame.contentWindow || !e.data || e.data.type !== 'load' || !/^https?:[/][/]/.test(String(e.data.url))) return;
  load(e.data.url);
});
</script>
</body></html>`;
}
