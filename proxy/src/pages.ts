import { escapeHtml, page } from '@codeyard/common/html';
import type { ReplRoute } from './access-policy.js';

/** The proxy's own answers to a browser. */

export function notFoundPage(host: string, portalUrl: string): string {
  return page({
    title: 'Not found',
    body: `<h1>Nothing here</h1><p>There is no repl at <code>${escapeHtml(host)}</code>. It may have been deleted, or the address is mistyped.</p><p><a class="button" href="${escapeHtml(portalUrl)}">Go to Codeyard</a></p>`,
  });
}

/** What the starting page says while the repl waits for room on a full server. */
export const FULL_TITLE = 'This server is full';
export function queueText(queue: { position: number; of: number }): string {
  return `You are #${queue.position} in line (of ${queue.of}). This page starts your repl by itself as soon as room appears; keep it open.`;
}

export function startingPage(options: { title: string; statusUrl: string; step?: string; queue?: { position: number; of: number } }): string {
  // Polls the status endpoint of this same host, then reloads into the real thing. While the
  // server is full it shows the repl's place in line, which the portal moves up as room appears.
  const script = `<script>
const statusUrl = ${JSON.stringify(options.statusUrl)};
const title = ${JSON.stringify(options.title)};
const stepEl = () => document.getElementById('step');
const titleEl = () => document.getElementById('title');
async function poll() {
  try {
    const res = await fetch(statusUrl, { cache: 'no-store', credentials: 'same-origin' });
    const body = await res.json();
    if (body.status === 'running') { location.reload(); return; }
    if (body.status === 'error') { stepEl().textContent = 'Failed: ' + (body.error || 'unknown error') + '. Reload to try again.'; return; }
    titleEl().textContent = body.queue ? ${JSON.stringify(FULL_TITLE)} : title;
    stepEl().textContent = body.queue ? ${queueScript()} : (body.step || body.status);
  } catch (err) { stepEl().textContent = 'waiting for Codeyard…'; }
  setTimeout(poll, 700);
}
setTimeout(poll, 500);
</script>`;
  return page({
    title: options.title,
    head: script,
    body: `<h1><span class="spinner" aria-hidden="true"></span><span id="title">${escapeHtml(options.queue ? FULL_TITLE : options.title)}</span></h1><p id="step" role="status" aria-live="polite">${escapeHtml(options.queue ? queueText(options.queue) : (options.step ?? 'starting'))}</p><p class="muted">This page opens the repl by itself when it is ready.</p>`,
  });
}

/** queueText() as a script expression over `body.queue`, so the page and the server say the same. */
function queueScript(): string {
  return "'You are #' + body.queue.position + ' in line (of ' + body.queue.of + '). This page starts your repl by itself as soon as room appears; keep it open.'";
}

export function notRunningPage(options: { replId: string; port: number; openUrl: string }): string {
  return page({
    title: 'Not running',
    body: `<h1>This repl is not running</h1><p>The app at this address is asleep. Its owner can wake it.</p><p><a class="button" href="${escapeHtml(options.openUrl)}">I own it: wake it up</a></p>`,
  });
}

export function upstreamDownPage(options: { what: string; hint: string }): string {
  return page({
    title: 'Bad gateway',
    body: `<h1>${escapeHtml(options.what)} is not answering</h1><p>${escapeHtml(options.hint)}</p><p class="muted">Reload this page to try again.</p>`,
  });
}

export function signInPage(options: { reason: string; openUrl: string }): string {
  return page({
    title: 'Sign in',
    body: `<h1>Open this repl from Codeyard</h1><p>${escapeHtml(options.reason)}</p><p><a class="button" href="${escapeHtml(options.openUrl)}">Open in Codeyard</a></p>`,
  });
}

/** The page a browser gets when a repl's IDE or port does not answer. */
export function upstreamDownFor(route: ReplRoute): string {
  return route.kind === 'ide'
    ? upstreamDownPage({ what: 'VS Code', hint: 'The editor of this repl is restarting. Your files are safe.' })
    : upstreamDownPage({ what: `Port ${route.port}`, hint: `Nothing is listening on port ${route.port} in this repl. Press Run, and make sure the app listens on 0.0.0.0:${route.port}.` });
}
