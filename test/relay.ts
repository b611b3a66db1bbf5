import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between clients and the broker that a test can cut, to lose a connection the way a
 * network does: `cut` drops every connection, `refusing` turns new ones away, `holdingAnswers`
 * drops what the broker sends while the client's bytes still reach it.
 */
export class Relay {
  refusing = false;
  holdingAnswers = false;
  url = '';
  readonly #pairs = new Set<[Socket, Socket]>();
  readonly #server: Server;

  private constructor(broker: URL) {
    this.#server = createServer((client) => {
      if (this.refusing) return client.destroy();
      const upstream = connect(Number(broker.port), broker.hostname);
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      const end = () => {
        this.#pairs.delete(pair);
        pair.forEach((s) => s.destroy());
      };
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => {
        if (!this.holdingAnswers) client.write(chunk);
      });
      for (const s of pair) s.on('close', end).on('error', end);
    });
  }

  static async start(brokerUrl: string): Promise<Relay> {
    const relay = new Relay(new URL(brokerUrl));
    await new Promise<void>((resolve) => relay.#server.listen(0, '127.0.0.1', resolve));
    relay.url = `mqtt://127.0.0.1:${(relay.#server.address() as AddressInfo).port}`;
    return relay;
  }

  /** Drops every connection through the relay, as a lost network would. */
  cut(): void {
    for (const pair of [...this.#pairs]) pair.forEach((s) => s.destroy());
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
