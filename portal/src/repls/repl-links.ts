import { ideHostname, originFor, previewHostname, type PublicOrigin } from '@codeyard/common/hostnames';
import type { ReplInfo } from '@codeyard/common/agent/config';
import type { GrantSigner } from '@codeyard/common/tickets';
import { NO_BAR_PARAM } from '@codeyard/proxy/access-policy';
import type { ReplRecord } from './repl-record.js';

/** What a sign-in link to a repl host opens, and for whom. */
export interface LinkOptions {
  /** A preview port's host instead of the IDE's. */
  port?: number;
  /** Where on the host to land. */
  next?: string;
  /** False: the IDE without the Codeyard bar (the proxy's `codeyard-bar=off`), for a client with its own. */
  bar?: boolean;
  /** The portal credential asking (credentialRef): signing it out ends the host cookie the link becomes. */
  via?: string;
}

/** The public URLs of repls, and the single-use sign-in links to them. */
export class ReplLinks {
  constructor(
    readonly options: {
      publicOrigin: PublicOrigin;
      signer: GrantSigner;
      ticketTtlMs: number;
      /** Where a repl's workspace folder is inside its sandbox (the runtime knows). */
      workspacePath(id: string): string;
    },
  ) {}

  /** The portal's own origin (its dashboard): the domain itself. */
  portalOrigin(): string {
    return originFor(this.options.publicOrigin.domain, this.options.publicOrigin);
  }

  /** What the repl's IDE shows and links to (the agent hands it to code-server). */
  ideInfo(record: ReplRecord): ReplInfo {
    const { name, stack, manifest } = record;
    return { name, stack, port: manifest.port, previewUrl: `${this.previewOrigin(record.id, manifest.port)}/`, portalUrl: `${this.portalOrigin()}/` };
  }

  ideOrigin(id: string): string {
    return originFor(ideHostname(id, this.options.publicOrigin), this.options.publicOrigin);
  }

  previewOrigin(id: string, port: number): string {
    return originFor(previewHostname(id, port, this.options.publicOrigin), this.options.publicOrigin);
  }

  /**
   * Where the IDE should land: the workspace folder with the stack's main file open. The file's
   * authority must be the one the workbench uses for the folder (the browser's host, port
   * included): an editor opened under another authority is another resource to VS Code, which
   * never reloads it on a change made elsewhere and refuses its saves as "newer on disk".
   */
  idePath(record: ReplRecord): string {
    const workspace = this.options.workspacePath(record.id);
    const authority = new URL(this.ideOrigin(record.id)).host;
    const payload = JSON.stringify([['openFile', `vscode-remote://${authority}${workspace}/${record.manifest.main}`]]);
    return `/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`;
  }

  /**
   * A URL that signs `owner` in to one repl host: a single-use ticket valid for a short while
   * (a minute by default), exchanged by the proxy for a cookie of that host alone.
   */
  ideLink(owner: string, record: ReplRecord, options: LinkOptions = {}): string {
    const origin = options.port ? this.previewOrigin(record.id, options.port) : this.ideOrigin(record.id);
    const host = new URL(origin).hostname;
    const ticket = this.options.signer.sign({ purpose: 'ticket', host, account: owner, expiresAt: Date.now() + this.options.ticketTtlMs, via: options.via });
    const url = new URL('/_codeyard/auth', origin);
    url.searchParams.set('ticket', ticket);
    let next = options.next ?? (options.port ? '/' : this.idePath(record));
    if (!options.port && options.bar === false) next += `${next.includes('?') ? '&' : '?'}${NO_BAR_PARAM}=off`;
    if (next !== '/') url.searchParams.set('next', next);
    return url.toString();
  }
}
