/**
 * Test ports: `count` consecutive ports below the kernel's ephemeral range (32768-60999 here),
 * so an outgoing connection's local port can never hold one of them, each checked free for TCP
 * and UDP on 127.0.0.1 before use.
 */
export function freePortBase(count: number): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * (32_000 - 10_000 - count));
    let free = true;
    for (let p = base; p < base + count && free; p++) {
      try {
        Deno.listen({ hostname: "127.0.0.1", port: p }).close();
        Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: p }).close();
      } catch {
        free = false;
      }
    }
    if (free) return base;
  }
  throw new Error(`no ${count} free consecutive ports below 32000`);
}
