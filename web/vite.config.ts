import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The C build embeds whatever lands in OUT_DIR, so the output location is
// chosen by the caller. Refuse obviously dangerous targets because the
// directory is emptied before every build.
const root = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(root, process.env.OUT_DIR || 'dist');
const rel = path.relative(outDir, root);
const containsProject = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
if (containsProject) {
  throw new Error(`Refusing to build into ${outDir}: set OUT_DIR to a dedicated directory`);
}

// Backend used by the dev server proxy (the Symbolon default port).
const backend = process.env.SYMBOLON_URL || 'http://localhost:1411';

export default defineConfig({
  base: '/',
  plugins: [svelte()],
  build: {
    outDir,
    emptyOutDir: true,
    // Hashed files live under /_app/immutable/ and may be cached forever.
    assetsDir: '_app/immutable',
    // No inline polyfill script: the server's CSP only allows nonce'd or
    // same-origin scripts.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URIs (blocked by img-src / font-src).
    assetsInlineLimit: 0,
    target: 'es2020',
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': backend,
      '/.well-known': backend,
      '/healthz': backend,
    },
  },
  preview: {
    proxy: {
      '/api': backend,
      '/.well-known': backend,
      '/healthz': backend,
    },
  },
});
