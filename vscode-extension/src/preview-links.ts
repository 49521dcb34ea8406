/**
 * Where the IDE's links lead, computed from what the repl knows (its preview URL, id and app
 * port): pure functions, no VS Code API, tested with node:test alone.
 *
 * The preview URL of a repl's app port is `<scheme>://<replId>-<port>.<previewDomain>[:p]/`
 * (common/src/hostnames.ts); every other port of the same repl is the same URL with its port
 * in the first label.
 */

/** The preview URL of `port`, from the app port's own; undefined when the URL is not of that shape. */
export function previewUrlForPort(previewUrl: string, replId: string, appPort: number, port: number): string | undefined {
  let url: URL;
  try {
    url = new URL(previewUrl);
  } catch {
    return undefined;
  }
  const [label, ...rest] = url.hostname.split('.');
  if (label !== `${replId}-${appPort}` || !rest.length || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  url.hostname = [`${replId}-${port}`, ...rest].join('.');
  return url.toString();
}

/** A `localhost` URL found in a line of terminal text. */
export interface LocalLink {
  /** Where it starts in the line, and how long it is. */
  start: number;
  length: number;
  port: number;
  /** Path, query and fragment as printed (`/` at least). */
  path: string;
}

// What servers print: `http://localhost:3000/`, `http://127.0.0.1:5173`, `http://0.0.0.0:8000/x`,
// `http://[::1]:3000`. A URL ends at whitespace, a quote or a closing bracket.
const LOCAL_URL = /\bhttps?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):(\d{1,5})(\/[^\s'"`<>)\]]*)?/g;

/** Every loopback URL with a port in `line` (colour codes are not in what VS Code hands over). */
export function localLinks(line: string): LocalLink[] {
  const links: LocalLink[] = [];
  for (const m of line.matchAll(LOCAL_URL)) {
    const port = Number(m[1]);
    if (port < 1 || port > 65535) continue;
    // A sentence's full stop or comma after the URL is not part of it.
    const text = m[0].replace(/[.,;:!?]+$/, '');
    links.push({ start: m.index, length: text.length, port, path: text.replace(/^https?:\/\/[^/]+/, '') || '/' });
  }
  return links;
}

/** The preview URL a printed loopback link stands for (its path kept); undefined when unknown. */
export function previewUrlOfLink(link: LocalLink, repl: { previewUrl: string; replId: string; port: number }): string | undefined {
  const base = previewUrlForPort(repl.previewUrl, repl.replId, repl.port, link.port);
  return base && new URL(link.path, base).toString();
}

/**
 * The portal's dashboard: the portal's URL as the portal itself gave it (CODEYARD_PORTAL_URL, or
 * the agent's /info after activation). Never guessed from the IDE's or the preview's host, which
 * need not be under the portal's domain. Undefined when unknown or not an http(s) URL.
 */
export function dashboardUrl(repl: { portalUrl?: string }): string | undefined {
  try {
    const url = new URL(repl.portalUrl ?? '');
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}
