import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The app's own pages: ui/*.html → dist/ui/, served by the main process on codeyard-app://app/
 * (src/main/app-protocol.ts) with their Content-Security-Policy. The home page bundles the
 * portal's own Lit elements (portal/ui/src/elements), so the dashboard and the app share one UI.
 */
export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Everything is an asset file: the pages' CSP allows no inline data.
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        home: fileURLToPath(new URL('home.html', import.meta.url)),
        toolbar: fileURLToPath(new URL('toolbar.html', import.meta.url)),
        splitter: fileURLToPath(new URL('splitter.html', import.meta.url)),
      },
    },
  },
});
