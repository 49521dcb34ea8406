/**
 * A Codeyard server as the app knows it: its origin (`https://codeyard.example.com`,
 * `http://localhost:8080`). Tokens are sent to it, so plain http is accepted only for this
 * machine (loopback addresses and `localhost` names), where nothing travels over a network.
 */

export const DEFAULT_SERVER = 'http://localhost:8080';

export class ServerUrlError extends Error {
  override name = 'ServerUrlError';
}

/** True for names that never leave this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1') return true;
  return /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The server's origin from what a user typed or a link carried, or a ServerUrlError saying
 * what is wrong. A bare host gets https (http for localhost). Paths, queries, fragments and
 * credentials are refused rather than dropped: a link that carries them is not one we made.
 */
export function normalizeServerUrl(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') throw new ServerUrlError('the server address is empty');
  const text = input.trim();
  if (text.length > 2048) throw new ServerUrlError('the server address is too long');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\\s]/.test(text)) throw new ServerUrlError('the server address has spaces or control characters');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${/^(localhost|127\.|\[::1\])/i.test(text) ? 'http' : 'https'}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ServerUrlError(`"${text}" is not a web address`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ServerUrlError(`a server address starts with https:// (not ${url.protocol}//)`);
  if (url.username || url.password) throw new ServerUrlError('a server address carries no user name or password');
  if (url.pathname !== '/' || url.search || url.hash) throw new ServerUrlError('give the server address alone, without a path, query or #fragment (e.g. https://codeyard.example.com)');
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ServerUrlError(`${url.host} is reached over the network: use https:// (plain http is only for this machine, e.g. http://localhost:8080)`);
  }
  return url.origin;
}
