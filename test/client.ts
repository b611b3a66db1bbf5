import mqtt, { type MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import {
  adminResults, isAdminOpName, isOpName, opResults, parseTopic, topicPayloads, topics, type ErrorBody, type ResponseEnvelope,
} from '../schemas/index.js';

export interface Received {
  topic: string;
  json: unknown;
}

/** An employee's MQTT connection, speaking the request/response protocol as a real client would. */
export class TestClient {
  readonly received: Received[] = [];
  private waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];

  private constructor(readonly mqtt: MqttClient, readonly employeeId: string, readonly clientId: string) {
    mqtt.on('message', (topic, payload) => {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        json = payload.toString('utf8');
      }
      const r = { topic, json };
      this.received.push(r);
      this.waiters = this.waiters.filter((w) => (w.match(r) ? (w.resolve(r), false) : true));
    });
  }

  static async connect(url: string, employeeId: string, token: string, device = 'test'): Promise<TestClient> {
    const clientId = `${employeeId}:${device}`;
    const client = await mqtt.connectAsync(url, {
      username: employeeId, password: token, clientId, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000,
    });
    const c = new TestClient(client, employeeId, clientId);
    await client.subscribeAsync([topics.inbox(employeeId), `mchat/msg/resp/${clientId}/+`], { qos: 1 });
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
    const res = await this.requestRaw(seqId, JSON.stringify({ v: 1, seq_id: seqId, client_id: this.clientId, op, payload, ts: Date.now() }), timeoutMs);
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
    return this.mqtt.endAsync();
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
