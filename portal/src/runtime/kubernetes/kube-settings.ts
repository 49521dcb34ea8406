import fs from 'node:fs';
import type { V1Toleration } from '@kubernetes/client-node';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLOCKED_V4_CIDRS, BLOCKED_V6_CIDRS, isCidr } from '@codeyard/common/addresses';
// Used only when a setting is read, after both modules are loaded (config-table imports this one).
import { ConfigError } from '../../config-table.js';
import { readNodeSelector, readTolerations } from './kube-placement.js';

/**
 * The `kubernetes` runtime's settings (CODEYARD_KUBE_*), read by config-table.ts: where repl pods
 * go, which images they run, and the network they get. Checked here, once, with messages that
 * name the variable.
 */
export interface KubeSettings {
  /** Namespace of the repl pods, their Secrets and NetworkPolicies. */
  namespace: string;
  /** Namespace of the portal and proxy pods (the relay's and the proxy's side of the policy). */
  controlNamespace: string;
  imagePrefix: string;
  imageTag: string;
  runtimeClassName?: string;
  /** Node labels repl pods must run on (empty: any node). */
  nodeSelector: Record<string, string>;
  /** Taints of those nodes repl pods tolerate. */
  tolerations: V1Toleration[];
  /** Never reachable from a repl: the egress proxy's ranges by default, plus the cluster's CIDRs. */
  blockedCidrs: string[];
  proxySelector: Record<string, string>;
  portalSelector: Record<string, string>;
  /** Port the portal serves the workspace relay on, for repl pods; and the URL pods use. */
  relayPort: number;
  relayUrl: string;
  terminationGraceSeconds: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

/** The release: the default image tag, so a portal runs the images built from the same tree. */
export function releaseVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'latest';
  }
}

export const DEFAULT_BLOCKED_CIDRS: readonly string[] = [...BLOCKED_V4_CIDRS, ...BLOCKED_V6_CIDRS];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function fail(message: string): never {
  throw new ConfigError(message);
}

function value(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function cidrList(env: Env, name: string, fallback: readonly string[]): string[] {
  const text = value(env, name);
  if (text === undefined) return [...fallback];
  const list = text.split(',').map((c) => c.trim()).filter(Boolean);
  const bad = list.find((c) => !isCidr(c));
  if (bad) fail(`${name} must be a comma-separated list of CIDRs like 10.0.0.0/8,fd00::/8, got ${JSON.stringify(bad)}`);
  return list;
}

function selector(env: Env, name: string, fallback: string): Record<string, string> {
  const text = value(env, name) ?? fallback;
  const pairs = text.split(',').map((p) => p.trim()).filter(Boolean);
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, val, ...rest] = pair.split('=');
    if (rest.length || key === undefined || val === undefined || !LABEL_KEY.test(key) || !LABEL_VALUE.test(val)) fail(`${name} must be labels like app.kubernetes.io/component=proxy (comma-separated), got ${JSON.stringify(pair)}`);
    labels[key] = val;
  }
  if (!Object.keys(labels).length) fail(`${name} must name at least one label (an empty selector would match every pod)`);
  return labels;
}

function dnsLabel(env: Env, name: string, fallback: string | undefined): string | undefined {
  const text = value(env, name) ?? fallback;
  if (text !== undefined && !DNS_LABEL.test(text)) fail(`${name} must be a Kubernetes name (lowercase letters, digits and dashes, at most 63), got ${JSON.stringify(text)}`);
  return text;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = value(env, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

/** Reads every CODEYARD_KUBE_* variable (also when another runtime is chosen: a typo fails at once). */
export function readKubeSettings(env: Env): KubeSettings {
  const namespace = dnsLabel(env, 'CODEYARD_KUBE_NAMESPACE', 'codeyard-repls')!;
  const controlNamespace = dnsLabel(env, 'CODEYARD_KUBE_CONTROL_NAMESPACE', 'codeyard')!;
  const relayPort = integer(env, 'CODEYARD_KUBE_RELAY_PORT', 8081, 1, 65535);
  const relayUrl = value(env, 'CODEYARD_KUBE_RELAY_URL') ?? `http://codeyard-portal.${controlNamespace}.svc:${relayPort}`;
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(relayUrl)) fail(`CODEYARD_KUBE_RELAY_URL must be an http:// or https:// URL, got ${JSON.stringify(relayUrl)}`);
  const prefix = value(env, 'CODEYARD_KUBE_IMAGE_PREFIX') ?? 'localhost/';
  if (/\s/.test(prefix) || !(prefix.endsWith('/') || prefix.endsWith('-'))) fail(`CODEYARD_KUBE_IMAGE_PREFIX must end with / or - (images are <prefix>codeyard-<stack>:<tag>), got ${JSON.stringify(prefix)}`);
  const tag = value(env, 'CODEYARD_KUBE_IMAGE_TAG') ?? releaseVersion();
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) fail(`CODEYARD_KUBE_IMAGE_TAG must be an image tag, got ${JSON.stringify(tag)}`);
  return {
    namespace,
    controlNamespace,
    imagePrefix: prefix,
    imageTag: tag,
    runtimeClassName: dnsLabel(env, 'CODEYARD_KUBE_RUNTIME_CLASS', undefined),
    nodeSelector: readNodeSelector(env),
    tolerations: readTolerations(env),
    blockedCidrs: [...cidrList(env, 'CODEYARD_KUBE_BLOCKED_CIDRS', DEFAULT_BLOCKED_CIDRS), ...cidrList(env, 'CODEYARD_KUBE_CLUSTER_CIDRS', [])],
    proxySelector: selector(env, 'CODEYARD_KUBE_PROXY_SELECTOR', 'app.kubernetes.io/name=codeyard,app.kubernetes.io/component=proxy'),
    portalSelector: selector(env, 'CODEYARD_KUBE_PORTAL_SELECTOR', 'app.kubernetes.io/name=codeyard,app.kubernetes.io/component=portal'),
    relayPort,
    relayUrl,
    terminationGraceSeconds: integer(env, 'CODEYARD_KUBE_GRACE_SECONDS', 60, 10, 3600),
  };
}
