/**
 * Validates Kubernetes objects against the official API schemas, as compiled by the
 * kubernetes-models package (from Kubernetes' OpenAPI document; the same package the kubernetes
 * runtime's tests use). Those schemas accept unknown fields, as the API server does with a
 * warning, but a misplaced field is a silent bug in a chart (a probe one level too deep is
 * simply dropped), so this is strict too: it records every field the validator looks at and
 * reports the ones it never did, as `kubectl --validate=strict` and kubeconform -strict do.
 */

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; keyword: string; params: unknown }[] | null };

/** `apps/v1` Deployment → IoK8sApiAppsV1Deployment (core `v1` → IoK8sApiCoreV1…). */
export function schemaName(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  return `IoK8sApi${cap(group!.split('.')[0]!)}${cap(version!)}${kind}`;
}

/**
 * Wraps `value` so that reading a property (or listing the keys, which a schema for a free-form
 * map does) marks its path as known.
 */
function tracked(value: unknown, pointer: string, seen: Set<string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const raw = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return raw;
      seen.add(`${pointer}/${key}`);
      if (!cache.has(key)) cache.set(key, tracked(raw, `${pointer}/${key}`, seen));
      return cache.get(key);
    },
    ownKeys(target) {
      for (const key of Reflect.ownKeys(target)) if (typeof key === 'string') seen.add(`${pointer}/${key}`);
      return Reflect.ownKeys(target);
    },
  });
}

/**
 * kubernetes-models' generator drops every property named `description` (it takes it for the
 * JSON Schema annotation), so PriorityClass.description is never read: not reported as unknown.
 */
const UNCHECKED = new Set(['description']);

function unseen(value: unknown, pointer: string, seen: Set<string>, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const at = `${pointer}/${key}`;
    if (!seen.has(at) && !UNCHECKED.has(key)) out.push(at);
    else unseen(child, at, seen, out);
  }
}

/** Problems with one object: schema errors and unknown fields, each with its JSON pointer; [] when valid. */
export async function validateObject(object: { apiVersion?: unknown; kind?: unknown }): Promise<string[]> {
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') return ['apiVersion and kind are required'];
  const name = schemaName(object.apiVersion, object.kind);
  let validate: Validate;
  try {
    ({ validate } = (await import(`kubernetes-models/_schemas/${name}`)) as { validate: Validate });
  } catch {
    return [`no Kubernetes schema for ${object.apiVersion} ${object.kind} (${name}): not a built-in kind, or a removed API version`];
  }
  const seen = new Set<string>();
  const ok = validate(tracked(object, '', seen));
  const problems = ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
  const unknown: string[] = [];
  unseen(object, '', seen, unknown);
  return [...problems, ...unknown.map((at) => `${at}: unknown field (not in the ${object.kind} schema)`)];
}
