import { EventEmitter } from 'eventemitter3';
import mqtt, { type IConnackPacket, type MqttClient } from 'mqtt';
import { ClientId, ROOT, isTopicId, topics } from '../schemas/index.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
import { MchatError, unavailable } from './errors.js';

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'refused';

export interface ConnectionOptions {
  /** `ws(s)://…/mqtt` in a browser; in Node also `mqtt://host:port` (TCP). */
  url: string;
  employeeId: string;
  /** From `POST /api/login`; the broker checks it at every CONNECT. */
  token: string;
  /**
   * The device part of the client id `{employeeId}:{device}`. Keep it the same across restarts of
   * one device (a browser tab, a phone) so the broker can resume its session; two live connections
   * with one client id push each other off.
   */
  device: string;
  /** `false` (the default): the broker keeps the session, its subscriptions and QoS 1 messages, while we are away. */
  clean?: boolean;
  /** How long to wait between tries after a lost connection; `false`: do not reconnect. */
  reconnect?: BackoffOptions | false;
  /** Subscribed on every connect, before the connection counts as online. */
  subscribe?: readonly string[];
  keepaliveSeconds?: number;
  connectTimeoutMs?: number;
}

export interface ConnectionEvents {
  state: [state: ConnectionState];
  /** Connected, and every subscription is in place; `sessionPresent`: the broker resumed our session. */
  online: [info: { sessionPresent: boolean }];
  message: [topic: string, payload: Uint8Array];
  /** Something the application should hear of: a refused token or subscription. */
  error: [error: MchatError];
}

// CONNACK 4 and 5: bad credentials, not authorised. No retry can fix those (3, the directory
// being down, is worth another try).
const REFUSED = new Set([4, 5]);

/**
 * One MQTT connection of an employee: the token at CONNECT, a stable client id, reconnects with
 * jittered exponential back-off, and subscriptions renewed on every connect.
 */
export class Connection extends EventEmitter<ConnectionEvents> {
  readonly clientId: string;
  readonly employeeId: string;
  readonly clean: boolean;
  /** The mqtt.js client underneath, for what this class does not do (tests probe the broker with it). */
  readonly mqtt: MqttClient;
  state: ConnectionState = 'connecting';
  /** How many times a connection has come up: a request remembers which one carried it. */
  epoch = 0;
  /** The last transport error (refused socket, timeout); transient, so not an `error` event. */
  lastError: Error | undefined;

  readonly #filters: Set<string>;
  readonly #backoff: BackoffOptions | false;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  // Waiters for the next time we are online, or the reason that will not happen.
  #gate!: Promise<MchatError | undefined>;
  #openGate: ((refusal: MchatError | undefined) => void) | undefined;
  #final: MchatError | undefined;

  constructor(opts: ConnectionOptions) {
    super();
    const clientId = `${opts.employeeId}:${opts.device}`;
    if (!isTopicId(opts.employeeId) || !ClientId.safeParse(clientId).success) {
      throw new TypeError(`not a client id {employee_id}:{device} (ids of ^[A-Za-z0-9_.-]+, 64 characters in all): ${JSON.stringify(clientId)}`);
    }
    this.clientId = clientId;
    this.employeeId = opts.employeeId;
    this.clean = opts.clean ?? false;
    this.#backoff = opts.reconnect === undefined ? DEFAULT_BACKOFF : opts.reconnect;
    this.#filters = new Set(opts.subscribe ?? []);
    this.#closeGate();

    // The embedded broker speaks MQTT 3.1.1. mqtt.js's own reconnect waits a fixed period, so it
    // is off and #scheduleReconnect does it; we subscribe ourselves, to know when that is done.
    this.mqtt = mqtt.connect(opts.url, {
      username: opts.employeeId,
      password: opts.token,
      clientId,
      clean: this.clean,
      protocolVersion: 4,
      reconnectPeriod: 0,
      resubscribe: false,
      keepalive: opts.keepaliveSeconds ?? 60,
      connectTimeout: opts.connectTimeoutMs ?? 30_000,
    });
    this.mqtt.on('connect', (packet) => this.#connected(packet));
    this.mqtt.on('message', (topic, payload) => this.emit('message', topic, payload));
    this.mqtt.on('close', () => this.#lost());
    this.mqtt.on('error', (err) => {
      this.lastError = err;
      if (!REFUSED.has((err as { code?: unknown }).code as number)) return;
      this.#finish(new MchatError({ code: 'E_AUTH', message: 'The broker refused the token.' }));
      this.#setState('refused');
      this.emit('error', this.#final!);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once online, or with the reason we never will be (refused, closed, not reconnecting). */
  ready(): Promise<MchatError | undefined> {
    return this.#gate;
  }

  /** Subscribes to `filters` now (when online) and after every reconnect; resolves with a refusal, if any. */
  async watch(filters: readonly string[]): Promise<MchatError | undefined> {
    const fresh = filters.filter((f) => !this.#filters.has(f));
    fresh.forEach((f) => this.#filters.add(f));
    if (!fresh.length || !this.mqtt.connected) return undefined;
    return this.#subscribe(fresh);
  }

  async unwatch(filters: readonly string[]): Promise<void> {
    const known = filters.filter((f) => this.#filters.delete(f));
    if (known.length && this.mqtt.connected) await this.mqtt.unsubscribeAsync(known).catch(() => undefined);
  }

  /** A QoS 1 publish; `done` hears of the PUBACK (no error) or of why there will be none. */
  publish(topic: string, payload: string, done: (err?: Error) => void): void {
    this.mqtt.publish(topic, payload, { qos: 1 }, (err) => done(err ?? undefined));
  }

  /** Ends the connection for good; `force` drops it without waiting for messages in flight. */
  async close(force = false): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#finish(new MchatError(unavailable('The connection was closed.')));
    await this.mqtt.endAsync(force);
  }

  #connected(packet: IConnackPacket): void {
    const epoch = ++this.epoch;
    void this.#subscribe([...this.#filters]).then(() => {
      // A connection lost while subscribing leaves going online to the next one.
      if (epoch !== this.epoch || !this.mqtt.connected) return;
      this.#attempt = 0;
      this.#setState('online');
      this.emit('online', { sessionPresent: packet.sessionPresent });
      this.#openGate?.(undefined);
      this.#openGate = undefined;
    });
  }

  #lost(): void {
    this.#closeGate();
    this.#dropUnacknowledged();
    if (this.#closed || this.#final) return;
    if (!this.#backoff) {
      this.#finish(new MchatError(unavailable('The connection closed and is not retried.')));
      this.#setState('offline');
      return;
    }
    this.#setState('offline');
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed || this.#final) return;
      this.#setState('connecting');
      this.mqtt.reconnect();
    }, backoffDelay(this.#attempt++, this.#backoff));
  }

  /**
   * Publishes the lost connection never had acknowledged: mqtt.js keeps them to send again on a
   * resumed session, but we reconnect with fresh stores (a request is retried by requests.ts, as a
   * new request, only when that is safe), so they would wait for ever, and with them `end()`.
   */
  #dropUnacknowledged(): void {
    for (const [id, entry] of Object.entries(this.mqtt.outgoing)) {
      delete this.mqtt.outgoing[Number(id)];
      entry.cb?.(new Error('The connection dropped before the broker acknowledged it.'), undefined);
    }
  }

  async #subscribe(filters: string[]): Promise<MchatError | undefined> {
    if (!filters.length) return undefined;
    try {
      await this.mqtt.subscribeAsync(filters, { qos: 1 });
      return undefined;
    } catch (err) {
      // A SUBACK that refuses any filter (0x80) fails the whole call; say which ones, and stop
      // asking for them. (mqtt.js's browser build does not export its error class: duck typing.)
      const granted = (err as { packet?: { granted?: unknown[] } }).packet?.granted;
      if (!granted) return new MchatError(unavailable((err as Error).message));
      const refused = filters.filter((_, i) => typeof granted[i] !== 'number' || (granted[i] as number) >= 0x80);
      refused.forEach((f) => this.#filters.delete(f));
      const error = new MchatError({ code: 'E_FORBIDDEN', message: `The broker refused ${refused.join(', ')}.` });
      this.emit('error', error);
      return error;
    }
  }

  #setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  #closeGate(): void {
    if (this.#openGate || this.#final) return;
    this.#gate = new Promise((resolve) => (this.#openGate = resolve));
  }

  #finish(reason: MchatError): void {
    this.#final ??= reason;
    this.#gate = Promise.resolve(this.#final);
    this.#openGate?.(this.#final);
    this.#openGate = undefined;
  }
}

/** The filters every client of an employee needs: its inbox and its own response topics. */
export function ownTopics(employeeId: string, clientId: string): string[] {
  return [topics.inbox(employeeId), `${ROOT}/msg/resp/${clientId}/+`];
}
