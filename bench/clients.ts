import { ulid } from 'ulid';
import { type Event, type ResponseEnvelope } from '../schemas/index.js';
import { Connection, Requests, ownTopics, type MchatError } from '../sdk/index.js';

/** Milliseconds on the bench process's monotonic clock: senders and receivers all live here. */
export const now = (): number => performance.now();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PeerSpec {
  employeeId: string;
  /** The `{device}` of the client id `{employeeId}:{device}`. */
  device: string;
  /** The employee's token on the gateway; the raw broker takes any. */
  token?: string;
  subscribe: readonly string[];
  /** false: a persistent session the broker keeps while the client is away. */
  clean?: boolean;
}

/**
 * One connection of the bench, the SDK's connection and requests: requests with their responses
 * matched by seq_id, and every other message handed to `onEvent` with the time it arrived.
 */
export class Peer {
  onEvent: ((topic: string, payload: Buffer, at: number) => void) | undefined;

  constructor(readonly connection: Connection, readonly requests: Requests) {
    const respPrefix = `mchat/msg/resp/${connection.clientId}/`;
    connection.on('message', (topic, payload) => {
      const at = now();
      if (!topic.startsWith(respPrefix)) this.onEvent?.(topic, payload as Buffer, at);
    });
  }

  get clientId(): string {
    return this.connection.clientId;
  }

  /** A connection that failed later shows up as missing messages; this says why. */
  get lastError(): Error | undefined {
    return this.connection.lastError;
  }

  /** Publishes a request (QoS 1) and resolves with the gateway's response to it, however long it takes. */
  async request(op: string, payload: Record<string, unknown>, seqId = ulid()): Promise<ResponseEnvelope> {
    const reply = await this.requests.send(op, payload, { seqId, timeoutMs: Infinity });
    return reply.ok ? { v: 1, seq_id: seqId, ok: true, result: reply.result } : { v: 1, seq_id: seqId, ok: false, error: reply.error };
  }

  /** A raw QoS 1 publish; resolves on PUBACK. */
  publish(topic: string, payload: string): Promise<void> {
    return new Promise((resolve, reject) => this.connection.publish(topic, payload, (err) => (err ? reject(err) : resolve())));
  }

  get inFlight(): number {
    return this.requests.inFlight;
  }

  close(force = false): Promise<void> {
    return this.connection.close(force);
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
 * One connection, without reconnects (a lost one must show in the figures, not be hidden).
 * `onEvent` is attached before CONNECT goes out: a persistent session's queued messages arrive
 * straight after CONNACK, before any later handler could be attached.
 */
export async function connectPeer(url: string, spec: PeerSpec, onEvent?: Peer['onEvent']): Promise<Peer> {
  const connection = new Connection({
    url, employeeId: spec.employeeId, token: spec.token ?? '', device: spec.device, subscribe: spec.subscribe,
    clean: spec.clean ?? true, reconnect: false, connectTimeoutMs: 120_000, keepaliveSeconds: 300,
  });
  const peer = new Peer(connection, new Requests(connection));
  peer.onEvent = onEvent;
  const refused: MchatError[] = [];
  connection.on('error', (err) => refused.push(err));
  const failure = (await connection.ready()) ?? refused[0];
  if (failure) {
    await connection.close(true).catch(() => undefined);
    throw new Error(`${connection.clientId}: ${failure.message}`);
  }
  if (process.env.BENCH_CLIENT_NODELAY === '1') (connection.mqtt.stream as unknown as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  return peer;
}

export async function closePeers(peers: readonly Peer[], concurrency = 200): Promise<void> {
  for (let i = 0; i < peers.length; i += concurrency) {
    await Promise.all(peers.slice(i, i + concurrency).map((p) => p.close(true).catch(() => undefined)));
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
    const token = opts.token ? await opts.token(id) : undefined;
    for (let d = 0; d < devices; d++) {
      const device = `d${d}`;
      specs.push({ employeeId: id, device, ...(token ? { token } : {}), subscribe: [...ownTopics(id, `${id}:${device}`), ...(opts.extra ?? [])] });
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
