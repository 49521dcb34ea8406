import path from 'node:path';

/**
 * The pure parts of the static stack's server (static-server.ts): which file a request path
 * names, what type it is served as, and the live-reload script put into HTML pages.
 */

/** Where pages listen for changes (an EventSource): a path no site of files has. */
export const LIVE_RELOAD_PATH = '/__codeyard_live_reload';

/**
 * Put at the end of every HTML page: reloads it when a file of the site changes. After a
 * restart of the server the EventSource reconnects by itself.
 */
export const LIVE_RELOAD_SCRIPT = `<script>(()=>{const s=new EventSource(${JSON.stringify(LIVE_RELOAD_PATH)});s.onmessage=(e)=>{if(e.data==='reload')location.reload()};})();</script>`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.pdf': 'application/pdf',
};

/** The content type of a file by its extension; bytes of unknown kinds as a download. */
export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export function isHtml(file: string): boolean {
  return contentType(file).startsWith('text/html');
}

/**
 * The file path under `root` a URL path names, or why not: 400 for a path that is not valid
 * percent-encoding, holds a NUL or climbs out with `..` (which browsers never send: they resolve
 * dots first). The query is not part of it.
 */
export function fileForUrl(root: string, urlPath: string): { file: string } | { status: 400; reason: string } {
  const pathname = urlPath.split('?')[0]!.split('#')[0]!;
  let segments: string[];
  try {
    segments = pathname.split('/').map(decodeURIComponent);
  } catch {
    return { status: 400, reason: 'the path is not valid percent-encoding' };
  }
  if (segments.some((s) => s.includes('\0') || s.includes('/') || s.includes('\\'))) return { status: 400, reason: 'the path holds a character no file name has here' };
  if (segments.some((s) => s === '..')) return { status: 400, reason: 'the path climbs out of the site with ..' };
  const file = path.join(root, ...segments.filter((s) => s !== '' && s !== '.'));
  return { file };
}

/** Whether `file` (a real path) is `root` or inside it. */
export function isWithin(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** An HTML page with the live-reload script, before `</body>` when it has one, else at its end. */
export function withLiveReload(html: string): string {
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at === -1 ? html + LIVE_RELOAD_SCRIPT : html.slice(0, at) + LIVE_RELOAD_SCRIPT + html.slice(at);
}

/** Whether a changed path (relative to the site) should reload pages: not inside tooling folders. */
export function reloadsPages(relative: string): boolean {
  return !relative.split(/[\\/]/).some((s) => s === '.git' || s === 'node_modules' || s === '.venv' || s === '__pycache__');
}
