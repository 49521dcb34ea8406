import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dashboard: ui/ → dist/ui/ (index.html + hashed assets under assets/), served by
 * src/ui/serve-ui.ts. `npm run dev -w @codeyard/portal` serves it with hot reload and sends
 * the API to a portal running on CODEYARD_PORTAL (default http://localhost:8080).
 */
const PORTAL = process.env.CODEYARD_PORTAL ?? 'http://localhost:8080';

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Everything is an asset file: the page's Content-Security-Policy allows no inline data.
    assetsInlineLimit: 0,
  },
  server: {
    // The portal refuses cookie calls that change something from another origin: the dev
    // server's requests are sent as the portal's own.
    proxy: Object.fromEntries(
      ['/api', '/open', '/stacks'].map((prefix) => [prefix, { target: PORTAL, changeOrigin: false, configure: (proxy: { on(event: 'proxyReq', fn: (req: { setHeader(name: string, value: string): void }) => void): void }) => proxy.on('proxyReq', (req) => req.setHeader('origin', PORTAL)) }]),
    ),
  },
});
