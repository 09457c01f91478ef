import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The gateway embeds `dist/` in its binary and serves it at `/`; in development `npm run dev`
// proxies the API to a gateway on the default port.
export default defineConfig({
  plugins: [svelte()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false, target: 'es2022' },
  server: {
    proxy: { '/api': 'http://127.0.0.1:20128', '/v1': 'http://127.0.0.1:20128' },
  },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
