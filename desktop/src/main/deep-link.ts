import { isReplId } from '@codeyard/common/repl-id';
import { normalizeServerUrl, ServerUrlError } from './server-url.js';

/** The scheme registered with the OS for the app's links. */
export const DEEP_LINK_SCHEME = 'codeyard';

/** `codeyard://open?server=<origin>&repl=<id>[&port=<n>]`: open a repl (its preview on `port`). */
export interface OpenLink {
  action: 'open';
  server: string;
  replId: string;
  port?: number;
}

export class DeepLinkError extends Error {
  override name = 'DeepLinkError';
}

const MAX_LINK_LENGTH = 4096;
const ALLOWED_PARAMS = new Set(['server', 'repl', 'port']);

/**
 * Parses a deep link strictly: anything a web page could put in a `codeyard://` link arrives
 * here, so every part is checked and an unexpected one refuses the link (DeepLinkError saying
 * which part) instead of being ignored. Opening a link never signs in or adds a server by
 * itself: the caller asks the user first when the server is not one they added.
 */
export function parseDeepLink(link: string): OpenLink {
  if (typeof link !== 'string' || link.length > MAX_LINK_LENGTH) throw new DeepLinkError('the link is missing or too long');
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new DeepLinkError('the link is not a valid URL');
  }
  if (url.protocol !== `${DEEP_LINK_SCHEME}:`) throw new DeepLinkError(`not a ${DEEP_LINK_SCHEME}:// link`);
  if (url.username || url.password || url.port || url.hash) throw new DeepLinkError('the link has parts a Codeyard link never has');
  // `codeyard://open?…` (host "open") and `codeyard:open?…` / `codeyard:///open?…` (path "open") are the same action.
  const action = (url.hostname || url.pathname.replace(/^\/+/, '')).toLowerCase();
  if (url.hostname && url.pathname !== '' && url.pathname !== '/') throw new DeepLinkError(`unknown link path ${url.pathname}`);
  if (action !== 'open') throw new DeepLinkError(`unknown link action "${action}"; only codeyard://open?server=…&repl=… is known`);
  const seen = new Set<string>();
  for (const key of url.searchParams.keys()) {
    if (!ALLOWED_PARAMS.has(key)) throw new DeepLinkError(`unknown link parameter "${key}"`);
    if (seen.has(key)) throw new DeepLinkError(`the link repeats "${key}"`);
    seen.add(key);
  }
  const repl = url.searchParams.get('repl');
  if (!isReplId(repl)) throw new DeepLinkError('the link names no valid repl id (repl=…)');
  let server: string;
  try {
    server = normalizeServerUrl(url.searchParams.get('server') ?? '');
  } catch (err) {
    throw new DeepLinkError(`the link's server is not acceptable: ${err instanceof ServerUrlError ? err.message : String(err)}`);
  }
  const portText = url.searchParams.get('port');
  if (portText === null) return { action: 'open', server, replId: repl };
  if (!/^[1-9][0-9]{0,4}$/.test(portText) || Number(portText) > 65535) throw new DeepLinkError('the link\'s port is not a port number');
  return { action: 'open', server, replId: repl, port: Number(portText) };
}

/** The link that opens a repl in the app, as the portal's "Open in Codeyard Desktop" builds it. */
export function formatDeepLink(link: Omit<OpenLink, 'action'>): string {
  const params = new URLSearchParams({ server: link.server, repl: link.replId });
  if (link.port) params.set('port', String(link.port));
  return `${DEEP_LINK_SCHEME}://open?${params.toString()}`;
}

/**
 * The deep link among a second instance's command line (Windows and Linux pass the link as an
 * argument), or undefined. Only a whole argument that starts with the scheme counts: Chromium
 * switches the OS adds (`--allow-file-access-from-files`…) are never links.
 */
export function deepLinkFromArgv(argv: readonly string[]): string | undefined {
  return argv.find((arg) => typeof arg === 'string' && arg.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}:`));
}
