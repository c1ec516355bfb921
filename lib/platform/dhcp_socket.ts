/**
 * Picks the DHCP socket: the batched libc one (udp_mmsg.ts) where FFI and glibc are there,
 * otherwise Deno's portable UDP socket (udp.ts). TANDEM_UDP=deno forces the portable one (for
 * comparisons and for systems where FFI is unwanted).
 */
import type { EventLog } from "../event_log.ts";
import { type DatagramTransport, listenUdp } from "./udp.ts";
import { openMmsgSocket } from "./udp_mmsg.ts";

export function openDhcpSocket(hostname: string, port: number, log: EventLog): DatagramTransport {
  let wanted = "auto";
  try {
    wanted = Deno.env.get("TANDEM_UDP") ?? "auto";
  } catch { /* no env permission: auto */ }
  if (wanted !== "deno") {
    const s = openMmsgSocket(hostname, port);
    if (s !== undefined) {
      log.info("dhcp.socket", { kind: "recvmmsg", address: hostname, port: s.port });
      return s;
    }
    if (wanted === "mmsg") throw new Error("TANDEM_UDP=mmsg but FFI/libc is not available");
  }
  const s = listenUdp(hostname, port);
  log.info("dhcp.socket", { kind: "deno", address: hostname, port: s.port });
  return s;
}
