import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The GraphQL server `npm run dev` and `npm run preview` proxy /graphql to
// (HTTP and websocket). The Host header is kept: the server's websocket
// upgrade accepts only same-origin browsers.
const target = process.env.PROFILEHOOKS_URL ?? 'http://127.0.0.1:8080';
// /auth/config tells the console whether and how to sign in.
const proxy = { '/graphql': { target, ws: true, changeOrigin: false }, '/auth/config': { target, changeOrigin: false } };

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // Content hashes only: the same sources always build the same bytes.
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
