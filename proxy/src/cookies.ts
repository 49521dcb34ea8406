/**
 * Cookie parsing and writing: the one parser the proxy and the portal both read cookies with.
 *
 * A Cookie header can carry several cookies of one name: a sibling host may set one for the
 * parent domain (cookie tossing), and the browser sends it beside ours, in an order the sibling
 * can influence (a longer Path goes first). So nothing here picks "the first": callers get every
 * value and decide (the portal refuses an ambiguous session; the proxy's host cookies are
 * signed for one host, so it accepts the one that verifies).
 */

/** A cookie value as sent: surrounding quotes dropped, percent-decoded when that is well-formed. */
function decodeValue(raw: string): string {
  let value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  try {
    return decodeURIComponent(value);
  } catch {
    // Malformed percent-encoding (`%E0%A4%A`) is a bad value, not a server error: keep it raw,
    // and let whoever checks the value refuse it.
    return value;
  }
}

/** Every value of the named cookie, in the order sent. Never throws. */
export function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  if (!header) return values;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    values.push(decodeValue(part.slice(eq + 1)));
  }
  return values;
}

/** The Cookie header without the named cookies (every copy of each); undefined when nothing is left. */
export function withoutCookies(header: string | undefined, names: readonly string[]): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part && !names.includes(part.slice(0, Math.max(0, part.indexOf('='))).trim()));
  return kept.length ? kept.join('; ') : undefined;
}

export interface CookieOptions {
  maxAgeSeconds?: number;
  secure?: boolean;
  sameSite?: 'Strict' | 'Lax';
  path?: string;
}

/**
 * A host-only cookie: never a Domain attribute, so it is sent back to this exact host alone,
 * never to siblings or to the parent domain.
 */
export function serializeHostCookie(name: string, value: string, options: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path ?? '/'}`, 'HttpOnly', `SameSite=${options.sameSite ?? 'Lax'}`];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
