import { page } from '@codeyard/common/html';

/**
 * The portal's first page: pick a stack, see your repls, open, run, stop, delete. Plain DOM
 * and fetch against the public API, nothing the API does not offer to any client.
 */
export function homePage(): string {
  const script = `<script type="module">
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
async function api(method, path, body) {
  const res = await fetch(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin' });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error ? data.error.message : 'HTTP ' + res.status);
  return data;
}
async function ensureSession() {
  try { return await api('GET', '/api/stacks'); }
  catch { await api('POST', '/api/session'); return api('GET', '/api/stacks'); }
}
function showError(err) { const el = $('#error'); el.textContent = err ? String(err.message || err) : ''; el.hidden = !err; }
async function renderStacks() {
  const stacks = await ensureSession();
  $('#stacks').innerHTML = stacks.map((s) => '<li><button class="stack" data-stack="' + esc(s.id) + '"' + (s.available ? '' : ' disabled') + ' title="' + esc(s.available ? s.description : s.reason) + '">'
    + '<img src="' + esc(s.icon) + '" alt="" width="32" height="32"><strong>' + esc(s.name) + '</strong><span>' + esc(s.available ? s.description : s.reason) + '</span></button></li>').join('');
}
async function renderRepls() {
  const repls = await api('GET', '/api/repls');
  $('#empty').hidden = repls.length > 0;
  $('#repls').innerHTML = repls.map((r) => '<li class="repl" data-id="' + r.id + '"><div><strong>' + esc(r.name) + '</strong> <span class="muted">' + esc(r.stack) + '</span><br>'
    + '<span class="status ' + r.status + '">' + esc(r.status) + (r.step ? ' · ' + esc(r.step) : '') + (r.error ? ' · ' + esc(r.error) : '') + '</span>'
    + (r.app.running ? ' · <span class="status running">app running</span>' : '') + '</div><div class="actions">'
    + '<a class="button" href="/open/' + r.id + '" target="_blank" rel="noopener">Open IDE</a>'
    + (r.app.running ? '<button data-act="app/stop">Stop app</button>' : '<button data-act="app/start">Run</button>')
    + '<a href="' + esc(r.previewUrl) + '" target="_blank" rel="noopener">Preview</a>'
    + (r.status === 'running' ? '<button data-act="stop">Stop repl</button>' : '')
    + '<button data-act="delete" class="danger">Delete</button></div></li>').join('');
}
document.addEventListener('click', async (event) => {
  const stack = event.target.closest('button.stack');
  if (stack) {
    showError(null); stack.disabled = true;
    try { const repl = await api('POST', '/api/repls', { stack: stack.dataset.stack }); location.href = '/open/' + repl.id; }
    catch (err) { showError(err); stack.disabled = false; }
    return;
  }
  const action = event.target.closest('button[data-act]');
  if (!action) return;
  const id = action.closest('li.repl').dataset.id;
  const act = action.dataset.act;
  if (act === 'delete' && !confirm('Delete this repl and all its files?')) return;
  action.disabled = true; showError(null);
  try { await api(act === 'delete' ? 'DELETE' : 'POST', '/api/repls/' + id + (act === 'delete' ? '' : '/' + act)); }
  catch (err) { showError(err); }
  await renderRepls().catch(showError);
});
renderStacks().then(renderRepls).catch(showError);
setInterval(() => renderRepls().catch(() => {}), 3000);
</script>`;
  const style = `<style>
  main { max-width: 60rem; width: 100%; }
  ul { list-style: none; padding: 0; }
  #stacks { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .75rem; }
  button.stack { width: 100%; min-height: 7rem; display: grid; gap: .25rem; justify-items: start; text-align: left; background: transparent; color: inherit; border: 1px solid #8886; }
  button.stack:hover:not(:disabled), button.stack:focus-visible { border-color: #3b82f6; }
  button.stack:disabled { opacity: .45; cursor: not-allowed; }
  button.stack span { font-size: .85rem; opacity: .8; }
  li.repl { display: flex; justify-content: space-between; align-items: center; gap: 1rem; padding: .75rem 0; border-bottom: 1px solid #8884; flex-wrap: wrap; }
  .actions { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
  .actions button, .actions a.button { padding: .3rem .7rem; }
  button.danger { background: transparent; color: #dc2626; border-color: #dc2626; }
  .status.running { color: #16a34a; } .status.error { color: #dc2626; }
  #error { color: #dc2626; }
</style>`;
  return page({
    title: 'Your repls',
    head: style + script,
    body: `<h1>Codeyard</h1><p class="muted">Pick a stack to start a repl: VS Code in your browser, a Run button, and a URL for your app.</p>
<p id="error" role="alert" hidden></p>
<h2>New repl</h2><ul id="stacks" aria-label="Stacks"><li>Loading…</li></ul>
<h2>Your repls</h2><p id="empty" class="muted" hidden>No repls yet. Pick a stack above.</p><ul id="repls" aria-label="Your repls"></ul>`,
  });
}
