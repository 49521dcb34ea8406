import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import * as yaml from 'js-yaml';
import { isReplId } from '@codeyard/common/repl-id';
import { loadConfig } from './config.js';
import { loadTemplates } from './templates/catalog.js';
import { kubeObjectOptions } from './runtime/kubernetes/kube-options.js';
import { replObjects } from './runtime/kubernetes/manifests.js';

const USAGE = `usage: npm run kube:manifests -- --stack <stack> --repl <repl id> [--owner <account id>] [--warm]

Prints, as YAML, the objects the kubernetes runtime creates for one repl (a NetworkPolicy, a
Secret with the agent's config, a Pod), with the settings of this environment (CODEYARD_KUBE_*).
The secrets in it are made for this print only. --warm prints a warm-pool pod of the stack.`;

/** `npm run kube:manifests`: the objects of one repl, to read or to run (`podman kube play`, `kubectl apply`). */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stack: { type: 'string' }, repl: { type: 'string' }, owner: { type: 'string' }, warm: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (!values.stack || (!values.repl && !values.warm)) throw new Error(USAGE);
  const config = loadConfig();
  const templates = await loadTemplates(config.templatesDir);
  const template = templates.find((t) => t.manifest.id === values.stack);
  if (!template) throw new Error(`no stack ${JSON.stringify(values.stack)}; stacks: ${templates.map((t) => t.manifest.id).join(', ')}`);
  if (values.repl && !isReplId(values.repl)) process.stderr.write(`note: ${JSON.stringify(values.repl)} is not a repl id (12 characters a-z2-7, a letter first): the agent refuses such a config, so this print is to read, not to run\n`);
  const sandboxId = randomBytes(6).toString('hex');
  const objects = replObjects(
    {
      sandboxId,
      manifest: template.manifest,
      repl: values.warm ? undefined : { id: values.repl!, owner: values.owner, info: { name: values.repl!, stack: template.manifest.id, port: template.manifest.port, previewUrl: '' } },
      gateSecret: randomBytes(32).toString('hex'),
      relayToken: values.warm ? undefined : randomBytes(32).toString('base64url'),
    },
    kubeObjectOptions(config),
  );
  process.stdout.write([objects.networkPolicy, objects.secret, objects.pod].map((o) => yaml.dump(o, { noRefs: true, lineWidth: 120 })).join('---\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
