import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';

export interface Listeners {
  close(): Promise<void>;
}

/** MQTT on TCP and on WebSocket (path /mqtt, for browsers), both into one aedes. */
export async function listenMqtt(aedes: Aedes, host: string, port: number, wsPort: number): Promise<Listeners> {
  const tcp: Server = createServer(aedes.handle);
  const http: HttpServer = createHttpServer();
  const wss = new WebSocketServer({ server: http, path: '/mqtt' });
  wss.on('connection', (ws, req) => {
    // aedes reads the remote address off the stream for logs and preConnect.
    const stream = Object.assign(createWebSocketStream(ws), { remoteAddress: req.socket.remoteAddress });
    aedes.handle(stream);
  });
  await Promise.all([listen(tcp, port, host), listen(http, wsPort, host)]);
  return {
    async close() {
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
