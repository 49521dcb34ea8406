import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Target } from '@codeyard/common/agent/protocol';
import { GrantSigner } from '@codeyard/common/tickets';
import { type AccessDecision, type AccessRequest, barWanted, decideAccess, decideTicket, HOST_COOKIE, type ProxiedRepl, type TicketDecision, type TicketRequest } from '../src/access-policy.js';

const signer = new GrantSigner(randomBytes(32));
const NOW = 1_800_000_000_000;
const ID = 'abcdefgh2345';
const OTHER = 'bbbbbbbb2345';
const OWNER = 'u-owner';
const IDE_HOST = `${ID}.localhost`;
const PRIVATE_HOST = `${ID}-8080.localhost`;
const PUBLIC_HOST = `${ID}-3000.localhost`;
const IDE: Target = { kind: 'unix', socketPath: '/run/ide.sock' };
const portTarget = (port: number): Target => ({ kind: 'tunnel', socketPath: '/run/agent.sock', port });

function repl(fields: Partial<ProxiedRepl> = {}): ProxiedRepl {
  return { owner: OWNER, status: 'running', ide: IDE, port: portTarget, isPublic: (port) => port === 3000, ...fields };
}

/** A host cookie as the proxy sets it, for `host` and `account`, optionally already expired or made through a portal credential. */
function session(host: string, account = OWNER, expiresAt = NOW + 60_000, via?: string): string {
  return `${HOST_COOKIE}=${encodeURIComponent(signer.sign({ purpose: 'session', host, account, expiresAt, via }))}`;
}

/** The portal's list of signed-out sessions and revoked tokens, as the proxy asks it. */
const revoked = (via: string): boolean => via === 's:signed-out' || via === 't:revoked';

const ide = { kind: 'ide', replId: ID } as const;
const privatePort = { kind: 'preview', replId: ID, port: 8080 } as const;
const publicPort = { kind: 'preview', replId: ID, port: 3000 } as const;
const browser = { method: 'GET', accept: 'text/html,application/xhtml+xml' };

/** An IDE request by its owner unless a row says otherwise. */
function request(fields: Partial<AccessRequest>): AccessRequest {
  return { route: ide, hostname: IDE_HOST, repl: repl(), upgrade: false, method: 'GET', path: '/', cookie: undefined, accept: undefined, origin: undefined, now: NOW, ...fields };
}

const STATIC = { prefix: `/stable-${'a'.repeat(40)}/static/`, root: '/opt/code-server/lib/vscode' };
const WORKBENCH_JS = `${STATIC.prefix}out/vs/code/browser/workbench/workbench.js`;
const withStatic = repl({ ideStatic: STATIC });
const PAGE = { install: STATIC, userDataPath: '/home/user/.local/share/code-server' };
const withPage = repl({ ideStatic: STATIC, idePage: PAGE });

const rows: Array<[situation: string, request: AccessRequest, expected: AccessDecision]> = [
  ["the owner fetches a static file of the repl's install", request({ cookie: session(IDE_HOST), repl: withStatic, path: WORKBENCH_JS }), { kind: 'ide-static', install: STATIC, rest: 'out/vs/code/browser/workbench/workbench.js' }],
  ['the owner asks for its headers', request({ cookie: session(IDE_HOST), repl: withStatic, path: WORKBENCH_JS, method: 'HEAD' }), { kind: 'ide-static', install: STATIC, rest: 'out/vs/code/browser/workbench/workbench.js' }],
  ['a stranger fetches a static file', request({ repl: withStatic, path: WORKBENCH_JS }), { kind: 'sign-in', redirect: false }],
  ["another account's cookie fetches a static file", request({ cookie: session(IDE_HOST, 'u-stranger'), repl: withStatic, path: WORKBENCH_JS }), { kind: 'sign-in', redirect: false }],
  ['a static file of a stopped repl', request({ cookie: session(IDE_HOST), repl: repl({ ideStatic: STATIC, status: 'stopped' }), path: WORKBENCH_JS }), { kind: 'not-running', owner: true, wake: true }],
  ['a static file of a running repl with no code-server to forward to', request({ cookie: session(IDE_HOST), repl: repl({ ideStatic: STATIC, ide: undefined }), path: WORKBENCH_JS }), { kind: 'no-upstream' }],
  ['a static path posted to goes to code-server', request({ cookie: session(IDE_HOST), repl: withStatic, path: WORKBENCH_JS, method: 'POST' }), { kind: 'forward', target: IDE }],
  ['a WebSocket on a static path goes to code-server', request({ cookie: session(IDE_HOST), repl: withStatic, path: WORKBENCH_JS, upgrade: true, origin: `http://${IDE_HOST}` }), { kind: 'forward', target: IDE }],
  ['another version of code-server: its own files', request({ cookie: session(IDE_HOST), repl: withStatic, path: `/stable-${'b'.repeat(40)}/static/out/x.js` }), { kind: 'forward', target: IDE }],
  ['the same path on a preview host is the app\'s', request({ route: publicPort, hostname: PUBLIC_HOST, repl: withStatic, path: WORKBENCH_JS }), { kind: 'forward', target: portTarget(3000) }],
  ['a repl whose install the proxy does not know', request({ cookie: session(IDE_HOST), path: WORKBENCH_JS }), { kind: 'forward', target: IDE }],
  ['a host of no repl', request({ repl: undefined, cookie: session(IDE_HOST) }), { kind: 'not-found' }],
  ['an upgrade to a host of no repl', request({ repl: undefined, upgrade: true }), { kind: 'not-found' }],
  ['the sign-in endpoint, for anyone', request({ path: '/_codeyard/auth' }), { kind: 'ticket-exchange' }],
  ['the sign-in endpoint on a public port', request({ route: publicPort, hostname: PUBLIC_HOST, path: '/_codeyard/auth' }), { kind: 'ticket-exchange' }],
  ["the owner polls a starting repl's status", request({ path: '/_codeyard/status', cookie: session(IDE_HOST), repl: repl({ status: 'starting' }) }), { kind: 'status' }],
  ['a stranger polls the status', request({ path: '/_codeyard/status' }), { kind: 'status-refused' }],
  ['a stranger polls the status of a public port', request({ route: publicPort, hostname: PUBLIC_HOST, path: '/_codeyard/status' }), { kind: 'status-refused' }],
  ['the owner opens the IDE', request({ cookie: session(IDE_HOST) }), { kind: 'forward', target: IDE }],
  ["the owner's browser navigates to the IDE: the Codeyard bar", request({ cookie: session(IDE_HOST), fetchDest: 'document', ...browser }), { kind: 'ide-bar' }],
  ["the bar's frame loads VS Code", request({ cookie: session(IDE_HOST), fetchDest: 'iframe', ...browser }), { kind: 'forward', target: IDE }],
  ["the bar's frame loads VS Code, whose page the proxy may make", request({ cookie: session(IDE_HOST), repl: withPage, fetchDest: 'iframe', ...browser }), { kind: 'ide-page', source: PAGE, target: IDE }],
  ['a stranger asks for the page the proxy may make', request({ repl: withPage, fetchDest: 'iframe', ...browser }), { kind: 'sign-in', redirect: true }],
  ["another account's cookie asks for it", request({ cookie: session(IDE_HOST, 'u-stranger'), repl: withPage, fetchDest: 'iframe', ...browser }), { kind: 'sign-in', redirect: true }],
  ["the owner's frame through a session signed out since gets no page", request({ cookie: session(IDE_HOST, OWNER, NOW + 60_000, 's:signed-out'), revoked, repl: withPage, fetchDest: 'iframe', ...browser }), { kind: 'sign-in', redirect: true }],
  ['the page of a stopped repl', request({ cookie: session(IDE_HOST), repl: repl({ ideStatic: STATIC, idePage: PAGE, status: 'stopped' }), fetchDest: 'iframe', ...browser }), { kind: 'not-running', owner: true, wake: true }],
  ['the page asked without saying it is for a frame goes to code-server', request({ cookie: session(IDE_HOST), repl: withPage, ...browser }), { kind: 'forward', target: IDE }],
  ['a HEAD of the page goes to code-server', request({ cookie: session(IDE_HOST), repl: withPage, fetchDest: 'iframe', ...browser, method: 'HEAD' }), { kind: 'forward', target: IDE }],
  ['another path of the frame goes to code-server', request({ cookie: session(IDE_HOST), repl: withPage, fetchDest: 'iframe', ...browser, path: '/manifest.json' }), { kind: 'forward', target: IDE }],
  ['an upgrade on / goes to code-server', request({ cookie: session(IDE_HOST), repl: withPage, upgrade: true, origin: `http://${IDE_HOST}`, fetchDest: 'iframe' }), { kind: 'forward', target: IDE }],
  ['/ of a preview host is the app\'s', request({ route: publicPort, hostname: PUBLIC_HOST, repl: withPage, fetchDest: 'iframe', ...browser }), { kind: 'forward', target: portTarget(3000) }],
  ['a top-level navigation to another IDE path goes to VS Code', request({ cookie: session(IDE_HOST), fetchDest: 'document', path: '/manifest.json' }), { kind: 'forward', target: IDE }],
  ['a stranger navigating to the IDE gets no bar', request({ fetchDest: 'document', ...browser }), { kind: 'sign-in', redirect: true }],
  ['a navigation that asks for no bar (the desktop app) gets VS Code itself', request({ cookie: session(IDE_HOST), fetchDest: 'document', bar: false, ...browser }), { kind: 'forward', target: IDE }],
  ['… whose page the proxy may make', request({ cookie: session(IDE_HOST), repl: withPage, fetchDest: 'document', bar: false, ...browser }), { kind: 'ide-page', source: PAGE, target: IDE }],
  ['a stranger asking for no bar is still sent to sign in', request({ repl: withPage, fetchDest: 'document', bar: false, ...browser }), { kind: 'sign-in', redirect: true }],
  ['a navigation to a preview gets no bar', request({ route: publicPort, hostname: PUBLIC_HOST, fetchDest: 'document', ...browser }), { kind: 'forward', target: portTarget(3000) }],
  ["the bar reads the app's state", request({ cookie: session(IDE_HOST), path: '/_codeyard/app' }), { kind: 'app', action: 'state' }],
  ['the bar presses Run', request({ cookie: session(IDE_HOST), method: 'POST', path: '/_codeyard/app/start', origin: `http://${IDE_HOST}:8080` }), { kind: 'app', action: 'start' }],
  ['the bar presses Restart', request({ cookie: session(IDE_HOST), method: 'POST', path: '/_codeyard/app/restart', origin: `http://${IDE_HOST}` }), { kind: 'app', action: 'restart' }],
  ['a stranger presses Restart', request({ method: 'POST', path: '/_codeyard/app/restart', origin: `http://${IDE_HOST}` }), { kind: 'app-refused', status: 401 }],
  ["another site posts Restart with the owner's cookie", request({ cookie: session(IDE_HOST), method: 'POST', path: '/_codeyard/app/restart', origin: 'http://evil.example' }), { kind: 'app-refused', status: 403 }],
  ['the bar presses Stop app', request({ cookie: session(IDE_HOST), method: 'POST', path: '/_codeyard/app/stop', origin: `http://${IDE_HOST}` }), { kind: 'app', action: 'stop' }],
  ['a stranger presses Run', request({ method: 'POST', path: '/_codeyard/app/start', origin: `http://${IDE_HOST}` }), { kind: 'app-refused', status: 401 }],
  ["another account's cookie presses Run", request({ cookie: session(IDE_HOST, 'u-stranger'), method: 'POST', path: '/_codeyard/app/start', origin: `http://${IDE_HOST}` }), { kind: 'app-refused', status: 401 }],
  ['a stranger reads the state', request({ path: '/_codeyard/app' }), { kind: 'app-refused', status: 401 }],
  ["another site posts Run with the owner's cookie", request({ cookie: session(IDE_HOST), method: 'POST', path: '/_codeyard/app/start', origin: 'http://evil.example' }), { kind: 'app-refused', status: 403 }],
  ['Run posted with no Origin', request({ cookie: session(IDE_HOST), method: 'POST', path: '/_codeyard/app/start' }), { kind: 'app-refused', status: 403 }],
  ['Run by GET', request({ cookie: session(IDE_HOST), path: '/_codeyard/app/start' }), { kind: 'app-refused', status: 405 }],
  ['an unknown app control', request({ cookie: session(IDE_HOST), method: 'POST', path: '/_codeyard/app/reboot', origin: `http://${IDE_HOST}` }), { kind: 'app-refused', status: 404 }],
  ['Restart by GET', request({ cookie: session(IDE_HOST), path: '/_codeyard/app/restart' }), { kind: 'app-refused', status: 405 }],
  ['app control on a preview host is the app\'s own path', request({ route: publicPort, hostname: PUBLIC_HOST, path: '/_codeyard/app' }), { kind: 'forward', target: portTarget(3000) }],
  ['a browser without a cookie opens the IDE', request(browser), { kind: 'sign-in', redirect: true }],
  ['a script without a cookie calls the IDE', request({ method: 'GET', accept: 'application/json' }), { kind: 'sign-in', redirect: false }],
  ['a form post without a cookie', request({ method: 'POST', accept: 'text/html' }), { kind: 'sign-in', redirect: false }],
  ['a stranger on a private port', request({ route: privatePort, hostname: PRIVATE_HOST, ...browser }), { kind: 'sign-in', redirect: true }],
  ['the owner on a private port', request({ route: privatePort, hostname: PRIVATE_HOST, cookie: session(PRIVATE_HOST) }), { kind: 'forward', target: portTarget(8080) }],
  ['a stranger on a public port', request({ route: publicPort, hostname: PUBLIC_HOST }), { kind: 'forward', target: portTarget(3000) }],
  ["the IDE host's cookie on a private port of the same repl", request({ route: privatePort, hostname: PRIVATE_HOST, cookie: session(IDE_HOST) }), { kind: 'sign-in', redirect: false }],
  ["another repl's cookie (same owner) on this host", request({ cookie: session(`${OTHER}.localhost`) }), { kind: 'sign-in', redirect: false }],
  ["another account's cookie for this host", request({ cookie: session(IDE_HOST, 'u-stranger') }), { kind: 'sign-in', redirect: false }],
  ['an expired host cookie', request({ cookie: session(IDE_HOST, OWNER, NOW - 1) }), { kind: 'sign-in', redirect: false }],
  ['a ticket sent as the cookie', request({ cookie: `${HOST_COOKIE}=${signer.sign({ purpose: 'ticket', host: IDE_HOST, account: OWNER, expiresAt: NOW + 60_000 })}` }), { kind: 'sign-in', redirect: false }],
  ['a cookie signed with another key', request({ cookie: `${HOST_COOKIE}=${new GrantSigner(randomBytes(32)).sign({ purpose: 'session', host: IDE_HOST, account: OWNER, expiresAt: NOW + 60_000 })}` }), { kind: 'sign-in', redirect: false }],
  ['a malformed cookie', request({ cookie: `${HOST_COOKIE}=%E0%A4%A` }), { kind: 'sign-in', redirect: false }],
  ["a sibling's tossed cookie sent before ours", request({ cookie: `${session(`${OTHER}.localhost`)}; ${session(IDE_HOST)}` }), { kind: 'forward', target: IDE }],
  ['a cookie of another name with a valid grant', request({ cookie: `other=${encodeURIComponent(signer.sign({ purpose: 'session', host: IDE_HOST, account: OWNER, expiresAt: NOW + 60_000 }))}` }), { kind: 'sign-in', redirect: false }],
  ['an upgrade by the owner from this host', request({ upgrade: true, cookie: session(IDE_HOST), origin: `http://${IDE_HOST}` }), { kind: 'forward', target: IDE }],
  ['an upgrade by the owner from this host on another scheme and port', request({ upgrade: true, cookie: session(IDE_HOST), origin: `https://${IDE_HOST}:8443` }), { kind: 'forward', target: IDE }],
  ['an upgrade with the owner cookie from a foreign Origin', request({ upgrade: true, cookie: session(IDE_HOST), origin: 'http://evil.example.com' }), { kind: 'cross-origin' }],
  ['an upgrade with the owner cookie from a sibling repl', request({ upgrade: true, cookie: session(IDE_HOST), origin: `http://${OTHER}.localhost` }), { kind: 'cross-origin' }],
  ['an upgrade with the owner cookie from the parent domain', request({ upgrade: true, cookie: session(IDE_HOST), origin: 'http://localhost' }), { kind: 'cross-origin' }],
  ['an upgrade with the owner cookie and no Origin', request({ upgrade: true, cookie: session(IDE_HOST) }), { kind: 'cross-origin' }],
  ['an upgrade with the owner cookie and a malformed Origin', request({ upgrade: true, cookie: session(IDE_HOST), origin: 'null' }), { kind: 'cross-origin' }],
  ['an upgrade without a cookie, even from this host and a browser', request({ upgrade: true, origin: `http://${IDE_HOST}`, ...browser }), { kind: 'sign-in', redirect: false }],
  ['an upgrade to a public port from anywhere', request({ route: publicPort, hostname: PUBLIC_HOST, upgrade: true, origin: 'http://evil.example.com' }), { kind: 'forward', target: portTarget(3000) }],
  ['an upgrade to the sign-in path is an ordinary path', request({ route: publicPort, hostname: PUBLIC_HOST, upgrade: true, path: '/_codeyard/auth' }), { kind: 'forward', target: portTarget(3000) }],
  ['an upgrade to a repl that is not running', request({ upgrade: true, cookie: session(IDE_HOST), origin: `http://${IDE_HOST}`, repl: repl({ status: 'stopped' }) }), { kind: 'not-running', owner: true, wake: true }],
  ['the owner opens a stopped repl: it is woken', request({ cookie: session(IDE_HOST), repl: repl({ status: 'stopped', ide: undefined }) }), { kind: 'not-running', owner: true, wake: true }],
  ['the owner opens a repl that failed: it is woken', request({ cookie: session(IDE_HOST), repl: repl({ status: 'error' }) }), { kind: 'not-running', owner: true, wake: true }],
  ['the owner opens a starting repl: no second start', request({ cookie: session(IDE_HOST), repl: repl({ status: 'starting' }) }), { kind: 'not-running', owner: true, wake: false }],
  ['the owner opens a stopping repl', request({ cookie: session(IDE_HOST), repl: repl({ status: 'stopping' }) }), { kind: 'not-running', owner: true, wake: false }],
  ['a stranger on the public port of a stopped repl: never woken', request({ route: publicPort, hostname: PUBLIC_HOST, repl: repl({ status: 'stopped' }) }), { kind: 'not-running', owner: false, wake: false }],
  ['a stranger on a private port of a stopped repl', request({ route: privatePort, hostname: PRIVATE_HOST, repl: repl({ status: 'stopped' }) }), { kind: 'sign-in', redirect: false }],
  ['a running repl with no IDE to reach', request({ cookie: session(IDE_HOST), repl: repl({ ide: undefined }) }), { kind: 'no-upstream' }],
  ['the owner, through a session still signed in', request({ cookie: session(IDE_HOST, OWNER, NOW + 60_000, 's:live'), revoked }), { kind: 'forward', target: IDE }],
  ['the owner, through a session signed out since', request({ cookie: session(IDE_HOST, OWNER, NOW + 60_000, 's:signed-out'), revoked, ...browser }), { kind: 'sign-in', redirect: true }],
  ['the owner, through an API token revoked since', request({ cookie: session(IDE_HOST, OWNER, NOW + 60_000, 't:revoked'), revoked }), { kind: 'sign-in', redirect: false }],
  ['a signed-out cookie beside a live one for this host', request({ cookie: `${session(IDE_HOST, OWNER, NOW + 60_000, 's:signed-out')}; ${session(IDE_HOST, OWNER, NOW + 60_000, 's:live')}`, revoked }), { kind: 'forward', target: IDE }],
  ["a signed-out owner's Run in the bar", request({ cookie: session(IDE_HOST, OWNER, NOW + 60_000, 's:signed-out'), revoked, method: 'POST', path: '/_codeyard/app/start', origin: `http://${IDE_HOST}` }), { kind: 'app-refused', status: 401 }],
  ["a signed-out owner's WebSocket", request({ cookie: session(IDE_HOST, OWNER, NOW + 60_000, 's:signed-out'), revoked, upgrade: true, origin: `http://${IDE_HOST}` }), { kind: 'sign-in', redirect: false }],
  ['a running repl with no port to reach', request({ route: publicPort, hostname: PUBLIC_HOST, repl: repl({ port: undefined }) }), { kind: 'no-upstream' }],
];

describe('the codeyard-bar query', () => {
  for (const [search, wanted] of [['', true], ['?folder=/x', true], ['?folder=/x&codeyard-bar=off', false], ['?codeyard-bar=on', true], ['?codeyard-bar=OFF', true]] as const) {
    it(`${search || '(none)'}: bar ${wanted ? 'on' : 'off'}`, () => assert.equal(barWanted(search), wanted));
  }
});

describe('access policy: who may reach what', () => {
  for (const [situation, req, expected] of rows) {
    it(situation, () => assert.deepEqual(decideAccess(req, signer), expected));
  }
});

const ticket = (fields: { host?: string; account?: string; expiresAt?: number; purpose?: 'ticket' | 'session' } = {}): string =>
  signer.sign({ purpose: fields.purpose ?? 'ticket', host: fields.host ?? IDE_HOST, account: fields.account ?? OWNER, expiresAt: fields.expiresAt ?? NOW + 60_000 });

function exchange(fields: Partial<TicketRequest>): TicketRequest {
  return { ticket: ticket(), hostname: IDE_HOST, owner: OWNER, wait: 0, now: NOW, ...fields };
}

const refused = (reason: string): TicketDecision => ({ kind: 'refused', reason });

const ticketRows: Array<[situation: string, request: TicketRequest, expected: TicketDecision | 'redeem']> = [
  ['too many attempts from one address, even with a good ticket', exchange({ wait: 12 }), { kind: 'too-many', wait: 12 }],
  ['a good ticket, not yet recorded: ask the ledger', exchange({}), 'redeem'],
  ['a good ticket, its first use', exchange({ firstUse: true }), { kind: 'session', account: OWNER }],
  ["a good ticket made through a portal session: the host cookie carries it", exchange({ ticket: signer.sign({ purpose: 'ticket', host: IDE_HOST, account: OWNER, expiresAt: NOW + 60_000, via: 's:abc' }), firstUse: true }), { kind: 'session', account: OWNER, via: 's:abc' }],
  ['a ticket used before', exchange({ firstUse: false }), refused('This link was already used.')],
  ['a ticket the ledger could not record', exchange({ firstUse: 'failed' }), refused('This link could not be checked.')],
  ['an expired ticket', exchange({ ticket: ticket({ expiresAt: NOW - 1 }) }), refused('This link has expired.')],
  ['an expired ticket the ledger already saw', exchange({ ticket: ticket({ expiresAt: NOW }), firstUse: true }), refused('This link has expired.')],
  ["a ticket for another repl's host", exchange({ ticket: ticket({ host: `${OTHER}.localhost` }) }), refused('This link is not valid here.')],
  ["a ticket for the IDE host on one of its ports", exchange({ hostname: PRIVATE_HOST }), refused('This link is not valid here.')],
  ['a host cookie used as a ticket', exchange({ ticket: ticket({ purpose: 'session' }) }), refused('This link is not valid here.')],
  ['a ticket signed with another key', exchange({ ticket: new GrantSigner(randomBytes(32)).sign({ purpose: 'ticket', host: IDE_HOST, account: OWNER, expiresAt: NOW + 60_000 }) }), refused('This link is not valid here.')],
  ['no ticket at all', exchange({ ticket: undefined }), refused('This link is not valid here.')],
  ['garbage for a ticket', exchange({ ticket: 'abc.def' }), refused('This link is not valid here.')],
  ["a stranger's own ticket for this host", exchange({ ticket: ticket({ account: 'u-stranger' }), firstUse: true }), refused('This link is for somebody else.')],
];

describe('access policy: the ticket exchange', () => {
  for (const [situation, req, expected] of ticketRows) {
    it(situation, () => {
      const decision = decideTicket(req, signer);
      if (expected === 'redeem') {
        assert.equal(decision.kind, 'redeem');
        const grant = signer.verify(req.ticket, { purpose: 'ticket', host: req.hostname, now: NOW });
        assert.ok(grant.ok);
        assert.deepEqual(decision, { kind: 'redeem', nonce: grant.grant.nonce, expiresAt: grant.grant.expiresAt });
      } else {
        assert.deepEqual(decision, expected);
      }
    });
  }
});
