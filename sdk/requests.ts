import { ulid } from 'ulid';
import type { z } from 'zod';
import {
  PROTOCOL_VERSION, ResponseEnvelope, TopicIdError, topics,
  type AdminOpName, type AdminResult, type ErrorBody, type OpName, type OpResult, type adminPayloads, type opPayloads,
} from '../schemas/index.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { Connection } from './connection.js';
import { MchatError, isRetryable, unavailable } from './errors.js';

export type KnownOp = OpName | AdminOpName;
/** The payload as the caller writes it: fields with a default in the schema may be left out. */
export type OpInput<O extends KnownOp> = O extends OpName
  ? z.input<(typeof opPayloads)[O]>
  : O extends AdminOpName ? z.input<(typeof adminPayloads)[O]> : never;
/** What the gateway answers to `O`, typed by the op's result schema. */
export type ResultOf<O extends KnownOp> = O extends OpName ? OpResult<O> : O extends AdminOpName ? AdminResult<O> : never;

/** One answer, an error as a value. */
export type Reply = { ok: true; result: unknown } | { ok: false; error: ErrorBody };

export interface RequestsOptions {
  /** How long one try waits for its answer (default 10 s). */
  timeoutMs?: number;
  /** How long a retried request keeps trying in all (default 30 s). */
  giveUpAfterMs?: number;
  /** The wait between retries when the gateway does not say (`retry_after_ms`). */
  backoff?: BackoffOptions;
}

export interface RequestOptions {
  timeoutMs?: number;
  giveUpAfterMs?: number;
  /** Send again after `E_UNAVAILABLE`, `E_RATE_LIMITED` or no answer. Default: for the ops that are safe to repeat. */
  retry?: boolean;
}

/**
 * Ops that may be sent twice without doing twice what they do: reads, `msg.send` (the gateway
 * keeps the first result per `client_msg_id`), `msg.read` (a read cursor never moves back) and
 * `handoff.request` (asked again, it answers with the caller's active hand-off).
 */
const SAFE_TO_REPEAT = new Set<string>([
  'msg.send', 'msg.history', 'msg.sync', 'msg.read', 'msg.readers', 'conv.list', 'org.tree', 'group.get',
  'employee.get', 'employee.search', 'agent.capabilities', 'task.list', 'workflow.list', 'workflow.get', 'handoff.request',
]);

interface Pending {
  settle: (reply: Reply) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The connection that carried it (0: not sent yet), and whether the broker acknowledged it. */
  epoch: number;
  acked: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Requests over `mchat/msg/req/{seq_id}`, each matched to its answer on
 * `mchat/msg/resp/{client_id}/{seq_id}`, with a timeout per try and retries of what is safe to repeat.
 */
export class Requests {
  readonly #connection: Connection;
  readonly #pending = new Map<string, Pending>();
  readonly #respPrefix: string;
  readonly #timeoutMs: number;
  readonly #giveUpAfterMs: number;
  readonly #backoff: BackoffOptions;

  constructor(connection: Connection, opts: RequestsOptions = {}) {
    this.#connection = connection;
    this.#respPrefix = `mchat/msg/resp/${connection.clientId}/`;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#giveUpAfterMs = opts.giveUpAfterMs ?? 30_000;
    this.#backoff = opts.backoff ?? { initialMs: 200, maxMs: 5_000 };
    connection.on('message', (topic, payload) => {
      if (topic.startsWith(this.#respPrefix)) this.#receive(payload);
    });
    connection.on('state', (state) => {
      // What had not reached the broker is lost with the connection; with a clean session so are
      // the answers the broker would have kept for us.
      if (state === 'offline' || state === 'refused') this.#fail((p) => p.epoch > 0 && (!p.acked || connection.clean), 'The connection dropped before the answer came.');
    });
    connection.on('online', ({ sessionPresent }) => {
      // A new session (the broker restarted, or forgot us): answers to earlier requests will not come.
      if (!sessionPresent) this.#fail((p) => p.epoch > 0 && p.epoch < connection.epoch, 'The broker lost the session before the answer came.');
    });
  }

  /** How many requests wait for an answer. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * One try of `op`, by name, unchecked: the gateway's answer, or `E_UNAVAILABLE` when none came
   * within `timeoutMs` (`Infinity`: wait for ever). Never rejects.
   */
  send(op: string, payload: unknown, opts: { seqId?: string; timeoutMs?: number } = {}): Promise<Reply> {
    const seqId = opts.seqId ?? ulid();
    let topic: string;
    try {
      topic = topics.req(seqId);
    } catch (err) {
      if (!(err instanceof TopicIdError)) throw err;
      return Promise.resolve({ ok: false, error: { code: 'E_SCHEMA', message: err.message, field: 'seq_id' } });
    }
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    return new Promise<Reply>((resolve) => {
      const pending: Pending = { settle: resolve, timer: undefined, epoch: 0, acked: false };
      if (Number.isFinite(timeoutMs)) {
        pending.timer = setTimeout(() => this.#settle(seqId, { ok: false, error: unavailable(`No answer to ${op} within ${timeoutMs / 1000} s.`) }), timeoutMs);
      }
      this.#pending.set(seqId, pending);
      // Sent once the response topic is subscribed on the current connection: an answer to a
      // request sent earlier would be lost.
      void this.#connection.ready().then((refusal) => {
        if (refusal) return this.#settle(seqId, { ok: false, error: refusal.toBody() });
        if (!this.#pending.has(seqId)) return;
        pending.epoch = this.#connection.epoch;
        const envelope = { v: PROTOCOL_VERSION, seq_id: seqId, client_id: this.#connection.clientId, op, payload, ts: Date.now() };
        this.#connection.publish(topic, JSON.stringify(envelope), (err) => {
          if (err) this.#settle(seqId, { ok: false, error: unavailable(err.message) });
          else pending.acked = true;
        });
      });
    });
  }

  /**
   * `op` with its result, typed by the schemas; rejects with an `MchatError`. Retried (see
   * `RequestOptions.retry`) with the same payload, so a retried `msg.send` carries the same
   * `client_msg_id` and is stored once.
   */
  async request<O extends KnownOp>(op: O, payload: OpInput<O>, opts: RequestOptions = {}): Promise<ResultOf<O>> {
    const retry = opts.retry ?? SAFE_TO_REPEAT.has(op);
    const deadline = Date.now() + (opts.giveUpAfterMs ?? this.#giveUpAfterMs);
    for (let attempt = 0; ; attempt++) {
      const reply = await this.send(op, payload, { timeoutMs: opts.timeoutMs ?? this.#timeoutMs });
      if (reply.ok) return reply.result as ResultOf<O>;
      const wait = reply.error.retry_after_ms ?? backoffDelay(attempt, this.#backoff);
      if (!retry || !isRetryable(reply.error.code) || this.#connection.closed || Date.now() + wait >= deadline) {
        throw new MchatError(reply.error);
      }
      await sleep(wait);
    }
  }

  /** Ends every request still waiting, with `E_UNAVAILABLE`. */
  abandon(message = 'The connection was closed.'): void {
    this.#fail(() => true, message);
  }

  #fail(which: (p: Pending) => boolean, message: string): void {
    for (const [seqId, p] of [...this.#pending]) if (which(p)) this.#settle(seqId, { ok: false, error: unavailable(message) });
  }

  #settle(seqId: string, reply: Reply): void {
    const pending = this.#pending.get(seqId);
    if (!pending) return;
    this.#pending.delete(seqId);
    clearTimeout(pending.timer);
    pending.settle(reply);
  }

  #receive(payload: Uint8Array): void {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return;
    }
    const res = ResponseEnvelope.safeParse(json);
    if (res.success) this.#settle(res.data.seq_id, res.data.ok ? { ok: true, result: res.data.result } : { ok: false, error: res.data.error });
  }
}
