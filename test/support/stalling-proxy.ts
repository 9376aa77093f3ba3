import net from 'node:net';

/**
 * A TCP proxy to a server that can stop passing bytes while its connections stay open: the other end hears
 * nothing, as from a server stopped, overloaded or cut off by a network path dropping packets (not one that
 * refuses). Bytes held back meanwhile pass on when it resumes (a stopped server that resumes loses nothing).
 */
export async function stallingProxy(host: string, port: number): Promise<{ port: number; stall(): void; resume(): void; close(): Promise<void> }> {
  let stalled = false;
  const held: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => (stalled ? held.push(() => to.write(chunk)) : to.write(chunk)));
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const resume = () => {
    stalled = false;
    for (const pass of held.splice(0)) pass();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    stall: () => void (stalled = true),
    resume,
    close: async () => {
      resume();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
