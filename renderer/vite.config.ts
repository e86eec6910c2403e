// Vite build of the lab's renderer (Svelte 5): static files only, served by the browser host or Electron's app:// protocol.
// No inline scripts and no eval in the output, so both hosts can enforce `script-src 'self'`.

import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  plugins: [svelte()],
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 2048,
  },
});
