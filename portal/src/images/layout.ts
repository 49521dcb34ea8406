import { INSIDE } from '../runtime/process/sandbox.js';

/**
 * Where things are inside Codeyard's container images (images/Containerfile.base): the same
 * paths a repl sees in the local sandbox (INSIDE), plus where the image keeps code-server, its
 * Node and the built-in extensions. A runtime that starts these images (the kubernetes driver,
 * the podman tests) builds code-server's command line and the agent's config from these.
 */
export const IMAGE_LAYOUT = Object.freeze({
  ...INSIDE,
  /** Node 24, for the agent and code-server (and the node/react stacks' apps). */
  node: '/usr/local/bin/node',
  /** code-server's install folder (its dependencies hoisted next to it). */
  codeServerDir: '/opt/code-server',
  codeServerEntry: '/opt/code-server/node_modules/code-server/out/node/entry.js',
  /** code-server's built-ins (linked) plus the Codeyard extension: `--builtin-extensions-dir`. */
  builtinExtensions: `${INSIDE.ideExtensions}/builtin`,
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

/** The image reference of a stack (or of `base`). */
export function imageRef(stack: string, naming: ImageNaming): string {
  return `${naming.prefix}codeyard-${stack}:${naming.tag}`;
}

/**
 * Checks an image name prefix: empty, or a registry/path ending in `/` (`localhost/`,
 * `ghcr.io/acme/`). Answers the problem, or undefined when it is fine.
 */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  if (!prefix.endsWith('/')) return `the image prefix "${prefix}" must end with "/" (like localhost/ or registry.example.com/team/)`;
  if (!/^[a-z0-9]([a-z0-9._:-]*[a-z0-9])?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*\/$/.test(prefix)) return `the image prefix "${prefix}" is not a registry path (lowercase letters, digits, . _ - and a :port)`;
  return undefined;
}

/** Checks an image tag (the OCI rule: up to 128 of [A-Za-z0-9_.-], not starting with . or -). */
export function tagProblem(tag: string): string | undefined {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) ? undefined : `the image tag "${tag}" is not valid (letters, digits, _ . -, at most 128, not starting with . or -)`;
}
