import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The gateway embeds `dist/` in its binary and serves it at `/`; in development `npm run dev`
// proxies the API to a gateway on the default port.
export default defineConfig({
  plugins: [svelte()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false, target: 'es2022' },
  server: {
    // The gateway refuses writes whose Origin is not its own (CSRF): the dev server's origin is
    // rewritten to the gateway's on the way through.
    proxy: Object.fromEntries(
      ['/api', '/v1'].map((path) => [
        path,
        {
          target: 'http://127.0.0.1:20128',
          changeOrigin: true,
          configure: (proxy: { on: (event: string, fn: (req: { setHeader: (k: string, v: string) => void }) => void) => void }) =>
            proxy.on('proxyReq', (req) => req.setHeader('origin', 'http://127.0.0.1:20128')),
        },
      ]),
    ),
  },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
