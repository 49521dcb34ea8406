/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * A small self-contained page in Codeyard's look, for the answers the proxy and the portal give
 * in a browser: not found, starting, upstream down. `body` is trusted HTML; escape what goes in.
 */
export function page(options: { title: string; body: string; head?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)} · Codeyard</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
  main { max-width: 34rem; padding: 2rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
  p { line-height: 1.5; }
  a.button, button { display: inline-block; padding: .5rem 1rem; border-radius: .4rem; border: 1px solid #3b82f6; background: #3b82f6; color: white; text-decoration: none; font: inherit; cursor: pointer; }
  code { background: color-mix(in srgb, CanvasText 8%, transparent); padding: .1rem .3rem; border-radius: .25rem; }
  .muted { opacity: .7; font-size: .9rem; }
  .spinner { width: 1.2rem; height: 1.2rem; border: 3px solid #3b82f655; border-top-color: #3b82f6; border-radius: 50%; display: inline-block; vertical-align: middle; margin-right: .5rem; animation: spin 1s linear infinite; }
  @keyframes spin { to { transform: rotate(360deg); } }
</style>
${options.head ?? ''}
</head>
<body><main>${options.body}</main></body>
</html>
`;
}
