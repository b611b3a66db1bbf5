import mqtt, { type MqttClient } from 'mqtt';
import type { z } from 'zod';
import {
  Event,
  PROTOCOL_VERSION,
  ROOT,
  ResponseEnvelope,
  parseTopic,
  topics,
  type ErrorBody,
  type OpName,
  type OpResult,
  type opPayloads,
} from '../../../schemas/index.js';
import { randomHex } from './ids.js';

/** The payload as the caller writes it: fields with a default in the schema may be left out. */
export type OpInput<O extends OpName> = z.input<(typeof opPayloads)[O]>;

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'refused';

/** A protocol error from the gateway, or `E_UNAVAILABLE` when no answer came in time. */
export class MchatError extends Error {
  readonly code: ErrorBody['code'];
  readonly field: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'MchatError';
    this.code = body.code;
    this.field = body.field;
    this.retryAfterMs = body.retry_after_ms;
  }
}

/** Worth sending again, unchanged: the gateway was away, busy, or asked us to slow down. */
const RETRYABLE = new Set<ErrorBody['code']>(['E_UNAVAILABLE', 'E_RATE_LIMITED']);

export interface MchatClientOptions {
  /** `ws://…/mqtt` in the browser; any URL mqtt.js accepts (tests use `mqtt://`). */
  url: string;
  employeeId: string;
  token: string;
  timeoutMs?: number;
  onEvent?: (event: Event) => void;
  onState?: (state: ConnectionState) => void;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: MchatError) => void;
  timer: ReturnType<typeof setTimeout>;
}

// CONNACK codes 4 and 5: bad credentials / not authorised. mqtt.js does not retry these.
const REFUSED = new Set([4, 5]);

/** One browser tab's connection to MChat: requests with answers, and the events addressed to us. */
export class MchatClient {
  readonly clientId: string;
  readonly #mqtt: MqttClient;
  readonly #pending = new Map<string, Pending>();
  readonly #ownTopics: string[];
  readonly #groups = new Set<string>();
  readonly #timeoutMs: number;
  readonly #onEvent: (event: Event) => void;
  #seq = 0;
  // Requests wait at this gate until the current connection has subscribed our response topic
  // (an answer to a request sent earlier would be lost), or learn why that will not happen.
  #ready!: Promise<MchatError | undefined>;
  #openGate: ((refusal: MchatError | undefined) => void) | undefined;
  #refusal: MchatError | undefined;

  constructor(opts: MchatClientOptions) {
    this.clientId = `${opts.employeeId}:web-${randomHex(4)}`;
    this.#ownTopics = [topics.inbox(opts.employeeId), `${ROOT}/msg/resp/${this.clientId}/+`];
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#onEvent = opts.onEvent ?? (() => {});
    const onState = opts.onState ?? (() => {});
    this.#closeGate();

    // Clean sessions with a fresh client id per tab: what was missed while away is fetched
    // with msg.history, not replayed by the broker. The embedded broker speaks MQTT 3.1.1 only.
    // We renew the subscriptions on every connect ourselves, so the gate opens once they hold.
    this.#mqtt = mqtt.connect(opts.url, {
      username: opts.employeeId,
      password: opts.token,
      clientId: this.clientId,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 2_000,
      resubscribe: false,
    });
    onState('connecting');
    this.#mqtt.on('connect', () => {
      onState('online');
      const filters = [...this.#ownTopics, ...[...this.#groups].map((id) => topics.group(id))];
      // A subscription cut short by a dropped connection leaves the gate to the next connect.
      void this.#subscribe(filters).then((refusal) => {
        if (this.#mqtt.connected) this.#open(refusal);
      });
    });
    this.#mqtt.on('reconnect', () => onState('connecting'));
    this.#mqtt.on('offline', () => onState('offline'));
    this.#mqtt.on('close', () => this.#closeGate());
    this.#mqtt.on('error', (err) => {
      if (!REFUSED.has((err as { code?: unknown }).code as number)) return;
      this.#refusal = new MchatError({ code: 'E_AUTH', message: 'The broker refused the session token.' });
      this.#open(this.#refusal);
      onState('refused');
    });
    this.#mqtt.on('message', (topic, payload) => this.#receive(topic, payload));
  }

  /** Sends `op` and resolves with the gateway's `result`; rejects with its error or on timeout. */
  request<O extends OpName>(op: O, payload: OpInput<O>): Promise<OpResult<O>> {
    const seq_id = `${Date.now().toString(36)}-${(++this.#seq).toString(36)}`;
    const envelope = { v: PROTOCOL_VERSION, seq_id, client_id: this.clientId, op, payload, ts: Date.now() };
    return new Promise<OpResult<O>>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#settle(seq_id, { code: 'E_UNAVAILABLE', message: `No answer to ${op} within ${this.#timeoutMs / 1000} s.` }),
        this.#timeoutMs,
      );
      this.#pending.set(seq_id, { resolve: resolve as (r: unknown) => void, reject, timer });
      void this.#ready.then((refused) => {
        if (refused) return this.#settle(seq_id, refused);
        this.#mqtt.publish(topics.req(seq_id), JSON.stringify(envelope), { qos: 1 }, (err) => {
          if (err) this.#settle(seq_id, { code: 'E_UNAVAILABLE', message: err.message });
        });
      });
    });
  }

  /**
   * Sends a message until the gateway has stored it. Every try carries the same client_msg_id,
   * so however often it goes out (a lost answer, a gateway restart) it is stored once. Gives up
   * with the last error after `giveUpAfterMs`, or at once on an error that no retry can fix.
   */
  async sendMessage(
    to: OpInput<'msg.send'>['to'],
    body: OpInput<'msg.send'>['body'],
    opts: { clientMsgId?: string; giveUpAfterMs?: number } = {},
  ): Promise<OpResult<'msg.send'>> {
    const client_msg_id = opts.clientMsgId ?? randomHex(12);
    const deadline = Date.now() + (opts.giveUpAfterMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request('msg.send', { to, client_msg_id, body });
      } catch (err) {
        if (!(err instanceof MchatError) || !RETRYABLE.has(err.code) || Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, err.retryAfterMs ?? Math.min(100 * 2 ** attempt, 2_000)));
      }
    }
  }

  /** Receives the events of these groups too, now and after every reconnect. */
  async watchGroups(groupIds: Iterable<string>): Promise<void> {
    const fresh = [...groupIds].filter((id) => !this.#groups.has(id));
    fresh.forEach((id) => this.#groups.add(id));
    if (!fresh.length || !this.#mqtt.connected) return;
    const refused = await this.#subscribe(fresh.map((id) => topics.group(id)));
    if (refused) throw refused;
  }

  async close(): Promise<void> {
    for (const seqId of [...this.#pending.keys()]) this.#settle(seqId, { code: 'E_UNAVAILABLE', message: 'The connection was closed.' });
    await this.#mqtt.endAsync();
  }

  #closeGate(): void {
    if (this.#openGate || this.#refusal) return;
    this.#ready = new Promise((resolve) => (this.#openGate = resolve));
  }

  #open(refusal: MchatError | undefined): void {
    this.#openGate?.(refusal);
    this.#openGate = undefined;
  }

  async #subscribe(filters: string[]): Promise<MchatError | undefined> {
    try {
      await this.#mqtt.subscribeAsync(filters, { qos: 1 });
      return undefined;
    } catch (err) {
      // A SUBACK that refuses any filter (code 0x80) fails the whole call; say which ones. The
      // error class is not exported by mqtt.js's browser build, hence the duck typing.
      const granted = (err as { packet?: { granted?: unknown[] } }).packet?.granted;
      if (granted) {
        const refused = filters.filter((_, i) => typeof granted[i] !== 'number' || (granted[i] as number) >= 0x80);
        return new MchatError({ code: 'E_FORBIDDEN', message: `The broker refused ${refused.join(', ')}.` });
      }
      return new MchatError({ code: 'E_UNAVAILABLE', message: (err as Error).message });
    }
  }

  #settle(seqId: string, outcome: { result: unknown } | ErrorBody | MchatError): void {
    const pending = this.#pending.get(seqId);
    if (!pending) return;
    this.#pending.delete(seqId);
    clearTimeout(pending.timer);
    if ('result' in outcome) pending.resolve(outcome.result);
    else pending.reject(outcome instanceof MchatError ? outcome : new MchatError(outcome));
  }

  #receive(topic: string, payload: Uint8Array): void {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return;
    }
    const t = parseTopic(topic);
    if (t?.kind === 'resp') {
      const res = ResponseEnvelope.safeParse(json);
      if (res.success) this.#settle(res.data.seq_id, res.data.ok ? { result: res.data.result } : res.data.error);
    } else if (t?.kind === 'inbox' || t?.kind === 'group') {
      // Events of a newer protocol than this app knows fail the schema and are skipped.
      const event = Event.safeParse(json);
      if (event.success) this.#onEvent(event.data);
    }
  }
}
