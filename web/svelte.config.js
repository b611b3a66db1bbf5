import adapter from '@sveltejs/adapter-node';

/** @type {import('@sveltejs/kit').Config} */
export default {
  kit: {
    adapter: adapter(),
    // The zod schemas at the repo root are the single source of truth for everything on the wire.
    // The client SDK (sdk/) is the app's one way to talk MQTT to the gateway.
    alias: { $schemas: '../schemas/index.ts', $sdk: '../sdk/index.ts' },
  },
};
