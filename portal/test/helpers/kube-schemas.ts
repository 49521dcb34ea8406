import * as k8s from '@kubernetes/client-node';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';

/**
 * Checks Kubernetes objects as the API server would, in two parts:
 * - the official schemas (types, formats such as quantities, enums, required fields), from the
 *   `kubernetes-models` package, whose validators are generated from Kubernetes' own OpenAPI
 *   document;
 * - no field the API does not know (the server drops or, with strict field validation, refuses
 *   them: a typo in `securityContext` would silently leave a pod unprotected), from the field
 *   tables of `@kubernetes/client-node`'s models, generated from the same document.
 * Answers the problems found, empty when the object is valid.
 */
export function kubeProblems(object: { apiVersion?: string; kind?: string }): string[] {
  const problems: string[] = [];
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!model) return [`no schema known here for ${object.apiVersion} ${object.kind}`];
  try {
    new model.schema(object as never).validate();
  } catch (err) {
    problems.push(`schema: ${(err as Error).message}`);
  }
  unknownFields(object, model.type, '', problems);
  return problems;
}

const MODELS: Record<string, { schema: new (data: never) => { validate(): void }; type: string }> = {
  'v1/Pod': { schema: Pod, type: 'V1Pod' },
  'v1/Secret': { schema: Secret, type: 'V1Secret' },
  'networking.k8s.io/v1/NetworkPolicy': { schema: NetworkPolicy, type: 'V1NetworkPolicy' },
};

type AttributeMap = Array<{ name: string; baseName: string; type: string }>;

function attributesOf(type: string): AttributeMap | undefined {
  const model = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => AttributeMap }>)[type];
  return model?.getAttributeTypeMap?.();
}

/** Walks `value` as `type`, naming every key the model has no field for (by its wire name). */
function unknownFields(value: unknown, type: string, at: string, problems: string[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((item, i) => unknownFields(item, array[1]!, `${at}[${i}]`, problems));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    for (const [key, item] of Object.entries(value as object)) unknownFields(item, map[1]!, `${at}.${key}`, problems);
    return;
  }
  const attributes = attributesOf(type);
  if (!attributes || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value as object)) {
    const field = attributes.find((a) => a.baseName === key);
    if (!field) problems.push(`unknown field ${at}.${key} (not in ${type})`);
    else unknownFields(item, field.type, `${at}.${key}`, problems);
  }
}
