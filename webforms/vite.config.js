// Builds src/main.js with ODK Web Forms and Vue into ../static/webforms/ (`make webforms`).
// The output is not committed: it is made at install time from package-lock.json, and
// Django serves it as a static file, so a page never loads anything from the internet.
import { fileURLToPath } from "node:url";

import { defineConfig } from "vite";

export default defineConfig({
  // Chunks are found relative to webforms.js, wherever STATIC_URL puts it.
  base: "./",
  publicDir: false,
  define: {
    // Vue's compile-time flags (the Vue plugin would set them; we render without templates).
    __VUE_OPTIONS_API__: "true",
    __VUE_PROD_DEVTOOLS__: "false",
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: "false",
  },
  build: {
    outDir: fileURLToPath(new URL("../static/webforms", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // ODK Web Forms carries its XPath engine, fonts and map library: big on purpose.
    chunkSizeWarningLimit: 6000,
    rollupOptions: {
      input: fileURLToPath(new URL("src/main.js", import.meta.url)),
      output: {
        entryFileNames: "webforms.js",
        chunkFileNames: "chunks/[name]-[hash].js",
        assetFileNames: "assets/[name]-[hash][extname]",
      },
    },
  },
});
