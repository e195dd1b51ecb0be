import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 that records the first bytes each client sends, so
 * a test can compare the server's fingerprint with the client's real
 * ClientHello bytes. Recording stops at `maxBytes` per connection.
 */
export class RecordingProxy {
  readonly server: Server;
  /** First bytes of each client connection, in accept order. */
  readonly recorded: Buffer[] = [];
  readonly #sockets = new Set<Socket>();

  /**
   * @param localAddress Source address of the relay's upstream connections,
   *   for example 127.0.0.2 to appear as another client than 127.0.0.1.
   */
  constructor(targetPort: number, maxBytes = 65_536, localAddress?: string) {
    this.server = createServer((client) => {
      const index = this.recorded.length;
      this.recorded.push(Buffer.alloc(0));
      const upstream = connect({ port: targetPort, host: '127.0.0.1', localAddress });
      this.#sockets.add(client);
      this.#sockets.add(upstream);
      client.on('data', (chunk: Buffer) => {
        const seen = this.recorded[index]!;
        if (seen.length < maxBytes) this.recorded[index] = Buffer.concat([seen, chunk]);
      });
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const closed = once(this.server, 'close');
    this.server.close();
    await closed;
  }
}
