import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Ajv, type ErrorObject } from 'ajv';
import { CHART_DIR, mergedValues, standinMissing, variants } from './render.js';

/**
 * values.schema.json, which helm checks before rendering anything: every tested variant passes,
 * and each kind of mistake someone could make is refused with the field it is about. Checked
 * with ajv (draft-07, as helm reads it) on the values helm would check: the chart's defaults
 * coalesced with the user's file (helm-standin --show-values).
 */

const schema = JSON.parse(await readFile(path.join(CHART_DIR, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
const check = ajv.compile(schema);
const missing = await standinMissing();
const skip = missing && !process.env.CI ? `values not coalesced: ${missing}` : false;
const minimal = (await mergedValues(['minimal-values.yaml']).catch(() => undefined)) as Record<string, any> | undefined;

/** Helm's way of naming a field (secrets.signingKey), with the unknown or missing key where that is the mistake. */
function field(e: ErrorObject): string {
  const key = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
  return [e.instancePath.slice(1).replaceAll('/', '.'), key].filter(Boolean).join('.');
}

/** The minimal install with one change, through a path like "secrets.signingKey"; undefined deletes. */
function withChange(at: string, value: unknown): unknown {
  const copy = structuredClone(minimal!);
  const keys = at.split('.');
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key];
  if (value === undefined) delete node[keys.at(-1)!];
  else node[keys.at(-1)!] = value;
  return copy;
}

function problems(values: unknown): string[] {
  // An `if` that chose its `then` is reported too: only the field errors say what is wrong.
  return check(values) ? [] : (check.errors ?? []).filter((e) => e.keyword !== 'if').map(field);
}

describe('values.schema.json', { skip }, () => {
  test('every tested variant, coalesced with the defaults, is valid', async () => {
    for (const file of await variants()) assert.deepEqual(problems(await mergedValues([file])), [], file);
  });

  test('the chart defaults alone are refused: an install must name its domains, bucket, signing key and database', async () => {
    const found = problems(await mergedValues([]));
    for (const name of ['domain', 'previewDomain', 'store.bucket', 'secrets.signingKey', 'secrets.databaseUrl']) assert.ok(found.includes(name), `${name} in ${found.join(', ')}`);
  });

  test('each mistake is refused, naming the field', () => {
    const cases: [string, unknown, string][] = [
      ['domain', 'Codeyard.Example.com', 'domain'],
      ['domain', 'https://codeyard.example.com', 'domain'],
      ['previewDomain', undefined, 'previewDomain'],
      ['publicScheme', 'ftp', 'publicScheme'],
      ['image.prefix', 'registry.example.com/codeyard', 'image.prefix'],
      ['secrets.signingKey', 'abc123', 'secrets.signingKey'],
      ['secrets.signingKey', '', 'secrets.signingKey'],
      ['secrets.databaseUrl', 'mysql://db/codeyard', 'secrets.databaseUrl'],
      ['secrets.adminToken', 'too-short', 'secrets.adminToken'],
      ['store.bucket', 'My_Bucket', 'store.bucket'],
      ['store.forcePathStyle', 'yes', 'store.forcePathStyle'],
      ['config.CODEYARD_MAX_RUNNING_PER_ACCOUNT', 5, 'config.CODEYARD_MAX_RUNNING_PER_ACCOUNT'],
      ['config.CODEYARD_SIGNING_KEY', 'a secret in a ConfigMap', 'config'],
      ['config.HOME', '/tmp', 'config'],
      ['portal.replica', 3, 'portal.replica'],
      ['portal.replicas', 0, 'portal.replicas'],
      ['proxy.hpa.maxReplicas', '5', 'proxy.hpa.maxReplicas'],
      ['portal.resources.requests.gpu', '1', 'portal.resources.requests'],
      ['portal.resources.limits.memory', '1 GB', 'portal.resources.limits.memory'],
      ['repls.namespace', 'Repls_NS', 'repls.namespace'],
      ['repls.egress.clusterCidrs', ['10.0.0.0'], 'repls.egress.clusterCidrs.0'],
      ['repls.relayPort', 8080, 'repls.relayPort'],
      ['placeholders.priority', 0, 'placeholders.priority'],
      ['placeholders.priority', -100, 'placeholders.priority'],
      ['ingress.tls.enabeld', true, 'ingress.tls.enabeld'],
      ['replNodes.tolerations', [{ key: 'pool', effect: 'NoScheduled' }], 'replNodes.tolerations.0.effect'],
      ['replNodes.tolerations', [{ key: 'pool', operater: 'Exists' }], 'replNodes.tolerations.0.operater'],
      ['warmNodes', { nodeSelector: {} }, 'warmNodes'],
    ];
    for (const [at, value, expected] of cases) {
      const found = problems(withChange(at, value));
      assert.ok(found.length > 0, `${at} = ${JSON.stringify(value)} was accepted`);
      assert.ok(found.includes(expected), `${at} = ${JSON.stringify(value)}: refused for ${found.join(', ')}, not for ${expected}`);
    }
  });

  test('an existing Secret makes the signing key and database URL optional; a ServiceAccount the chart does not make needs a name', () => {
    const existing = { ...structuredClone(minimal!), secrets: { ...minimal!.secrets, existingSecret: 'codeyard-managed', signingKey: '', databaseUrl: '' } };
    assert.deepEqual(problems(existing), []);
    assert.deepEqual(problems(withChange('serviceAccount.create', false)), ['serviceAccount.name']);
    assert.deepEqual(problems({ ...(withChange('serviceAccount.create', false) as object), serviceAccount: { create: false, name: 'codeyard' } }), []);
  });

  test('its patterns are ones Go can compile: helm checks them with Go regular expressions (no lookaround)', () => {
    const patterns = JSON.stringify(schema).match(/"pattern":"(?:[^"\\]|\\.)*"/g) ?? [];
    assert.ok(patterns.length > 10);
    for (const p of patterns) assert.doesNotMatch(p, /\(\?[=!<]/, p);
  });
});
