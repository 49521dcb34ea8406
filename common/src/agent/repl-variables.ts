import type { ReplId } from '../repl-id.js';
import type { ReplInfo } from './config.js';

/**
 * The CODEYARD_* variables that describe a repl to what runs in it, named once: the agent sets
 * them and the Codeyard VS Code extension reads them back (and sets them for new terminals).
 * Every process of a repl gets its id; code-server, and so its terminals, also gets what the
 * IDE shows. A repl started cold has them all from its first process; one made from a warm
 * sandbox learns them at activation (see the agent's main and the extension).
 */
export const REPL_VARIABLES = {
  id: 'CODEYARD_REPL_ID',
  name: 'CODEYARD_REPL_NAME',
  stack: 'CODEYARD_STACK',
  port: 'CODEYARD_APP_PORT',
  previewUrl: 'CODEYARD_PREVIEW_URL',
  portalUrl: 'CODEYARD_PORTAL_URL',
  classroom: 'CODEYARD_CLASS_NAME',
} as const;

/** The variable of the repl's id, which the app, one-off commands and terminals all get. */
export function replIdVariables(replId: ReplId): Record<string, string> {
  return { [REPL_VARIABLES.id]: replId };
}

/** What the IDE shows of the repl, as the variables code-server gets (only it: the app never needs them). */
export function ideInfoVariables(info: ReplInfo): Record<string, string> {
  return {
    [REPL_VARIABLES.name]: info.name,
    [REPL_VARIABLES.stack]: info.stack,
    [REPL_VARIABLES.port]: String(info.port),
    [REPL_VARIABLES.previewUrl]: info.previewUrl,
    // Only when known: a warm sandbox's code-server has none until its repl is activated.
    ...(info.portalUrl ? { [REPL_VARIABLES.portalUrl]: info.portalUrl } : {}),
    // Only for a student's repl of a class (the extension's Submit shows then).
    ...(info.classroom ? { [REPL_VARIABLES.classroom]: info.classroom } : {}),
  };
}

/**
 * Codeyard's own programs, for commands that use them: the Node.js that runs the agent and the
 * agent's bundle. The static stack's Run is `"$CODEYARD_NODE" "$CODEYARD_AGENT_BIN" serve-static`
 * (a live-reloading server of the workspace's files), so it needs no toolchain of the machine's.
 */
export const TOOL_VARIABLES = { node: 'CODEYARD_NODE', agent: 'CODEYARD_AGENT_BIN' } as const;

export function toolVariables(node: string, agent: string): Record<string, string> {
  return { [TOOL_VARIABLES.node]: node, [TOOL_VARIABLES.agent]: agent };
}
