// Kept for components that still import the connection state from here; the client is the SDK's.
export type { ConnectionState } from '../../../sdk/index.js';
