import mqtt, { type MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { topics, type Event, type ResponseEnvelope } from '../schemas/index.js';

/** Milliseconds on the bench process's monotonic clock: senders and receivers all live here. */
export const now = (): number => performance.now();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PeerSpec {
  clientId: string;
  /** Employee id and token on the gateway; left out on the raw broker. */
  username?: string;
  password?: string;
  subscribe: readonly string[];
  /** false: a persistent session the broker keeps while the client is away. */
  clean?: boolean;
}

/**
 * One MQTT connection of the bench: requests with their responses matched by seq_id, and every
 * other message handed to `onEvent` with the time it arrived.
 */
export class Peer {
  onEvent: ((topic: string, payload: Buffer, at: number) => void) | undefined;
  lastError: Error | undefined;
  private readonly pending = new Map<string, (r: ResponseEnvelope) => void>();
  private readonly respPrefix: string;

  constructor(readonly mqtt: MqttClient, readonly clientId: string) {
    this.respPrefix = `mchat/msg/resp/${clientId}/`;
    mqtt.on('message', (topic, payload) => {
      const at = now();
      if (topic.startsWith(this.respPrefix)) {
        const seqId = topic.slice(this.respPrefix.length);
        const resolve = this.pending.get(seqId);
        if (resolve) {
          this.pending.delete(seqId);
          resolve(JSON.parse(payload.toString('utf8')) as ResponseEnvelope);
        }
        return;
      }
      this.onEvent?.(topic, payload, at);
    });
  }

  /** Publishes a request (QoS 1) and resolves with the gateway's response to it. */
  request(op: string, payload: Record<string, unknown>, seqId = ulid()): Promise<ResponseEnvelope> {
    const response = new Promise<ResponseEnvelope>((resolve) => this.pending.set(seqId, resolve));
    const envelope = JSON.stringify({ v: 1, seq_id: seqId, client_id: this.clientId, op, payload, ts: Date.now() });
    this.mqtt.publish(topics.req(seqId), envelope, { qos: 1 });
    return response;
  }

  /** A raw QoS 1 publish; resolves on PUBACK. */
  publish(topic: string, payload: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.mqtt.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): Promise<void> {
    return this.mqtt.endAsync();
  }
}

/** Connects `specs` with at most `concurrency` CONNECTs in flight, each subscribed before it counts. */
export async function connectPeers(url: string, specs: readonly PeerSpec[], concurrency = 100): Promise<Peer[]> {
  const peers: Peer[] = new Array(specs.length);
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      peers[i] = await connectPeer(url, specs[i]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
  } catch (err) {
    await closePeers(peers.filter(Boolean));
    throw err;
  }
  return peers;
}

/**
 * One connection. `onEvent` is attached before CONNECT goes out: a persistent session's queued
 * messages arrive straight after CONNACK, before any later handler could be attached.
 */
export async function connectPeer(url: string, spec: PeerSpec, onEvent?: Peer['onEvent']): Promise<Peer> {
  const client = mqtt.connect(url, {
    clientId: spec.clientId,
    ...(spec.username ? { username: spec.username, password: spec.password } : {}),
    protocolVersion: 4,
    clean: spec.clean ?? true,
    reconnectPeriod: 0,
    connectTimeout: 120_000,
    keepalive: 300,
    resubscribe: false,
  });
  const peer = new Peer(client, spec.clientId);
  peer.onEvent = onEvent;
  // A connection that fails later shows up as missing messages; it must not crash the bench.
  client.on('error', (err) => (peer.lastError = err));
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`${spec.clientId}: connection closed before CONNACK`)));
    });
    if (process.env.BENCH_CLIENT_NODELAY === '1') (client.stream as unknown as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
    if (spec.subscribe.length > 0) {
      const granted = await client.subscribeAsync([...spec.subscribe], { qos: 1 });
      const refused = granted.filter((g) => g.qos === 128);
      if (refused.length > 0) throw new Error(`${spec.clientId}: subscription refused: ${refused.map((g) => g.topic).join(', ')}`);
    }
  } catch (err) {
    await client.endAsync(true).catch(() => undefined);
    throw err;
  }
  return peer;
}

export async function closePeers(peers: readonly Peer[], concurrency = 200): Promise<void> {
  for (let i = 0; i < peers.length; i += concurrency) {
    await Promise.all(peers.slice(i, i + concurrency).map((p) => p.mqtt.endAsync(true).catch(() => undefined)));
  }
}

/** Waits until `done()` or the deadline; true when done. */
export async function until(done: () => boolean, timeoutMs: number, pollMs = 5): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (!done()) {
    if (now() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

export interface SpecOptions {
  /** Mints the employee's token: connections to the gateway. Left out for the raw broker. */
  token?: (employeeId: string) => Promise<string>;
  /** Connections per employee (`{id}:d0`, `{id}:d1`, …). */
  devices?: number;
  /** Topics to subscribe besides the inbox and the client's own response topics. */
  extra?: readonly string[];
}

/** What a real client of employee `id` subscribes to: its inbox and its response topics. */
export async function employeeSpecs(ids: readonly string[], opts: SpecOptions = {}): Promise<PeerSpec[]> {
  const devices = opts.devices ?? 1;
  const specs: PeerSpec[] = [];
  for (const id of ids) {
    const password = opts.token ? await opts.token(id) : undefined;
    for (let d = 0; d < devices; d++) {
      const clientId = `${id}:d${d}`;
      specs.push({
        clientId,
        ...(password ? { username: id, password } : {}),
        subscribe: [topics.inbox(id), `mchat/msg/resp/${clientId}/+`, ...(opts.extra ?? [])],
      });
    }
  }
  return specs;
}

/** `prefix0000`, `prefix0001`, …: ids that sort in creation order. */
export function benchIds(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);
}

/**
 * What the gateway publishes for a stored message, `{ v: 1, type: 'message', msg }`, built by the
 * bench so the raw broker carries the same bytes the gateway would.
 */
export function messageEvent(conversationId: string, from: string, seq: number, clientMsgId: string): string {
  return JSON.stringify({
    v: 1,
    type: 'message',
    msg: {
      msg_id: ulid(), conversation_id: conversationId, seq, from, ts: Date.now(), kind: 'text',
      body: { text: 'bench', mentions: [], attachments: [] }, client_msg_id: clientMsgId,
    },
  } satisfies Event);
}

/** The client_msg_id of a message event, or undefined for anything else. */
export function clientMsgIdOf(payload: Buffer): string | undefined {
  try {
    const event = JSON.parse(payload.toString('utf8')) as { type?: string; msg?: { client_msg_id?: string } };
    return event.type === 'message' ? event.msg?.client_msg_id : undefined;
  } catch {
    return undefined;
  }
}
