import { defineConfig } from 'vite';

// The dashboard is index.html; the embeddable widget gets its own entry when it exists.
export default defineConfig({
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { target: 'es2022', sourcemap: true },
});
