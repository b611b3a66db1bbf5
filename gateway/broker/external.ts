import { EmqxClientEvent, employeeOfClient, errorResponse, isTopicId, topics } from '../../schemas/index.js';
import { SERVICE_USERNAME } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import { connectService, mqttPublisher } from '../../store/publisher.js';
import type { Caller } from '../caller.js';
import type { PresenceTracker } from './presence.js';
import { StatusAnnouncer } from './status.js';
import type { BrokerEvents, BrokerTransport } from './transport.js';

/**
 * What an external broker relays with the client id it authenticated (deploy/emqx/base.hocon):
 * requests and admin commands (rules), clients' status publishes (a topic rewrite, so that they
 * never reach `mchat/status/+`), and connections beginning and ending (rules on client events).
 */
const INGRESS_FILTER = '$share/mchat-gateway/mchat/ingress/#';
const INGRESS = /^mchat\/ingress\/(?:req\/([^/]+)\/([^/]+)|admin\/([^/]+))$/;
const CLIENT_INGRESS = /^mchat\/ingress\/(connected|disconnected|status)\/([^/]+)$/;

export interface ExternalTransportOptions {
  url: string;
  serviceSecret: string;
  events: BrokerEvents;
  presence: PresenceTracker;
  /** The broker rewrites status topics (MQTT_STATUS_REWRITE): publish on `mchat/gateway/status/{id}`. */
  statusRewritten: boolean;
  /** How often the devices heard from are renewed, and expired ones swept. */
  presenceRenewMs: number;
  /** The active employee a client id belongs to, with their role; null for anyone else. */
  employee(id: string): Promise<{ role: Caller['role'] } | null>;
  log: Logger;
}

/**
 * An external broker (EMQX): the gateway holds one service connection, gets requests on the
 * shared ingress subscription with the client id EMQX authenticated, and publishes as a service.
 */
export async function externalTransport(opts: ExternalTransportOptions): Promise<BrokerTransport> {
  const { events, log } = opts;
  const client = await connectService({
    url: opts.url,
    username: SERVICE_USERNAME.gateway,
    password: opts.serviceSecret,
    clientId: `${SERVICE_USERNAME.gateway}-${process.pid}`,
  });
  const publisher = mqttPublisher(client);
  // The broker holds the connections, so a device is renewed whenever it is heard from (a request)
  // and expires, to be swept, only when its disconnect never came (a broker node lost).
  const heard = new Set<string>();
  const status = new StatusAnnouncer({
    tracker: opts.presence, log, renewMs: opts.presenceRenewMs,
    topic: opts.statusRewritten ? topics.gatewayStatus : topics.status,
    renewing: () => {
      const ids = [...heard];
      heard.clear();
      return { heard: ids };
    },
  });
  status.attach(publisher);

  async function callerOf(clientId: string): Promise<Caller | undefined> {
    const id = employeeOfClient(clientId);
    const e = id ? await opts.employee(id) : null;
    if (!id || !e) log.warn({ clientId }, 'request from unknown client dropped');
    return id && e ? { id, clientId, role: e.role } : undefined;
  }

  client.on('message', (topic, payload) => {
    const ingress = INGRESS.exec(topic);
    if (ingress) {
      // req/{client_id}/{seq_id} for requests, admin/{client_id} for admin commands.
      const clientId = (ingress[1] ?? ingress[3])!;
      const seqId = ingress[2];
      if (!isTopicId(clientId) || (seqId !== undefined && !isTopicId(seqId))) return log.warn({ topic }, 'malformed ingress topic dropped');
      heard.add(clientId);
      callerOf(clientId).then(
        (caller) => caller && events.onRequest(caller, seqId, payload),
        (err: unknown) => {
          log.error({ err, clientId, seqId }, 'could not identify the caller');
          if (seqId === undefined) return;
          const error = errorResponse(seqId, { code: 'E_UNAVAILABLE', message: 'the directory is unavailable; retry later' });
          publisher.publish(topics.resp(clientId, seqId), error, { qos: 1 }).catch(() => undefined);
        },
      );
      return;
    }
    const event = CLIENT_INGRESS.exec(topic);
    if (event) clientEvent(event[1] as 'connected' | 'disconnected' | 'status', event[2]!, payload);
  });

  function clientEvent(kind: 'connected' | 'disconnected' | 'status', clientId: string, payload: Buffer): void {
    if (!isTopicId(clientId)) return log.warn({ kind, clientId }, 'malformed client event dropped');
    if (kind === 'status') return status.update(clientId, payload);
    let at: number;
    try {
      at = EmqxClientEvent.parse(JSON.parse(payload.toString('utf8'))).at;
    } catch {
      return log.warn({ kind, clientId }, 'malformed client event dropped');
    }
    if (kind === 'connected') status.connected(clientId, at);
    else status.disconnected(clientId, at);
  }
  // Re-subscribed on every (re)connect: the session is clean so the broker forgets them.
  const subscribe = () => client.subscribeAsync({ [INGRESS_FILTER]: { qos: 2 } });
  client.on('connect', () => void subscribe().catch((err: unknown) => log.error({ err }, 'subscribe failed')));
  await subscribe();
  return {
    publisher,
    acl: {
      // EMQX asks /internal/emqx/authz on every subscribe and publish (no cache), so a join, and a
      // disabled account's next publish or subscribe, apply at once. Cutting subscriptions that
      // already exist needs EMQX's REST API, which is not wired yet.
      refresh: async () => undefined,
      disconnect: (employeeId) => log.warn({ employeeId }, 'disabled employee stays connected until EMQX drops the session'),
    },
    connected: () => client.connected,
    async close() {
      status.close();
      await client.endAsync();
    },
  };
}
