export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __testServers?: Array<() => Promise<void>> }).__testServers ?? [];
  for (const stop of stops.reverse()) await stop();
}
