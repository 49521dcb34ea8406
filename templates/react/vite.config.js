import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The preview is served on the repl's own host name through Codeyard's proxy,
// so the dev server listens on every interface and accepts that host.
export default defineConfig({
  plugins: [react()],
  server: {
    host: '0.0.0.0',
    port: Number(process.env.PORT) || 3000,
    strictPort: true,
    allowedHosts: true,
  },
});
