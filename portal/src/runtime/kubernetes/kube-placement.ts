import type { V1Toleration } from '@kubernetes/client-node';
// Used only when a setting is read, after both modules are loaded (config-table imports kube-settings, which imports this).
import { ConfigError } from '../../config-table.js';

/**
 * Where repl pods may run (CODEYARD_KUBE_NODE_SELECTOR, CODEYARD_KUBE_TOLERATIONS): a node pool of
 * their own, typically the nodes the chart's pre-puller and placeholders sit on, so a repl lands
 * where its image is already pulled and room is held for it.
 */

type Env = Readonly<Record<string, string | undefined>>;

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const TOLERATION_FIELDS = new Set(['key', 'operator', 'value', 'effect', 'tolerationSeconds']);

/** `key=value,key2=value2` → labels; empty or unset: no selector (any node). */
export function readNodeSelector(env: Env): Record<string, string> {
  const name = 'CODEYARD_KUBE_NODE_SELECTOR';
  const labels: Record<string, string> = {};
  for (const pair of (env[name] ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, val, ...rest] = pair.split('=');
    if (rest.length || key === undefined || val === undefined || !LABEL_KEY.test(key) || !LABEL_VALUE.test(val)) {
      throw new ConfigError(`${name} must be node labels like codeyard.dev/pool=repls (comma-separated key=value), got ${JSON.stringify(pair)}`);
    }
    labels[key] = val;
  }
  return labels;
}

function badToleration(what: string, detail: string): never {
  throw new ConfigError(`CODEYARD_KUBE_TOLERATIONS: ${what} ${detail}. Write key[=value][:Effect] entries separated by commas (codeyard.dev/repls:NoSchedule, pool=repls:NoExecute), or a JSON array of Kubernetes tolerations`);
}

/** One toleration checked as the API would (key, operator, value, effect, seconds). */
function checked(t: Record<string, unknown>, what: string): V1Toleration {
  for (const field of Object.keys(t)) if (!TOLERATION_FIELDS.has(field)) badToleration(what, `has an unknown field ${JSON.stringify(field)}`);
  const { key, operator = t.value === undefined ? 'Exists' : 'Equal', value, effect, tolerationSeconds } = t;
  if (key !== undefined && (typeof key !== 'string' || !LABEL_KEY.test(key))) badToleration(what, `has a key that is not a taint key: ${JSON.stringify(key)}`);
  if (operator !== 'Exists' && operator !== 'Equal') badToleration(what, `has operator ${JSON.stringify(operator)} (Exists or Equal)`);
  if (operator === 'Exists' && value !== undefined) badToleration(what, 'gives a value with operator Exists');
  if (operator === 'Equal' && (typeof value !== 'string' || !LABEL_VALUE.test(value))) badToleration(what, `needs a taint value with operator Equal, got ${JSON.stringify(value)}`);
  if (key === undefined && operator !== 'Exists') badToleration(what, 'has no key: only operator Exists may leave it out (tolerating every taint)');
  if (effect !== undefined && !(EFFECTS as readonly unknown[]).includes(effect)) badToleration(what, `has effect ${JSON.stringify(effect)} (${EFFECTS.join(', ')})`);
  if (tolerationSeconds !== undefined && (!Number.isInteger(tolerationSeconds) || effect !== 'NoExecute')) badToleration(what, 'has tolerationSeconds, which must be a whole number and goes with effect NoExecute only');
  const out: V1Toleration = { operator: operator as string };
  if (key !== undefined) out.key = key as string;
  if (value !== undefined) out.value = value as string;
  if (effect !== undefined) out.effect = effect as string;
  if (tolerationSeconds !== undefined) out.tolerationSeconds = tolerationSeconds as number;
  return out;
}

/** `key[=value][:Effect]`: without a value the taint is tolerated whatever its value (Exists). */
function compact(entry: string): V1Toleration {
  const what = JSON.stringify(entry);
  const colon = entry.lastIndexOf(':');
  const [left, effect] = colon >= 0 ? [entry.slice(0, colon), entry.slice(colon + 1)] : [entry, undefined];
  if (effect === '') badToleration(what, 'ends with ":" but names no effect');
  const eq = left.indexOf('=');
  const [key, value] = eq >= 0 ? [left.slice(0, eq), left.slice(eq + 1)] : [left, undefined];
  if (!key) badToleration(what, 'has no key');
  return checked({ key, ...(value !== undefined ? { value } : {}), ...(effect !== undefined ? { effect } : {}) }, what);
}

/** The tolerations of repl pods, from the compact form or JSON (what the chart writes); none when unset. */
export function readTolerations(env: Env): V1Toleration[] {
  const text = env.CODEYARD_KUBE_TOLERATIONS?.trim();
  if (!text) return [];
  if (!text.startsWith('[')) return text.split(',').map((e) => e.trim()).filter(Boolean).map(compact);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    badToleration('the value', `is not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed)) badToleration('the JSON', 'must be an array');
  return parsed.map((t: unknown, i) => {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) badToleration(`entry ${i}`, 'must be an object like {"key":"codeyard.dev/repls","operator":"Exists","effect":"NoSchedule"}');
    return checked(t as Record<string, unknown>, `entry ${i}`);
  });
}
