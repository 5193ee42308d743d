import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between the desktop app and the server that can be switched off: "offline" cuts
 * every open connection and refuses new ones, as a pulled cable or a dead Wi-Fi would. The app
 * is given the relay's address as its server, so nothing in it knows it is being tested.
 */
export class NetworkSwitch {
  private online = true;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly relay: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<NetworkSwitch> {
    const { hostname, port } = new URL(target);
    let self: NetworkSwitch | null = null;
    const relay = createServer((client) => self?.accept(client, hostname, Number(port)));
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const address = relay.address();
    if (address === null || typeof address === 'string') throw new Error('relay has no port');
    self = new NetworkSwitch(relay, `http://127.0.0.1:${String(address.port)}`);
    return self;
  }

  get isOnline(): boolean {
    return this.online;
  }

  goOffline(): void {
    this.online = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  goOnline(): void {
    this.online = true;
  }

  async close(): Promise<void> {
    this.goOffline();
    await new Promise<void>((resolve) => this.relay.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    if (!this.online) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }
}
