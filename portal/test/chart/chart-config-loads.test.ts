import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { type K8sObject, one, REPO_ROOT, render, standinMissing, variants } from './render.js';

/**
 * What each rendered Deployment's container would see as its environment (the image's ENV, then
 * envFrom in order, then env), handed to the portal's real loadConfig: a chart whose values the
 * portal refuses (a preview domain on the portal's site, a bad setting in `config:`) would install
 * pods that never start, and helm would not notice.
 */

type Obj = Record<string, any>; // rendered YAML: checked field by field
const missing = await standinMissing();
const skip = missing && !process.env.CI ? `chart not rendered: ${missing}` : false;

/** The ENV of images/Containerfile.portal: what the container starts with before the chart's settings. */
const IMAGE_ENV = { NODE_ENV: 'production', CODEYARD_DATA: '/data', HOME: '/data' };
/**
 * What secrets.existingSecret is expected to hold (values.yaml names the keys): the chart does not
 * render it, so the test stands in for the operator's Secret.
 */
const EXISTING_SECRET = {
  CODEYARD_SIGNING_KEY: '8b1f0c7a6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a',
  CODEYARD_DATABASE_URL: 'postgres://codeyard:pw@postgres.db.svc:5432/codeyard',
};

/** A container's environment as the kubelet builds it: envFrom sources in order, then env over them. */
function containerEnv(objects: K8sObject[], deployment: string): Record<string, string> {
  const container = (one(objects, 'Deployment', deployment) as Obj).spec.template.spec.containers[0];
  const env: Record<string, string> = { ...IMAGE_ENV };
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, (one(objects, 'ConfigMap', source.configMapRef.name) as Obj).data);
    else if (source.secretRef) {
      const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === source.secretRef.name) as Obj | undefined;
      Object.assign(env, secret ? { ...secret.stringData, ...Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()])) } : EXISTING_SECRET);
    }
  }
  for (const entry of container.env ?? []) {
    assert.ok('value' in entry, `${deployment}: env ${entry.name} has a literal value`);
    env[entry.name] = String(entry.value);
  }
  return env;
}

describe("every variant of the chart gives the portal and the proxy a configuration the portal's loadConfig accepts", { skip }, () => {
  const rendered = new Map<string, K8sObject[]>();
  before(async () => {
    for (const file of await variants()) rendered.set(file, await render({ values: [file] }));
  });

  test('the portal and proxy containers of every variant start with their settings (loadConfig throws nothing)', () => {
    for (const [file, objects] of rendered) {
      for (const component of ['portal', 'proxy']) {
        const env = containerEnv(objects, `demo-codeyard-${component}`);
        let config: ReturnType<typeof loadConfig> | undefined;
        assert.doesNotThrow(() => (config = loadConfig(env)), `${file}: ${component}`);
        assert.equal(config!.runtime, 'kubernetes', `${file}: ${component}`);
        assert.equal(config!.domain, 'codeyard.example.com', `${file}: ${component}`);
        assert.ok(config!.previewDomain, `${file}: ${component} has a preview domain`);
        assert.equal(config!.role, component === 'proxy' ? 'proxy' : 'all', `${file}: ${component}'s role`);
      }
    }
  });
});

test("scripts/k8s-e2e.sh installs with a domain pair the portal accepts", async () => {
  const script = await readFile(path.join(REPO_ROOT, 'scripts/k8s-e2e.sh'), 'utf8');
  const domain = /^DOMAIN="([^"]+)"/m.exec(script)?.[1];
  const previewDomain = /^PREVIEW_DOMAIN="([^"]+)"/m.exec(script)?.[1];
  assert.ok(domain && previewDomain, 'the script sets DOMAIN and PREVIEW_DOMAIN');
  assert.doesNotThrow(() => loadConfig({ CODEYARD_DOMAIN: domain, CODEYARD_PREVIEW_DOMAIN: previewDomain }));
});
