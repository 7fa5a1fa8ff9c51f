import { defineConfig } from 'vitest/config';

// In dev, the engine's routes are proxied, so the browser can use the dev server's own origin as
// the service URL (no CORS needed). TRELLIS_ENGINE names the service (default: trellis serve's).
const engine = process.env.TRELLIS_ENGINE ?? 'http://127.0.0.1:8080';

// No React plugin: esbuild compiles JSX with the automatic runtime. The Tauri shell loads the
// dev server on a fixed port and expects the build in `dist/`.
export default defineConfig({
  clearScreen: false,
  esbuild: { jsx: 'automatic' },
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  server: {
    port: 1420,
    strictPort: true,
    // The templates are imported from ../samples (one source for the CLI, the tests and the UI).
    fs: { allow: ['..'] },
    proxy: { '/v1': engine, '/healthz': engine },
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      onwarn(warning, warn) {
        // xyflow marks its modules "use client" (for React Server Components); meaningless here.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      output: {
        manualChunks: {
          react: ['react', 'react-dom', 'zustand', 'i18next', 'react-i18next'],
          flow: ['@xyflow/react', '@dagrejs/dagre'],
          charts: ['echarts/core', 'echarts/charts', 'echarts/components', 'echarts/renderers'],
        },
      },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
