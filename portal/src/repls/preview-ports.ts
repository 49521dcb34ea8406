import type { StackManifest } from '../templates/manifest.js';

export type PortVisibility = 'public' | 'private';

/** What the visibility decision reads from a repl record. */
export interface PortSettings {
  manifest: Pick<StackManifest, 'port'>;
  /** Ports whose visibility the owner set. */
  ports?: Record<string, PortVisibility>;
}

/**
 * The one decision on who may open a preview port (the proxy asks it on every request through
 * the portal). Only the stack's declared app port is public by default, as on Replit; any other
 * port a repl listens on, even one bound to 127.0.0.1 inside (a debugger, a database UI, a dev
 * server's internals), is for the owner only until the owner makes it public (issue 10, class 12).
 * The IDE host is never public and is not a port.
 */
export function isPortPublic(record: PortSettings, port: number): boolean {
  const set = record.ports?.[String(port)];
  return set ? set === 'public' : port === record.manifest.port;
}

/** The ports a repl's view lists: the app port and every port whose visibility was set, in order. */
export function listedPorts(record: PortSettings): Array<{ port: number; visibility: PortVisibility }> {
  return [...new Set([record.manifest.port, ...Object.keys(record.ports ?? {}).map(Number)])]
    .sort((a, b) => a - b)
    .map((port) => ({ port, visibility: isPortPublic(record, port) ? 'public' : 'private' }));
}
