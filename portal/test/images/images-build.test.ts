import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mmdebstrapArgs } from '../../src/images/debian-base.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildArgs, removeImages } from '../../src/images/engine.js';
import { parseImagesArgs } from '../../src/images/images-args.js';
import { INPUTS_LABEL, inputsHash, isUpToDate } from '../../src/images/inputs.js';
import { imageRef, prefixProblem, tagProblem } from '../../src/images/layout.js';

const defaults = { tag: '0.1.0', stacks: ['go', 'node', 'python', 'react', 'rust', 'static'] };

describe('image names', () => {
  it('are <prefix>codeyard-<stack>:<tag>', () => {
    assert.equal(imageRef('node', { prefix: 'localhost/', tag: '0.1.0' }), 'localhost/codeyard-node:0.1.0');
    assert.equal(imageRef('base', { prefix: 'ghcr.io/acme/', tag: 'dev' }), 'ghcr.io/acme/codeyard-base:dev');
    assert.equal(imageRef('go', { prefix: '', tag: '1' }), 'codeyard-go:1');
  });

  it('refuse prefixes and tags an engine would refuse', () => {
    for (const good of ['', 'localhost/', 'registry.example.com:5000/team/', 'ghcr.io/acme/', 'ghcr.io/acme/team-', 'cy-']) assert.equal(prefixProblem(good), undefined, good);
    for (const bad of ['localhost', 'Registry.example.com/', 'a b/', '/x/', 'x//', 'a:b:c/', '-']) assert.ok(prefixProblem(bad), bad);
    for (const good of ['0.1.0', 'latest', 'v1_2-rc.3']) assert.equal(tagProblem(good), undefined, good);
    for (const bad of ['', '.x', '-x', 'a b', 'x'.repeat(129), 'a:b']) assert.ok(tagProblem(bad), bad);
  });
});

describe('npm run images arguments', () => {
  it('default to localhost/, the package version, every stack and Debian from wherever it can come', () => {
    const o = parseImagesArgs([], defaults);
    assert.ok(!o.help);
    assert.equal(o.prefix, 'localhost/');
    assert.equal(o.tag, '0.1.0');
    assert.deepEqual(o.stacks, defaults.stacks);
    assert.equal(o.debian, 'auto');
    assert.equal(o.caBundle, undefined);
    assert.equal(o.portal, true);
    const without = parseImagesArgs(['--no-portal'], defaults);
    assert.ok(!without.help && without.portal === false);
  });

  it('take a subset of stacks, none (the base alone), and a CA bundle', () => {
    const o = parseImagesArgs(['--stacks', 'go, node', '--ca-bundle', '/etc/ssl/certs/ca-certificates.crt', '--debian', 'packages'], defaults);
    assert.ok(!o.help);
    assert.deepEqual(o.stacks, ['go', 'node']);
    assert.equal(o.caBundle, '/etc/ssl/certs/ca-certificates.crt');
    assert.equal(o.debian, 'packages');
    const none = parseImagesArgs(['--stacks', ''], defaults);
    assert.ok(!none.help);
    assert.deepEqual(none.stacks, []);
  });

  it('name what is wrong', () => {
    const wrong: Array<[string[], RegExp]> = [
      [['--engine', 'lxc'], /--engine must be podman or docker, not "lxc"/],
      [['--stacks', 'node,cobol'], /no template for cobol/],
      [['--debian', 'ubuntu'], /--debian must be auto, image or packages/],
      [['--prefix', 'localhost'], /must end with "\/" or "-"/],
      [['--tag', 'a b'], /image tag "a b" is not valid/],
      [['--ca-bundle', '/nonexistent/ca.pem'], /--ca-bundle \/nonexistent\/ca.pem: .*(ENOENT|no such file)/i],
      [['--ca-bundle', '/etc/hostname'], /holds no PEM certificate/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of wrong) assert.throws(() => parseImagesArgs(argv, defaults), message, argv.join(' '));
  });
});

describe('build inputs', () => {
  it('hash the same whatever their order, and differently for any change of name or content', () => {
    const a = inputsHash([['file:a', 'x'], ['arg:STACK', 'node']]);
    assert.equal(a, inputsHash([['arg:STACK', 'node'], ['file:a', Buffer.from('x')]]));
    assert.notEqual(a, inputsHash([['file:a', 'y'], ['arg:STACK', 'node']]));
    assert.notEqual(a, inputsHash([['file:b', 'x'], ['arg:STACK', 'node']]));
    // Framing: moving bytes from a name into its content is a different input set.
    assert.notEqual(inputsHash([['ab', 'c']]), inputsHash([['a', 'bc']]));
  });

  it('make an image up to date only when its label carries the same hash', () => {
    assert.equal(isUpToDate({ [INPUTS_LABEL]: 'h1' }, 'h1'), true);
    assert.equal(isUpToDate({ [INPUTS_LABEL]: 'h1' }, 'h2'), false);
    assert.equal(isUpToDate({}, 'h1'), false);
    assert.equal(isUpToDate(undefined, 'h1'), false);
  });
});

describe('engine and mmdebstrap command lines', () => {
  it('give the CA bundle to a build as a secret, never as a build argument', () => {
    const args = buildArgs({ containerfile: 'C', context: 'ctx', ref: 'r:1', buildArgs: { STACK: 'go' }, labels: { [INPUTS_LABEL]: 'h' }, extraCa: '/ca.pem' });
    assert.deepEqual(args, ['build', '--file', 'C', '--tag', 'r:1', '--build-arg', 'STACK=go', '--label', `${INPUTS_LABEL}=h`, '--secret', 'id=extra-ca,src=/ca.pem', 'ctx']);
    assert.ok(!args.some((a) => a.startsWith('--build-arg') && a.includes('ca')));
  });

  it('make a bookworm root from Debian mirrors over plain http, with no apt lists left', () => {
    const args = mmdebstrapArgs('/tmp/x.tar');
    assert.equal(args[args.indexOf('bookworm') + 1], '/tmp/x.tar');
    assert.ok(args.includes('--variant=minbase'));
    assert.ok(args.filter((a) => a.startsWith('deb http://deb.debian.org/')).length === 3);
    assert.ok(args.some((a) => a.startsWith('--customize-hook=') && a.includes('/var/lib/apt/lists/*')));
  });
});

describe('images a build replaced', () => {
  it('are removed in the order given, and one the engine refuses is kept with its reason', async () => {
    // A podman stand-in (a test double: a shell script) that records its arguments and refuses
    // to remove the image another one is built on, as podman does.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-engine-'));
    const calls = path.join(dir, 'calls');
    const bin = path.join(dir, 'podman');
    fs.writeFileSync(bin, `#!/bin/sh\necho "$*" >> ${calls}\nif [ "$3" = sha256:base-old ]; then echo "Error: image used by sha256:node-old: image is in use by a container" >&2; exit 2; fi\n`, { mode: 0o755 });
    const lines: string[] = [];
    try {
      await removeImages({ name: 'podman', bin }, [{ name: 'node', id: 'sha256:node-old0000000', sizeBytes: 890e6 }, { name: 'base', id: 'sha256:base-old', sizeBytes: 876e6 }], (l) => lines.push(l));
      assert.deepEqual(fs.readFileSync(calls, 'utf8').trim().split('\n'), ['image rm sha256:node-old0000000', 'image rm sha256:base-old']);
      assert.equal(lines[0], 'node: removed the image it replaced (node-old0000, 890 MB)');
      assert.match(lines[1]!, /^base: kept the image it replaced \(base-old\): .*image is in use/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
