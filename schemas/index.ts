export * from './ids.js';
export * from './topics.js';
export * from './envelope.js';
export * from './organisation.js';
export * from './message.js';
export * from './events.js';
export * from './ops.js';
export * from './webhook.js';
