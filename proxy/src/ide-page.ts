import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { connectTarget } from '@codeyard/common/agent/connect';
import type { Target } from '@codeyard/common/agent/protocol';
import type { IdeStaticRoot } from './ide-static.js';

/**
 * VS Code's workbench page (what code-server answers on `/`, the Codeyard bar's frame), made by
 * the proxy from the install's own template instead of asked of the repl's code-server.
 *
 * Why: code-server loads VS Code's server (`server-main.js`, then the server) on the first
 * request to a VS Code route, and a first visit's frame waited 0.3-1 s for it before it could
 * even ask for `workbench.js`, whose download and parse is the longest step of the visit. The
 * page itself is the same for every repl of an install: VS Code's template filled with values
 * that come from the install's `product.json` and from the flags and environment Codeyard
 * starts code-server with, never from the repl. The one thing a repl can change is its display
 * language (`User/argv.json`, written by "Configure Display Language"): a repl with that file is
 * left to its code-server (the proxy asks the repl's agent, see ReplProxy).
 *
 * This is code-server's `_handleRoot` (VS Code's `webClientServer.ts` with code-server's patches)
 * for the case Codeyard runs: `--auth none`, no connection token, `--disable-workspace-trust`,
 * `--disable-getting-started-override`, `--disable-update-check`, no `--locale`, no
 * `--app-name`, none of `EXTENSIONS_GALLERY`, `CS_TELEMETRY_URL`, `VSCODE_PROXY_URI` set, a
 * request for `/` with no `X-Forwarded-Port` or `X-Forwarded-Prefix` (the proxy sends neither).
 * It is only used for the code-server versions it was compared with byte for byte (the
 * integration test `ide-page.integration.test.ts` does that against the real code-server):
 * another version gets undefined here, and its page comes from its code-server as before.
 */

/** code-server versions whose page this renders exactly (checked by the integration test). */
export const IDE_PAGE_VERSIONS: ReadonlySet<string> = new Set(['4.139.1']);

/**
 * The Content-Security-Policy hashes code-server's server puts beside the nonce (constants of
 * that version's `server-main.js`: the template's inline scripts predate the nonce).
 */
const SCRIPT_HASHES = "'sha256-daEgfo2VIXpx2Np71KqCCbkeQwv+68vPrx54XRcbdcs=' 'sha256-/r7rqQ+yrxt57sxLuQ6AMYcy/lUpvAIzHjIJt/OeLWU='";

/** code-server's defaults when the variables above are unset (its product patch). */
const DEFAULT_GALLERY = {
  serviceUrl: 'https://open-vsx.org/vscode/gallery',
  itemUrl: 'https://open-vsx.org/vscode/item',
  extensionUrlTemplate: 'https://open-vsx.org/vscode/gallery/{publisher}/{name}/latest',
  resourceUrlTemplate: 'https://open-vsx.org/vscode/asset/{publisher}/{name}/{version}/Microsoft.VisualStudio.Code.WebResources/{path}',
  controlUrl: '',
  recommendationsUrl: '',
};
const DEFAULT_TELEMETRY = 'https://v1.telemetry.coder.com/track';
/** VS Code's log level `info`, the server's default. */
const LOG_LEVEL_INFO = 3;

/** Where one repl's page comes from: its install, and the user-data folder its code-server was given. */
export interface IdePageSource {
  install: IdeStaticRoot;
  /** code-server's `--user-data-dir` as code-server sees it (inside the sandbox). */
  userDataPath: string;
}

export interface RenderedPage {
  body: string;
  headers: Record<string, string>;
}

interface Product {
  quality?: string;
  commit?: string;
  codeServerVersion?: string;
  enableTelemetry?: boolean;
  telemetryEndpoint?: string;
  voiceWsUrl?: string;
  extensionsGallery?: unknown;
  linkProtectionTrustedDomains?: string[];
}

/** VS Code's HTML escaping of template values (its `escape`): named entities, quotes too. */
function escapeLikeVsCode(value: string): string {
  return value.replace(/[<>"'&]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '&': '&amp;' })[ch]!);
}

/** The placeholders of the template that this knows how to fill; a template with others is not used. */
const PLACEHOLDERS = new Set(['WORKBENCH_SCRIPT_NONCE', 'BASE', 'VS_BASE', 'WORKBENCH_WEB_CONFIGURATION', 'WORKBENCH_WEB_BASE_URL', 'WORKBENCH_AUTH_SESSION', 'WORKBENCH_NLS_FALLBACK_URL', 'WORKBENCH_NLS_URL']);

/** One install's page, ready to be rendered with a fresh nonce per answer. */
export class IdePage {
  readonly #template: string;
  readonly #values: Record<string, string>;

  private constructor(template: string, values: Record<string, string>) {
    this.#template = template;
    this.#values = values;
  }

  /** The page of an install, or undefined when this cannot make it exactly (see the top of this file). */
  static of(source: IdePageSource): IdePage | undefined {
    let product: Product;
    let template: string;
    try {
      product = JSON.parse(fs.readFileSync(path.join(source.install.root, 'product.json'), 'utf8')) as Product;
      template = fs.readFileSync(path.join(source.install.root, 'out', 'vs', 'code', 'browser', 'workbench', 'workbench.html'), 'utf8');
    } catch {
      return undefined;
    }
    if (!product.codeServerVersion || !IDE_PAGE_VERSIONS.has(product.codeServerVersion) || !product.commit) return undefined;
    const used = [...template.matchAll(/\{\{([^}]+)\}\}/g)].map((m) => m[1]!);
    if (used.some((name) => !PLACEHOLDERS.has(name))) return undefined;
    // The request is for `/`: the base is `.` and the static route is relative to it.
    const productPath = `${product.quality ?? 'oss'}-${product.commit}`;
    const staticBase = `${productPath}/static`;
    if (`/${staticBase}/` !== source.install.prefix) return undefined;
    // Key order and undefined fields as code-server's object literal has them (JSON drops undefined).
    const configuration = {
      remoteAuthority: 'remote',
      serverBasePath: '.',
      webviewEndpoint: `${staticBase}/out/vs/workbench/contrib/webview/browser/pre`,
      userDataPath: source.userDataPath,
      isEnabledFileDownloads: true,
      isEnabledFileUploads: true,
      isEnabledCoderGettingStarted: false,
      developmentOptions: { logLevel: LOG_LEVEL_INFO },
      enableWorkspaceTrust: false,
      productConfiguration: {
        codeServerVersion: product.codeServerVersion,
        nameShort: 'code-server',
        nameLong: 'code-server',
        rootEndpoint: '.',
        proxyEndpointTemplate: './proxy/{{port}}/',
        serviceWorker: { scope: './', path: './_static/out/browser/serviceWorker.js' },
        enableTelemetry: product.enableTelemetry,
        telemetryEndpoint: product.telemetryEndpoint ?? DEFAULT_TELEMETRY,
        embedderIdentifier: 'server-distro',
        voiceWsUrl: product.voiceWsUrl,
        extensionsGallery: product.extensionsGallery ?? DEFAULT_GALLERY,
        linkProtectionTrustedDomains: [...(product.linkProtectionTrustedDomains ?? [])],
      },
      callbackRoute: `${productPath}/callback`,
    };
    return new IdePage(template, {
      BASE: '.',
      VS_BASE: '.',
      WORKBENCH_WEB_CONFIGURATION: JSON.stringify(configuration),
      WORKBENCH_WEB_BASE_URL: staticBase,
      WORKBENCH_AUTH_SESSION: '',
      WORKBENCH_NLS_FALLBACK_URL: `${staticBase}/out/nls.messages.js`,
      // English: no language pack's messages (a repl with a display language is not rendered here).
      WORKBENCH_NLS_URL: '',
    });
  }

  /** The page and its headers, with a nonce of its own (as code-server makes one per answer). */
  render(): RenderedPage {
    const nonce = randomBytes(16).toString('base64url');
    const values: Record<string, string> = { ...this.#values, WORKBENCH_SCRIPT_NONCE: nonce };
    const body = this.#template.replace(/\{\{([^}]+)\}\}/g, (_, name: string) => escapeLikeVsCode(values[name] ?? 'undefined'));
    const csp = [
      "default-src 'self';",
      "img-src 'self' https: data: blob:;",
      "media-src 'self';",
      // Two spaces where code-server puts the NLS base URL, which English pages have none of.
      `script-src 'self' 'unsafe-eval'  blob: 'nonce-${nonce}' ${SCRIPT_HASHES} ;`,
      "child-src 'self';",
      "frame-src 'self' https://*.vscode-cdn.net data:;",
      "worker-src 'self' data: blob:;",
      "style-src 'self' 'unsafe-inline';",
      "connect-src 'self' ws: wss: https:;",
      "font-src 'self' blob:;",
      "manifest-src 'self';",
    ].join(' ');
    return {
      body,
      headers: {
        'content-type': 'text/html',
        'content-security-policy': csp,
        // A nonce per answer: never from a cache (code-server sent no caching headers either).
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      },
    };
  }
}

/** The page of each install and user-data path, made once. */
export class IdePages {
  readonly #pages = new Map<string, IdePage | undefined>();

  pageOf(source: IdePageSource): IdePage | undefined {
    const key = `${source.install.root}\0${source.install.prefix}\0${source.userDataPath}`;
    if (!this.#pages.has(key)) this.#pages.set(key, IdePage.of(source));
    return this.#pages.get(key);
  }
}

/**
 * Whether code-server would answer `/?query` with the page itself: it redirects when neither a
 * folder nor a workspace is named (to the folder it was started with), and answers a `tkn`
 * (connection token) with a redirect that sets a cookie. Those go to code-server.
 */
export function pageAnswersQuery(query: URLSearchParams): boolean {
  if (query.has('tkn')) return false;
  return !!query.get('folder') || !!query.get('workspace');
}

/** How long code-server gets to answer the page asked of it in the background. */
const SHADOW_TIMEOUT_MS = 30_000;

/**
 * Asks the repl's code-server for the page the proxy just answered, in the background, and
 * throws the answer away: code-server loads VS Code's server on that request (the workbench's
 * connection, a second later, then finds it loaded, as after the IDE link's warm-up) and
 * remembers the query as the last one opened, exactly as when it answered the browser itself.
 */
export function askInBackground(target: Target, pathAndQuery: string, host: string): void {
  const req = http.request({ method: 'GET', path: pathAndQuery, headers: { host, 'sec-fetch-dest': 'iframe', connection: 'close' }, createConnection: () => connectTarget(target), timeout: SHADOW_TIMEOUT_MS }, (res) => res.resume());
  req.on('timeout', () => req.destroy());
  req.on('error', () => undefined);
  req.end();
}
