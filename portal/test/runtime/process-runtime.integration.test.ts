import { startTestPortal, type TestPortal } from '../helpers/test-portal.js';
import { describeRuntime } from './describe-runtime.js';

/** The shared runtime behaviours with the real process runtime: sandboxes, code-server, the agent. */
describeRuntime(
  'process',
  async () => {
    const t: TestPortal = await startTestPortal();
    const token = await t.newToken();
    return {
      runtime: t.runtime,
      // A repl made through the API, so its files are in the store; the suite drives the runtime itself.
      async newSpec() {
        const created = await t.api(token, 'POST', '/api/repls', { stack: 'static' });
        if (created.status !== 201) throw new Error(`create: ${created.status} ${created.body}`);
        const spec = await t.portal.repls.specFor(created.json<{ id: string }>().id);
        if (!spec) throw new Error('no spec for the new repl');
        return spec;
      },
      close: () => t.close(),
    };
  },
  { timeout: 600_000 },
);
