/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build lands inside the Python package so an installed wheel serves it without Node
// (crawlscope/api/static.py serves index.html, /assets/* and the SPA fallback).
const outDir = fileURLToPath(new URL("../src/crawlscope/api/static", import.meta.url));
// `npm run dev` proxies the API to a running `crawlscope serve` (default port 8000).
const apiTarget = process.env.CRAWLSCOPE_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // ECharts is most of the weight and changes rarely: its own long-cached chunk.
        manualChunks: (id) =>
          id.includes("node_modules/echarts") || id.includes("node_modules/zrender")
            ? "echarts"
            : undefined,
      },
    },
  },
  server: {
    proxy: {
      "/api": { target: apiTarget, changeOrigin: false },
      "/healthz": apiTarget,
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    restoreMocks: true,
  },
});
