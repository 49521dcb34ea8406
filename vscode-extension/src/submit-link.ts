import { dashboardUrl } from './preview-links.js';

/**
 * Where Submit leads: the portal's own page for the repl (`/classes?submit=<replId>`), where the
 * student's own portal session submits it with one more click. The IDE has no credential of the
 * student's to call the API with, and must not get one: whoever sits at this VS Code (the
 * student, or their teacher who opened it from the class page with a session of the repl's host)
 * submits only what their own portal session may, so a teacher's press submits nothing for the
 * student. Undefined where the portal or the repl is not known yet (a warm sandbox before activation).
 */
export function submitPageUrl(repl: { portalUrl?: string; replId: string }): string | undefined {
  const portal = dashboardUrl(repl);
  if (!portal || !/^[a-z][a-z2-7]{11}$/.test(repl.replId)) return undefined;
  const url = new URL('classes', portal);
  url.searchParams.set('submit', repl.replId);
  return url.toString();
}

/** The status bar's Submit entry, or undefined when this repl is no class's. */
export function submitView(repl: { classroom?: string; portalUrl?: string; replId: string }): { text: string; tooltip: string } | undefined {
  if (!repl.classroom || !submitPageUrl(repl)) return undefined;
  return { text: '$(cloud-upload) Submit', tooltip: `Submit your work for ${repl.classroom}: a saved version your teacher sees (opens Codeyard to confirm)` };
}
