import http from 'node:http';
import { connectTarget } from '@codeyard/common/agent/connect';
import type { Target } from '@codeyard/common/agent/protocol';
import type { Recorder, Suite } from '../harness.js';
import { timed } from '../harness.js';
import { driverPod } from '../../test/helpers/driver-pod.js';
import { podman, podmanProblem, testImage } from '../../test/helpers/podman.js';

const ROUNDS = 3;
const IMAGES = ['base', 'node', 'react', 'python', 'static', 'go', 'rust', 'portal'];

/** Does code-server answer /healthz through the gate? */
function ideAnswers(target: Target): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ path: '/healthz', headers: { host: 'localhost' }, createConnection: () => connectTarget(target) }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * The images under podman: their sizes, and the kubernetes driver's Pod of a node repl from
 * `podman kube play` to ready (the agent restored the workspace from s3rver through the relay and
 * started code-server: /readyz) and to VS Code answering through the gate. Needs the images
 * (`npm run images`); said and skipped without podman.
 */
export const podmanSuite: Suite = {
  name: 'podman',
  description: `image sizes; the driver's Pod under podman kube play → ready → IDE answering, ${ROUNDS} rounds`,
  async run(r: Recorder) {
    const problem = await podmanProblem();
    if (problem) {
      r.say(`skipped: ${problem}`);
      return;
    }
    for (const name of IMAGES) {
      const size = Number((await podman(['image', 'inspect', '--format', '{{.Size}}', testImage(name)])).trim());
      r.figure(`image size, codeyard-${name}`, 'MB', [Math.round(size / 1e6)]);
    }
    const ready: number[] = [];
    const ide: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const pod = await driverPod();
      try {
        const [readyMs] = await timed(() => pod.start());
        const [ideMs] = await timed(async () => {
          for (let n = 0; n < 2400; n++) {
            if (await ideAnswers(pod.gate({ to: 'ide' }))) return;
            await new Promise((res) => setTimeout(res, 50));
          }
          throw new Error('VS Code did not answer through the gate within 2 minutes of ready');
        });
        ready.push(readyMs);
        ide.push(readyMs + ideMs);
        r.say(`round ${i + 1}: ready ${Math.round(readyMs)} ms, IDE ${Math.round(readyMs + ideMs)} ms`);
      } finally {
        await pod.close();
      }
    }
    r.figure('pod start (podman kube play) → ready (workspace restored, VS Code started)', 'ms', ready);
    r.figure('pod start (podman kube play) → VS Code answering through the gate', 'ms', ide);
  },
};
