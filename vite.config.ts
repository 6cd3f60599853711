import { defineConfig } from 'vite';

// Entries: the dashboard (index.html), the embeddable widget (src/widget.ts), which lands at the
// stable address `dist/widget.js` so pages can embed it as `<script type="module" src=".../widget.js">`,
// and the frame that widget holds, `dist/widget-frame.html` beside it, where the widget's node runs.
// Its chunks are imported by relative URL, so the widget loads from any origin (with CORS headers).
//
// A page built without VITE_RELAY_URL uses its own origin's /relay (as `npm run serve` provides); the dev
// server forwards that path to a relay on its own port (`npm run relay`, RELAY_PORT or 8787).
const relayTarget = `ws://127.0.0.1:${process.env.RELAY_PORT ?? 8787}`;
const relayProxy = { '/relay': { target: relayTarget, ws: true, rewrite: () => '/' } };

export default defineConfig({
  server: { host: '127.0.0.1', proxy: relayProxy },
  preview: { host: '127.0.0.1', proxy: relayProxy },
  build: {
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      // widget-frame.html: where the widget's node runs, in this origin, framed by the embedding page.
      input: { index: 'index.html', widget: 'src/widget.ts', 'widget-frame': 'widget-frame.html' },
      // Keep the widget module's exports (`GridNodeWidget`) for pages that script it.
      preserveEntrySignatures: 'exports-only',
      output: {
        entryFileNames: (chunk) => (chunk.name === 'widget' ? 'widget.js' : 'assets/[name]-[hash].js'),
        // Code both entries use (lit, the node): one chunk, cached once by a browser that loads both.
        chunkFileNames: 'assets/shared-[hash].js',
      },
    },
  },
});
