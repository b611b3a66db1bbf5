import { ulid } from 'ulid';
import {
  adminResults, isAdminOpName, isOpName, opResults, parseTopic, topicPayloads, topics, type ErrorBody, type ResponseEnvelope,
} from '../schemas/index.js';
import { Connection, Requests, ownTopics } from '../sdk/index.js';

export interface Received {
  topic: string;
  json: unknown;
}

/**
 * An employee's connection through the SDK's connection and requests, with what a test needs
 * besides: everything received, kept to be looked for, and raw requests. A clean session that
 * does not reconnect, so each test sees only what its own connection did.
 */
export class TestClient {
  readonly received: Received[] = [];
  private waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];

  private constructor(readonly connection: Connection, readonly requests: Requests) {
    connection.on('message', (topic, payload) => {
      const text = new TextDecoder().decode(payload);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      const r = { topic, json };
      this.received.push(r);
      this.waiters = this.waiters.filter((w) => (w.match(r) ? (w.resolve(r), false) : true));
    });
  }

  /** The mqtt.js client underneath: tests probe the broker's ACL with it. */
  get mqtt() {
    return this.connection.mqtt;
  }

  get employeeId(): string {
    return this.connection.employeeId;
  }

  get clientId(): string {
    return this.connection.clientId;
  }

  /** Connected and subscribed to the inbox and response topics, or rejects with the refusal. */
  static async connect(url: string, employeeId: string, token: string, device = 'test'): Promise<TestClient> {
    const connection = new Connection({
      url, employeeId, token, device, clean: true, reconnect: false, connectTimeoutMs: 5_000,
      subscribe: ownTopics(employeeId, `${employeeId}:${device}`),
    });
    const c = new TestClient(connection, new Requests(connection, { timeoutMs: 15_000 }));
    const refusal = await connection.ready();
    if (refusal) {
      await connection.close(true);
      throw refusal;
    }
    return c;
  }

  /** Resolves with the first message (already received or future) that matches. */
  waitFor(match: (r: Received) => boolean, timeoutMs = 15_000): Promise<Received> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.clientId}: nothing matching within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (r) => { clearTimeout(timer); resolve(r); } });
    });
  }

  /** Publishes raw bytes on a request topic and waits for the response to that seq_id. */
  async requestRaw(seqId: string, payload: string | Buffer, timeoutMs?: number): Promise<ResponseEnvelope> {
    const respTopic = topics.resp(this.clientId, seqId);
    const response = this.waitFor((r) => r.topic === respTopic, timeoutMs);
    await this.mqtt.publishAsync(topics.req(seqId), payload, { qos: 1 });
    return (await response).json as ResponseEnvelope;
  }

  /** Sends `op`; a successful answer whose result is not what the op's result schema says fails the test. */
  async request(op: string, payload: Record<string, unknown>, seqId = ulid(), timeoutMs?: number): Promise<ResponseEnvelope> {
    const reply = await this.requests.send(op, payload, { seqId, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    const res: ResponseEnvelope = reply.ok ? { v: 1, seq_id: seqId, ok: true, result: reply.result } : { v: 1, seq_id: seqId, ok: false, error: reply.error };
    const problems = res.ok ? resultProblems(op, res.result) : [];
    if (res.ok && problems.length) {
      throw new Error(`${op} answered a result that is not its schema's:\n  ${problems.join('\n  ')}\n${JSON.stringify(res.result)}`);
    }
    return res;
  }

  /** The `result` of a request that must succeed. */
  async ok<T = Record<string, unknown>>(op: string, payload: Record<string, unknown>): Promise<T> {
    const res = await this.request(op, payload);
    if (!res.ok) throw new Error(`${op} failed: ${res.error.code} ${res.error.message}`);
    return res.result as T;
  }

  /** How what this client received differs from what its topic carries (`topicPayloads`, schemas/events.ts). */
  payloadProblems(): string[] {
    return this.received.flatMap(({ topic, json }) => {
      const kind = parseTopic(topic)?.kind;
      const schema = kind && kind in topicPayloads ? topicPayloads[kind as keyof typeof topicPayloads] : undefined;
      if (!schema) return [`${topic}: not a topic anything is published on`];
      const parsed = schema.safeParse(json);
      const problems = parsed.success
        ? differences(json, parsed.data, 'payload')
        : parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`);
      return problems.map((p) => `${topic} ${JSON.stringify(json).slice(0, 200)}: ${p}`);
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** The error of a response that must be one. */
export function errorOf(res: ResponseEnvelope): ErrorBody {
  if (res.ok) throw new Error(`expected an error, got ${JSON.stringify(res.result)}`);
  return res.error;
}

/**
 * How `result` differs from what `op` answers by its result schema (schemas/ops.ts, admin.ts): the
 * schema's own complaints, fields the schema does not know (it would drop them), and fields the
 * result lacks that the schema fills in with a default. None for an op without a result schema.
 */
export function resultProblems(op: string, result: unknown): string[] {
  const schema = isOpName(op) ? opResults[op] : isAdminOpName(op) ? adminResults[op] : undefined;
  if (!schema) return [];
  const parsed = schema.safeParse(result);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.') || '(result)'}: ${i.message}`);
  return differences(result, parsed.data, 'result');
}

function differences(sent: unknown, parsed: unknown, path: string): string[] {
  if (Array.isArray(sent) && Array.isArray(parsed)) return sent.flatMap((x, i) => differences(x, parsed[i], `${path}.${i}`));
  if (!isObject(sent) || !isObject(parsed)) return [];
  return [
    ...Object.keys(sent).filter((k) => !(k in parsed)).map((k) => `${path}.${k}: not in the schema`),
    ...Object.keys(parsed).filter((k) => !(k in sent)).map((k) => `${path}.${k}: missing (the schema defaults it)`),
    ...Object.keys(sent).filter((k) => k in parsed).flatMap((k) => differences(sent[k], parsed[k], `${path}.${k}`)),
  ];
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
