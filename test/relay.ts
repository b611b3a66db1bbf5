import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP relay between clients and the broker that a test can cut, to lose a connection the way a
 * network does: `cut` drops every connection, `refuse` turns new ones away, `holdAnswers` drops
 * what the broker sends while the client's bytes still reach it.
 */
export class Relay {
  refusing = false;
  holdingAnswers = false;
  readonly #pairs = new Set<[Socket, Socket]>();

  private constructor(readonly url: string, private readonly server: ReturnType<typeof createServer>) {}

  static async start(brokerUrl: string): Promise<Relay> {
    const target = new URL(brokerUrl);
    let relay!: Relay;
    const server = createServer((client) => {
      if (relay.refusing) return client.destroy();
      const broker = connect(Number(target.port), target.hostname);
      const pair: [Socket, Socket] = [client, broker];
      relay.#pairs.add(pair);
      const end = () => {
        relay.#pairs.delete(pair);
        client.destroy();
        broker.destroy();
      };
      client.on('data', (chunk) => broker.write(chunk));
      broker.on('data', (chunk) => {
        if (!relay.holdingAnswers) client.write(chunk);
      });
      for (const s of pair) s.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relay = new Relay(`mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, server);
    return relay;
  }

  /** Drops every connection through the relay, as a lost network would. */
  cut(): void {
    for (const pair of [...this.#pairs]) pair.forEach((s) => s.destroy());
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
