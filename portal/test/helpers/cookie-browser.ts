/** One answer in a chain of redirects. */
export interface Hop {
  url: string;
  status: number;
  location?: string;
  setCookies: string[];
  body: string;
}

/**
 * A browser in miniature for HTTP tests of redirect flows (OpenID sign-in): cookies kept per host
 * name (as browsers do, whatever the port), redirects followed one hop at a time so a test can
 * stop at, inspect or tamper with any of them. Loopback only; at most `maxHops` per navigation.
 */
export class CookieBrowser {
  readonly jar = new Map<string, Map<string, string>>();

  constructor(readonly maxHops = 12) {}

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).hostname)?.get(name);
  }

  setCookie(url: string, name: string, value: string | undefined): void {
    const host = new URL(url).hostname;
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    if (value === undefined) cookies.delete(name);
    else cookies.set(name, value);
    this.jar.set(host, cookies);
  }

  /** One request, no redirect followed; cookies sent and stored. */
  async fetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Hop> {
    const target = new URL(url);
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(target.hostname)) throw new Error(`the test browser stays on loopback: ${url}`);
    const cookies = [...(this.jar.get(target.hostname)?.entries() ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(target, { method: init.method ?? 'GET', redirect: 'manual', headers: { ...(cookies ? { cookie: cookies } : {}), ...init.headers }, body: init.body, signal: AbortSignal.timeout(10_000) });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const expired = attributes.some((a) => /^max-age=(0|-\d+)$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()));
      this.setCookie(url, name, expired ? undefined : pair!.slice(eq + 1));
    }
    const location = res.headers.get('location') ?? undefined;
    return { url, status: res.status, ...(location ? { location: new URL(location, url).href } : {}), setCookies, body: await res.text() };
  }

  /** Follows redirects from `url` until a page that is not one (or `until` says stop); every hop answered. */
  async navigate(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, until?: (hop: Hop) => boolean): Promise<Hop[]> {
    const hops: Hop[] = [];
    let next: string | undefined = url;
    let request = init;
    while (next) {
      if (hops.length >= this.maxHops) throw new Error(`more than ${this.maxHops} redirects from ${url}: ${hops.map((h) => h.url).join(' -> ')}`);
      const hop = await this.fetch(next, request);
      hops.push(hop);
      if (until?.(hop)) break;
      // 303 (and 302 after a POST, as browsers do) turns into a GET.
      next = hop.status >= 300 && hop.status < 400 ? hop.location : undefined;
      request = {};
    }
    return hops;
  }
}
