/**
 * The DHCP socket on Linux through libc (Deno FFI): recvmmsg(2) and sendmmsg(2) move a whole
 * batch of datagrams per system call instead of one async op per datagram. Deno's own UDP API
 * costs about 26 µs of event-loop work per receive, which was most of the server's time per
 * packet (scripts/bench_core.ts vs scripts/bench). This socket also gets SO_RCVBUF raised so a
 * burst of relayed DISCOVERs is queued rather than dropped.
 *
 * An idle socket waits in recvmmsg on a blocking socket on Deno's FFI thread pool (a
 * `nonblocking` symbol), with SO_RCVTIMEO so the loop checks for close() ten times a second.
 * While datagrams keep coming, the main thread takes them itself every POLL_MS (MSG_DONTWAIT):
 * at 2,000 DORA/s that cut the server's CPU per DORA from about 250 to 100 µs (issue #10).
 * Sends use sendmmsg with MSG_DONTWAIT from the main thread. Linux x86_64/aarch64 struct
 * layouts (LP64). openMmsgSocket() returns undefined when libc or FFI is unavailable, and
 * boot falls back to Deno.listenDatagram (udp.ts).
 */
import type { Datagram, DatagramTransport, OutDatagram } from "./udp.ts";

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_BROADCAST = 6;
const SO_RCVBUF = 8;
const SO_SNDBUF = 7;
const SO_RCVBUFFORCE = 33;
const SO_RCVTIMEO = 20;
const MSG_DONTWAIT = 0x40;
const EACCES = 13;
const EADDRINUSE = 98;
const EADDRNOTAVAIL = 99;
const MSG_WAITFORONE = 0x10000;

/** Datagrams per recvmmsg/sendmmsg call and the bytes kept for each (DHCP fits in 1,500). */
const SLOTS = 64;
const SLOT_BYTES = 4096;
/** struct mmsghdr: struct msghdr (56 bytes on LP64) + unsigned msg_len, padded to 64. */
const MMSG = 64;
const IOVEC = 16;
const SOCKADDR = 16;
/**
 * The receive buffer asked for (the kernel doubles it for its bookkeeping). TANDEM_UDP_RCVBUF
 * overrides it: scripts/bench gives every server it compares the same buffer.
 */
const RCVBUF_BYTES = (() => {
  const v = Number(Deno.env.get("TANDEM_UDP_RCVBUF") ?? "");
  return Number.isInteger(v) && v >= 4096 ? v : 4 * 1024 * 1024;
})();
const WAKE_MS = 100;
/** The gap between main-thread receives while busy (TANDEM_UDP_POLL_MS; 0: each one blocks). */
const POLL_MS = (() => {
  const v = Number(Deno.env.get("TANDEM_UDP_POLL_MS") ?? "4");
  return Number.isFinite(v) && v >= 0 ? v : 4;
})();

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  /** The same call on the main thread, with MSG_DONTWAIT: no hand-off to the FFI thread. */
  recvmmsgNow: {
    name: "recvmmsg",
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
  },
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Fixed buffers for one direction: headers, iovecs, addresses and data slots. */
class MsgArea {
  readonly hdr = new ArrayBuffer(SLOTS * MMSG);
  readonly iov = new ArrayBuffer(SLOTS * IOVEC);
  readonly addr = new ArrayBuffer(SLOTS * SOCKADDR);
  readonly data = new ArrayBuffer(SLOTS * SLOT_BYTES);
  readonly hdrView = new DataView(this.hdr);
  readonly iovView = new DataView(this.iov);
  readonly addrView = new DataView(this.addr);
  readonly bytes = new Uint8Array(this.data);

  constructor() {
    const iovBase = ptr(this.iov);
    const addrBase = ptr(this.addr), dataBase = ptr(this.data);
    for (let i = 0; i < SLOTS; i++) {
      const h = i * MMSG;
      this.hdrView.setBigUint64(h, addrBase + BigInt(i * SOCKADDR), true); // msg_name
      this.hdrView.setUint32(h + 8, SOCKADDR, true); // msg_namelen
      this.hdrView.setBigUint64(h + 16, iovBase + BigInt(i * IOVEC), true); // msg_iov
      this.hdrView.setBigUint64(h + 24, 1n, true); // msg_iovlen
      this.iovView.setBigUint64(i * IOVEC, dataBase + BigInt(i * SLOT_BYTES), true);
      this.iovView.setBigUint64(i * IOVEC + 8, BigInt(SLOT_BYTES), true);
    }
  }

  /** Restores the fields the kernel rewrites on receive (name length, flags). */
  resetForReceive(n: number): void {
    for (let i = 0; i < n; i++) {
      this.hdrView.setUint32(i * MMSG + 8, SOCKADDR, true);
      this.hdrView.setUint32(i * MMSG + 48, 0, true);
    }
  }
}

function ptr(buf: ArrayBuffer): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

function int32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
}

/** Dotted quad to uint32 without allocating (runs once per datagram sent). */
function ipToU32(ip: string): number {
  let n = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) { // "."
      n = (n << 8) | octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return ((n << 8) | octet) >>> 0;
}

function u32ToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function sockaddr(view: DataView, off: number, ip: string, port: number): void {
  view.setUint16(off, AF_INET, true);
  view.setUint16(off + 2, port, false);
  view.setUint32(off + 4, ipToU32(ip), false);
  view.setBigUint64(off + 8, 0n, true);
}

/** The batched Linux socket, or undefined when FFI or libc is not available here. */
export function openMmsgSocket(hostname: string, port: number): DatagramTransport | undefined {
  if (Deno.build.os !== "linux") return undefined;
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") return undefined;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    return undefined; // no --allow-ffi, or not glibc
  }
  const c = lib.symbols;
  const fd = c.socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    lib.close();
    throw new Error("socket(AF_INET, SOCK_DGRAM) failed");
  }
  try {
    // No SO_REUSEADDR: with it, a second server (or another DHCP daemon that sets it too)
    // could bind the same UDP port without an error and silently take part of the traffic.
    c.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, int32(1), 4);
    // SO_RCVBUFFORCE passes rmem_max when the process may (CAP_NET_ADMIN); otherwise the
    // kernel caps SO_RCVBUF at net.core.rmem_max.
    if (c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, int32(RCVBUF_BYTES), 4) !== 0) {
      c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(RCVBUF_BYTES), 4);
    }
    c.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, int32(RCVBUF_BYTES), 4);
    const tv = new Uint8Array(16);
    new DataView(tv.buffer).setBigInt64(8, BigInt(WAKE_MS * 1000), true); // tv_usec
    c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
    const sa = new Uint8Array(SOCKADDR);
    sockaddr(new DataView(sa.buffer), 0, hostname, port);
    if (c.bind(fd, sa, SOCKADDR) !== 0) throw bindError(c, hostname, port);
    const len = int32(SOCKADDR);
    c.getsockname(fd, sa, len);
    const bound = new DataView(sa.buffer).getUint16(2, false);
    return new MmsgTransport(lib, c, fd, bound);
  } catch (e) {
    c.close(fd);
    lib.close();
    throw e;
  }
}

/** The Deno error for a failed bind(2), from errno (as Deno.listenDatagram would throw). */
function bindError(c: Libc, hostname: string, port: number): Error {
  const at = c.__errno_location();
  const errno = at === null ? 0 : new Deno.UnsafePointerView(at).getInt32();
  const text = `cannot bind UDP ${hostname}:${port}`;
  switch (errno) {
    case EADDRINUSE:
      return new Deno.errors.AddrInUse(text);
    case EADDRNOTAVAIL:
      return new Deno.errors.AddrNotAvailable(text);
    case EACCES:
      return new Deno.errors.PermissionDenied(text);
    default:
      return new Error(`${text}: errno ${errno}`);
  }
}

class MmsgTransport implements DatagramTransport {
  readonly port: number;
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  readonly #c: Libc;
  readonly #fd: number;
  readonly #rx = new MsgArea();
  readonly #tx = new MsgArea();
  readonly #rxHdr: Uint8Array;
  readonly #txHdr: Uint8Array;
  #closed = false;
  #running = false;

  constructor(lib: Deno.DynamicLibrary<typeof SYMBOLS>, c: Libc, fd: number, port: number) {
    this.#lib = lib;
    this.#c = c;
    this.#fd = fd;
    this.port = port;
    this.#rxHdr = new Uint8Array(this.#rx.hdr);
    this.#txHdr = new Uint8Array(this.#tx.hdr);
  }

  async run(onDatagram: (d: Datagram) => void): Promise<void> {
    this.#running = true;
    const rx = this.#rx;
    try {
      while (!this.#closed) {
        rx.resetForReceive(SLOTS);
        const t0 = performance.now();
        const n = await this.#c.recvmmsg(this.#fd, this.#rxHdr, SLOTS, MSG_WAITFORONE, null);
        if (this.#closed) break;
        if (n <= 0) {
          // The SO_RCVTIMEO wake-up (EAGAIN) or EINTR; an error that returns at once is
          // paced so it cannot spin.
          if (performance.now() - t0 < 5) await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        this.#deliver(n, onDatagram);
        // While datagrams keep coming, the next receives run on the main thread with
        // MSG_DONTWAIT, POLL_MS apart, instead of by a hand-off to the FFI thread and back for
        // each (a futex wake each way, measured as about a quarter of the CPU per DORA at
        // 2,000/s). The first empty poll goes back to the blocking receive, so an idle server
        // sleeps in the kernel. A datagram waits at most POLL_MS longer for its turn.
        if (POLL_MS > 0) await this.#pollWhileBusy(onDatagram);
      }
    } finally {
      this.#running = false;
      this.#release();
    }
  }

  async #pollWhileBusy(onDatagram: (d: Datagram) => void): Promise<void> {
    const rx = this.#rx;
    while (!this.#closed) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      let got = 0;
      // Up to 8 full batches per poll: a burst is taken at once, then the loop breathes.
      for (let k = 0; k < 8 && !this.#closed; k++) {
        rx.resetForReceive(SLOTS);
        const n = this.#c.recvmmsgNow(this.#fd, this.#rxHdr, SLOTS, MSG_DONTWAIT, null);
        if (n <= 0) break;
        this.#deliver(n, onDatagram);
        got += n;
        if (n < SLOTS) break;
      }
      if (got === 0) return;
    }
  }

  /**
   * Hands over the n datagrams in the receive slots. The slots are reused by the next call, so
   * the datagrams are copied out, all into ONE new buffer (one allocation per batch, not per
   * datagram); each handler gets its own view of it, which nothing else writes to.
   */
  #deliver(n: number, onDatagram: (d: Datagram) => void): void {
    const rx = this.#rx;
    let total = 0;
    for (let i = 0; i < n; i++) total += rx.hdrView.getUint32(i * MMSG + 56, true);
    const owned = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const len = rx.hdrView.getUint32(i * MMSG + 56, true);
      const flags = rx.hdrView.getUint32(i * MMSG + 48, true);
      if ((flags & 0x20) !== 0) continue; // MSG_TRUNC: larger than any DHCP packet
      const a = i * SOCKADDR;
      const start = i * SLOT_BYTES;
      owned.set(rx.bytes.subarray(start, start + len), at);
      onDatagram({
        data: owned.subarray(at, at + len),
        fromIp: u32ToIp(rx.addrView.getUint32(a + 4, false)),
        fromPort: rx.addrView.getUint16(a + 2, false),
      });
      at += len;
    }
  }

  send(data: Uint8Array, ip: string, port: number): Promise<void> {
    const failed = this.sendMany([{ data, ip, port }]);
    return failed.length === 0 ? Promise.resolve() : Promise.reject(new Error("sendmmsg failed"));
  }

  /** Sends in groups of SLOTS, one sendmmsg each; returns the indexes that failed. */
  sendMany(list: readonly OutDatagram[]): readonly number[] {
    const failed: number[] = [];
    if (this.#closed) {
      for (let i = 0; i < list.length; i++) failed.push(i);
      return failed;
    }
    const tx = this.#tx;
    const slotOf: number[] = [];
    for (let base = 0; base < list.length; base += SLOTS) {
      const n = Math.min(SLOTS, list.length - base);
      let k = 0;
      slotOf.length = 0;
      for (let i = 0; i < n; i++) {
        const d = list[base + i]!;
        if (d.data.length > SLOT_BYTES) {
          failed.push(base + i);
          continue;
        }
        tx.bytes.set(d.data, k * SLOT_BYTES);
        tx.iovView.setBigUint64(k * IOVEC + 8, BigInt(d.data.length), true);
        sockaddr(tx.addrView, k * SOCKADDR, d.ip, d.port);
        slotOf[k++] = base + i;
      }
      let off = 0;
      while (off < k) {
        const r = this.#c.sendmmsg(
          this.#fd,
          off === 0 ? this.#txHdr : this.#txHdr.subarray(off * MMSG),
          k - off,
          MSG_DONTWAIT,
        );
        if (r > 0) {
          off += r;
          continue;
        }
        // The kernel refused the datagram at `off` (no route, EACCES, a full send buffer):
        // count it failed and send the rest.
        failed.push(slotOf[off]!);
        off++;
      }
    }
    return failed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#running) this.#release();
  }

  #released = false;
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#c.close(this.#fd);
    this.#lib.close();
  }
}
