import { createServer, type Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../lib/logger.js';
import type { Publisher } from '../lib/publisher.js';
import { canPublish, canSubscribe, type Memberships, type Principal } from './acl.js';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  wsPort: number;
  authenticate(clientId: string, username: string, password: string): Promise<Principal | undefined>;
  memberships: Memberships;
  /** A publish the principal was allowed to make; the gateway picks up requests here. */
  onPublish(principal: Principal, topic: string, payload: Buffer): void;
  log: Logger;
}

export interface EmbeddedBroker extends Publisher {
  readonly aedes: Aedes;
  principalOf(client: Client): Principal | undefined;
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
  const aedes = await Aedes.createBroker({ drainTimeout: 30_000 });
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
    done(null);
  };

  aedes.authorizeSubscribe = (client, sub, done) => {
    const principal = principals.get(client);
    const allowed = principal ? canSubscribe(principal, sub.topic, opts.memberships) : Promise.resolve(false);
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
    principalOf: (client) => principals.get(client),
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
