// The public face of the SDK: the client, and its parts for those who need one alone
// (the tests and the bench use the connection and requests without the catch-up).
export { MchatClient, type ClientEvents, type MchatClientOptions, type NoticeEvent } from './client.js';
export { Connection, ownTopics, type ConnectionEvents, type ConnectionOptions, type ConnectionState } from './connection.js';
export { Requests, type KnownOp, type OpInput, type Reply, type RequestOptions, type RequestsOptions, type ResultOf } from './requests.js';
export { CatchUp, type CatchUpOptions, type MessageSource } from './catchup.js';
export { Sequencer, type Gap } from './sequencer.js';
export { decode, type Incoming } from './events.js';
export { MchatError, isRetryable } from './errors.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
