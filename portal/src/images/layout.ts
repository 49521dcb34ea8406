import { POD_LAYOUT, stackImage } from '../runtime/kubernetes/pod-layout.js';
import { INSIDE } from '../runtime/process/sandbox.js';

/**
 * Where things are inside Codeyard's container images (images/Containerfile.base): what the
 * kubernetes driver's pods expect (POD_LAYOUT, the same paths a repl sees in the local sandbox),
 * plus what only the image needs to say (Node's place, code-server's folder, the settings file).
 */
export const IMAGE_LAYOUT = Object.freeze({
  ...INSIDE,
  /** Node 24, for the agent and code-server (and the node/react stacks' apps). */
  node: POD_LAYOUT.node,
  /** code-server's install folder (its dependencies hoisted next to it), as the provisioner lays it out. */
  codeServerDir: POD_LAYOUT.codeServerEntry.slice(0, POD_LAYOUT.codeServerEntry.indexOf('/node_modules/')),
  codeServerEntry: POD_LAYOUT.codeServerEntry,
  /** code-server's built-ins (linked) plus the Codeyard extension: `--builtin-extensions-dir`. */
  builtinExtensions: POD_LAYOUT.builtinExtensions,
  /** Where the pod's Secret (the agent's config) is mounted. */
  configDir: POD_LAYOUT.configDir,
  /** Codeyard's default VS Code settings (DEFAULT_SETTINGS, written at build time). */
  settings: '/opt/codeyard/vscode-settings.json',
  /** What the image was built with (ImageInfo); the stack is the image's `io.codeyard.stack` label. */
  info: '/opt/codeyard/image.json',
});

/** /opt/codeyard/image.json: what the base (and so every stack image) was built with. */
export interface ImageInfo {
  codeyardVersion: string;
  codeServerVersion: string;
  nodeVersion: string;
}

/** Names: `<prefix>codeyard-<stack>:<tag>`; the base is `<prefix>codeyard-base:<tag>`. */
export interface ImageNaming {
  /** A registry and path ending in `/`, or '' (default `localhost/`, podman's local names). */
  prefix: string;
  tag: string;
}

export const DEFAULT_IMAGE_PREFIX = 'localhost/';

/** The image reference of a stack (or of `base`): the name the kubernetes driver's pods use. */
export function imageRef(stack: string, naming: ImageNaming): string {
  return stackImage(naming.prefix, stack, naming.tag);
}

/**
 * Checks an image name prefix as the kubernetes driver takes it (CODEYARD_KUBE_IMAGE_PREFIX):
 * empty, or ending with `/` (a registry path: `localhost/`, `ghcr.io/acme/`) or `-` (a name
 * start: `ghcr.io/acme/team-`). Answers the problem, or undefined when it is fine.
 */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  if (!prefix.endsWith('/') && !prefix.endsWith('-')) return `the image prefix "${prefix}" must end with "/" or "-" (like localhost/ or registry.example.com/team/)`;
  const component = '[a-z0-9]([a-z0-9._-]*[a-z0-9])?';
  const registry = `${component}(:[0-9]+)?`;
  if (!new RegExp(`^(${registry}(/${component})*/)?([a-z0-9][a-z0-9._-]*-)?$`).test(prefix)) return `the image prefix "${prefix}" is not a registry path (lowercase letters, digits, . _ - and a :port)`;
  return undefined;
}

/** Checks an image tag (the OCI rule: up to 128 of [A-Za-z0-9_.-], not starting with . or -). */
export function tagProblem(tag: string): string | undefined {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) ? undefined : `the image tag "${tag}" is not valid (letters, digits, _ . -, at most 128, not starting with . or -)`;
}
