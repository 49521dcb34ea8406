import { CODE_SERVER_VERSION } from '../process/code-server-provision.js';
import { INSIDE } from '../process/sandbox.js';

/**
 * What a repl pod and its stack image agree on (images/ builds to it): where things are inside,
 * the same places as in the local sandbox ({@link INSIDE}), so the agent and VS Code see one
 * layout wherever they run. The image brings Node.js 24 on PATH, code-server installed as the
 * process runtime's provisioner lays it out (under /opt/codeyard), the agent bundle and the
 * built-in extensions folder (code-server's own plus the Codeyard extension).
 */
export const POD_LAYOUT = Object.freeze({
  /** The agent's config file: the pod's Secret, mounted read-only. */
  configDir: '/etc/codeyard',
  configFile: '/etc/codeyard/agent.json',
  /** The key of the Secret that holds the config. */
  configKey: 'agent.json',
  agent: INSIDE.agent,
  /** Node 24 (the image's), which runs the agent, code-server and the TypeScript server. */
  node: '/usr/local/bin/node',
  idleGc: INSIDE.idleGc,
  tsserverNode: INSIDE.tsserverNode,
  codeServerEntry: `/opt/codeyard/code-server-${CODE_SERVER_VERSION}/node_modules/code-server/out/node/entry.js`,
  builtinExtensions: `${INSIDE.ideExtensions}/builtin`,
  home: INSIDE.home,
  workspace: INSIDE.workspace,
  run: INSIDE.run,
  state: INSIDE.state,
  tmp: '/tmp',
  uid: INSIDE.uid,
  gid: INSIDE.gid,
  user: INSIDE.user,
  /** The agent's gate (the proxy's and the portal's one way in) and its readiness port. */
  gatePort: 7070,
  healthPort: 7071,
  /** The container's name in every repl pod. */
  container: 'repl',
});

/** A stack's image: `<prefix>codeyard-<stack>:<tag>` (prefix `localhost/` by default, tag the release). */
export function stackImage(prefix: string, stack: string, tag: string): string {
  return `${prefix}codeyard-${stack}:${tag}`;
}

/** The labels every repl object carries: what the driver lists, watches and re-adopts by. */
export const LABELS = Object.freeze({
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  /** The pod's own id (its objects are named after it): a warm pod has no repl yet. */
  sandbox: 'codeyard.dev/sandbox',
  repl: 'codeyard.dev/repl',
  owner: 'codeyard.dev/owner',
  stack: 'codeyard.dev/stack',
  /** `true` while the pod waits in the warm pool for a repl. */
  warm: 'codeyard.dev/warm',
});

export const MANAGED_BY = 'codeyard';
export const COMPONENT = 'repl';

/** The selector of every object the driver made. */
export const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.component}=${COMPONENT}`;

/** Names of a pod's objects: the pod, its Secret and its NetworkPolicy share one. */
export function objectName(sandboxId: string): string {
  return `codeyard-${sandboxId}`;
}

/**
 * A label value for any string: itself when it is one (at most 63 characters of [A-Za-z0-9._-],
 * alphanumeric at both ends), else undefined (the caller leaves the label off).
 */
export function labelValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])$/.test(value) ? value : undefined;
}
