import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from '../../lib/logger.js';
import type { Publisher } from '../../store/publisher.js';
import { parseTopic } from '../../schemas/topics.js';
import { canPublish, canSubscribe, type Memberships, type Principal } from './acl.js';
import { LiveConnections } from './live.js';
import { listenMqtt } from './listeners.js';
import type { LiveAcl } from '../admin/effects.js';
import type { PresenceTracker } from './presence.js';
import { StatusAnnouncer } from './status.js';
import type { BrokerEvents, BrokerTransport } from './transport.js';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  wsPort: number;
  authenticate(clientId: string, username: string, password: string): Promise<Principal | undefined>;
  memberships: Memberships;
  /** An employee's connection is ready. */
  onConnected(clientId: string): void;
  /** An employee's connection closed, and no newer one with its client id is open. */
  onDisconnected(clientId: string): void;
  /** What an employee published on their own status topic (their Last Will included); never forwarded. */
  onStatus(clientId: string, payload: Buffer): void;
  /** A publish the principal was allowed to make; the gateway picks up requests here. */
  onPublish(principal: Principal, topic: string, payload: Buffer): void;
  log: Logger;
}

export interface EmbeddedBroker extends Publisher, LiveAcl {
  readonly aedes: Aedes;
  /** The client ids of the employees connected here. */
  clientIds(): string[];
  close(): Promise<void>;
}

// Denied publishes are dropped (like EMQX's default deny_action) by sending them where nobody listens.
const BLACK_HOLE = '$mchat/denied';

/**
 * Aedes in the gateway process, on TCP and WebSocket (listeners.ts), with the ACL of acl.ts and
 * the live memberships of live.ts.
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker({ drainTimeout: 30_000 });
  const live = new LiveConnections(opts.memberships, opts.log);
  const principals = guard(aedes, live, opts);
  announce(aedes, principals, live, opts);
  const listeners = await listenMqtt(aedes, opts.host, opts.port, opts.wsPort);
  return {
    aedes,
    clientIds: () => live.clientIds(),
    refresh: (employeeIds) => live.refresh(employeeIds),
    disconnect: (employeeId) => live.disconnect(employeeId),
    publish(topic, message, { qos, retain = false }) {
      return new Promise((resolve, reject) =>
        aedes.publish(
          { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(message)), qos, retain, dup: false },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    },
    async close() {
      // aedes first: it disconnects the clients the servers would otherwise wait for.
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await listeners.close();
    },
  };
}

/** Every CONNECT, SUBSCRIBE, PUBLISH and delivery checked by acl.ts; the principal of each client. */
function guard(aedes: Aedes, live: LiveConnections, opts: EmbeddedBrokerOptions): WeakMap<Client, Principal> {
  const principals = new WeakMap<Client, Principal>();
  const { log } = opts;
  aedes.authenticate = (client, username, password, done) => {
    opts
      .authenticate(client.id, username ?? '', password?.toString('utf8') ?? '')
      .then((principal) => {
        if (!principal) {
          log.warn({ clientId: client.id, username }, 'mqtt connect refused');
          return done(Object.assign(new Error('bad credentials'), { returnCode: 4 }), false);
        }
        principals.set(client, principal);
        if (principal.kind === 'employee') live.add(principal.id, client);
        done(null, true);
      })
      .catch((err: unknown) => {
        log.error({ err, clientId: client.id }, 'mqtt authentication failed');
        done(Object.assign(new Error('server unavailable'), { returnCode: 3 }), false);
      });
  };

  aedes.authorizePublish = (client, packet, done) => {
    if (!client) return done(null); // a stored Last Will of a client that is gone
    const principal = principals.get(client);
    if (!principal || !canPublish(principal, packet.topic)) {
      log.warn({ clientId: client.id, topic: packet.topic }, 'publish denied');
      packet.topic = BLACK_HOLE;
    } else if (principal.kind === 'employee' && parseTopic(packet.topic)?.kind === 'status') {
      // The retained status is the gateway's, folded from every device: a client's own publish
      // (or its Last Will) only tells the gateway how that device is.
      opts.onStatus(client.id, packet.payload as Buffer);
      packet.topic = BLACK_HOLE;
    }
    // A retained request would sit in the broker's memory for good.
    if (principal?.kind === 'employee') packet.retain = false;
    done(null);
  };

  aedes.authorizeSubscribe = (client, sub, done) => {
    const principal = principals.get(client);
    const allowed = principal ? canSubscribe(principal, sub.topic, live.memberships) : Promise.resolve(false);
    allowed.then(
      (ok) => {
        if (!ok) log.warn({ clientId: client.id, topic: sub.topic }, 'subscribe denied');
        done(null, ok ? sub : null);
      },
      (err: unknown) => {
        log.error({ err, clientId: client.id, topic: sub.topic }, 'subscribe check failed');
        done(null, null);
      },
    );
  };

  // Delivery is checked again, synchronously, against the live memberships: someone removed from
  // a group stops receiving it at once, though their old subscription is still in place.
  aedes.authorizeForward = (client, packet) => {
    const principal = principals.get(client);
    if (principal?.kind !== 'employee') return packet;
    const t = parseTopic(packet.topic);
    if (t?.kind !== 'group') return packet;
    return live.inGroup(principal.id, t.groupId) ? packet : null;
  };
  return principals;
}

/** Tells the gateway of allowed publishes, and of employees' connections coming and going. */
function announce(aedes: Aedes, principals: WeakMap<Client, Principal>, live: LiveConnections, opts: EmbeddedBrokerOptions): void {
  aedes.on('clientReady', (client: Client) => {
    if (principals.get(client)?.kind === 'employee') opts.onConnected(client.id);
  });

  aedes.on('clientDisconnect', (client: Client) => {
    const principal = principals.get(client);
    if (principal?.kind !== 'employee') return;
    live.remove(principal.id, client);
    // A takeover by the same client id closes the old connection after the new one is in.
    if (!live.hasClient(principal.id, client.id)) opts.onDisconnected(client.id);
  });

  aedes.on('publish', (packet: PublishPacket, client: Client | null) => {
    if (!client || packet.topic === BLACK_HOLE) return;
    const principal = principals.get(client);
    if (principal) opts.onPublish(principal, packet.topic, packet.payload as Buffer);
  });
}

export interface EmbeddedTransportOptions extends Pick<EmbeddedBrokerOptions, 'host' | 'port' | 'wsPort' | 'authenticate' | 'memberships' | 'log'> {
  presence: PresenceTracker;
  /** How often the devices connected here are renewed in the tracker (and expired ones swept). */
  presenceRenewMs: number;
  events: BrokerEvents;
}

/** The embedded broker as the gateway's transport: employees' publishes become requests and presence. */
export async function embeddedTransport(opts: EmbeddedTransportOptions): Promise<BrokerTransport> {
  const { presence, events } = opts;
  // Nobody is connected to a broker that just started, whatever Redis remembers.
  await presence.reset();
  let connectedHere: () => string[] = () => [];
  const status = new StatusAnnouncer({ tracker: presence, log: opts.log, renewMs: opts.presenceRenewMs, renewing: () => ({ held: connectedHere() }) });
  const broker = await startEmbeddedBroker({
    ...opts,
    onConnected: (clientId) => status.connected(clientId),
    onDisconnected: (clientId) => status.disconnected(clientId),
    onStatus: (clientId, payload) => status.update(clientId, payload),
    onPublish(principal, topic, payload) {
      if (principal.kind !== 'employee') return;
      const t = parseTopic(topic);
      if (t?.kind === 'req') events.onRequest(principal, t.seqId, payload);
      else if (t?.kind === 'adminCmd') events.onRequest(principal, undefined, payload);
    },
  });
  connectedHere = () => broker.clientIds();
  status.attach(broker);
  return {
    publisher: broker,
    acl: broker,
    connected: () => !broker.aedes.closed,
    async close() {
      status.close();
      await broker.close();
    },
  };
}
