import http from 'node:http';
import { EMPTY_MANIFEST, type WorkspaceManifest } from '@codeyard/common/workspace-manifest';

/** A double of the portal's workspace relay: keeps blobs and the manifest in memory; can refuse the commit. */
export async function relayDouble(socketPath: string, options: { refuseCommit?: boolean } = {}): Promise<{ manifest: () => WorkspaceManifest; close: () => void }> {
  let manifest: WorkspaceManifest = EMPTY_MANIFEST;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'GET' && req.url === '/manifest') return json(200, manifest);
      if (req.method === 'PUT' && req.url?.startsWith('/blobs/')) return json(200, {});
      if (req.method === 'PUT' && req.url?.startsWith('/manifest')) {
        if (options.refuseCommit) return json(503, { error: { code: 'UNAVAILABLE', message: 'the store is down' } });
        manifest = { ...(JSON.parse(Buffer.concat(chunks).toString()) as WorkspaceManifest), version: manifest.version + 1 };
        return json(200, { version: manifest.version });
      }
      json(404, { error: { code: 'NOT_FOUND', message: 'no such relay route' } });
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return { manifest: () => manifest, close: () => (server.close(), server.closeAllConnections()) };
}
