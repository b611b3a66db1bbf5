import { createServer, type Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../lib/logger.js';
import type { Publisher } from '../lib/publisher.js';
import { parseTopic, topics } from '../schemas/topics.js';
import { canPublish, canSubscribe, type Memberships, type Principal } from './acl.js';
import type { LiveAcl } from './admin/effects.js';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  wsPort: number;
  authenticate(clientId: string, username: string, password: string): Promise<Principal | undefined>;
  memberships: Memberships;
  /** The employee's last connection closed. */
  onOffline(employeeId: string): void;
  /** A publish the principal was allowed to make; the gateway picks up requests here. */
  onPublish(principal: Principal, topic: string, payload: Buffer): void;
  log: Logger;
}

export interface EmbeddedBroker extends Publisher, LiveAcl {
  readonly aedes: Aedes;
  close(): Promise<void>;
}

// Denied publishes are dropped (like EMQX's default deny_action) by sending them where nobody listens.
const BLACK_HOLE = '$mchat/denied';

/**
 * Aedes in the gateway process: MQTT on TCP and on WebSocket (path /mqtt) for browsers. The ACL
 * is decided by acl.ts for every CONNECT, SUBSCRIBE and PUBLISH.
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const principals = new WeakMap<Client, Principal>();
  // The live ACL: connections and group memberships of the employees online now, so that a
  // membership change or a disabled account takes effect without anyone reconnecting.
  const connections = new Map<string, Set<Client>>();
  const groupsOf = new Map<string, ReadonlySet<string>>();
  const aedes = await Aedes.createBroker({ drainTimeout: 30_000 });
  const { log } = opts;

  const loadGroups = async (employeeId: string) => {
    const groups = await opts.memberships(employeeId);
    if (connections.has(employeeId)) groupsOf.set(employeeId, groups);
    return groups;
  };
  const cachedMemberships: Memberships = async (employeeId) => groupsOf.get(employeeId) ?? loadGroups(employeeId);

  aedes.authenticate = (client, username, password, done) => {
    opts
      .authenticate(client.id, username ?? '', password?.toString('utf8') ?? '')
      .then((principal) => {
        if (!principal) {
          log.warn({ clientId: client.id, username }, 'mqtt connect refused');
          return done(Object.assign(new Error('bad credentials'), { returnCode: 4 }), false);
        }
        principals.set(client, principal);
        if (principal.kind === 'employee') {
          const set = connections.get(principal.id) ?? new Set();
          connections.set(principal.id, set.add(client));
        }
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
      packet.retain = false;
    }
    // Only presence is retained; a retained request would sit in the broker's memory for good.
    if (principal?.kind === 'employee' && !packet.topic.startsWith('mchat/status/')) packet.retain = false;
    done(null);
  };

  aedes.authorizeSubscribe = (client, sub, done) => {
    const principal = principals.get(client);
    const allowed = principal ? canSubscribe(principal, sub.topic, cachedMemberships) : Promise.resolve(false);
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
    return groupsOf.get(principal.id)?.has(t.groupId) ? packet : null;
  };

  // Whose Last Will announces them offline: for the others the gateway must say it.
  const willsPresence = new WeakSet<Client>();
  aedes.on('clientReady', (client: Client) => {
    const principal = principals.get(client);
    const will = (client as unknown as { will?: { topic?: string } | null }).will;
    if (principal?.kind === 'employee' && will?.topic === topics.status(principal.id)) willsPresence.add(client);
  });

  aedes.on('clientDisconnect', (client: Client) => {
    const principal = principals.get(client);
    if (principal?.kind !== 'employee') return;
    const set = connections.get(principal.id);
    set?.delete(client);
    if (set?.size !== 0) return;
    connections.delete(principal.id);
    groupsOf.delete(principal.id);
    // A clean DISCONNECT discards the will (MQTT 3.1.1 §3.14.4); an abrupt one published it.
    const clean = (client as unknown as { _disconnected?: boolean })._disconnected === true;
    if (clean || !willsPresence.has(client)) opts.onOffline(principal.id);
  });

  aedes.on('publish', (packet: PublishPacket, client: Client | null) => {
    if (!client || packet.topic === BLACK_HOLE) return;
    const principal = principals.get(client);
    if (principal) opts.onPublish(principal, packet.topic, packet.payload as Buffer);
  });

  const tcp: Server = createServer(aedes.handle);
  const http: HttpServer = createHttpServer();
  const wss = new WebSocketServer({ server: http, path: '/mqtt' });
  wss.on('connection', (ws, req) => {
    // aedes reads the remote address off the stream for logs and preConnect.
    const stream = Object.assign(createWebSocketStream(ws), { remoteAddress: req.socket.remoteAddress });
    aedes.handle(stream);
  });
  await Promise.all([listen(tcp, opts.port, opts.host), listen(http, opts.wsPort, opts.host)]);

  return {
    aedes,
    async refresh(employeeIds) {
      await Promise.all(employeeIds.filter((id) => connections.has(id)).map(loadGroups));
    },
    disconnect(employeeId) {
      for (const client of connections.get(employeeId) ?? []) {
        log.info({ clientId: client.id }, 'disconnecting a disabled employee');
        client.close();
      }
    },
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
      wss.clients.forEach((ws) => ws.terminate());
      await Promise.all([closeServer(tcp), closeServer(http)]);
    },
  };
}

function listen(server: Server | HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
