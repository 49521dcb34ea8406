import type { Repl } from '@codeyard/common/api/models';

/** A repl as the API shows it (GET /api/repls/:id), for the pure state functions' tests. */
export function replView(overrides: Partial<Repl> = {}): Repl {
  return {
    id: 'abcdefghijkl',
    name: 'hello-node',
    stack: 'node',
    status: 'running',
    app: { running: false },
    sync: { state: 'synced', pending: 0 },
    ideUrl: 'http://abcdefghijkl.localhost:8080',
    previewUrl: 'http://abcdefghijkl-3000.localhost:8080',
    port: 3000,
    ports: [{ port: 3000, visibility: 'public', url: 'http://abcdefghijkl-3000.localhost:8080' }],
    createdAt: '2026-12-01T10:00:00.000Z',
    alwaysOn: false,
    ...overrides,
  };
}
