/**
 * A scripted in-process DHCP client and server: real DhcpPackets go through handle(), every
 * Decision's ops are applied to a MemoryLeaseStore, and time moves only when the test says.
 * The client follows RFC 2131 §4.4 closely enough to walk every client state.
 */
import type { Config } from "../../lib/config/config.ts";
import { reclaimExpired } from "../../lib/dhcp/reclaim.ts";
import type { LeaseOp } from "../../lib/lease/ops.ts";
import { illegalMove } from "../../lib/lease/transitions.ts";
import type { Decision } from "../../lib/dhcp/decision.ts";
import { handle } from "../../lib/dhcp/handle.ts";
import { advancePoolCursor } from "../../lib/dhcp/handle_context.ts";
import type { HandleContext } from "../../lib/dhcp/handle_context.ts";
import { type ServingScope, STANDALONE_SCOPE } from "../../lib/dhcp/scope.ts";
import { MemoryLeaseStore } from "../../lib/lease/memory_store.ts";
import { BOOTREQUEST, type DhcpPacket, FLAG_BROADCAST } from "../../lib/wire/dhcp_message.ts";
import { type Ipv4, IPV4_ZERO, ipv4FromBytes, ipv4ToBytes } from "../../lib/wire/ipv4.ts";
import { MSG, OPT } from "../../lib/wire/option_registry.ts";
import { hex, ip, makeConfig } from "./test_config.ts";

/** A HandleContext over a fresh (or given) MemoryLeaseStore, for unit tests. */
export function testContext(over: {
  config?: Config;
  store?: MemoryLeaseStore;
  nowSec?: number;
  scope?: ServingScope;
} = {}): HandleContext & { readonly store: MemoryLeaseStore } {
  const store = over.store ?? new MemoryLeaseStore();
  return {
    config: over.config ?? makeConfig(),
    leases: store,
    store,
    nowSec: over.nowSec ?? 1_700_000_000,
    scope: over.scope ?? STANDALONE_SCOPE,
  };
}

export class TestServer {
  readonly store = new MemoryLeaseStore();
  nowSec = 1_700_000_000;
  readonly decisions: Decision[] = [];
  readonly #poolCursor = new Map<number, number>();

  constructor(
    public config: Config = makeConfig(),
    public scope: ServingScope = STANDALONE_SCOPE,
  ) {}

  /** Runs handle() and applies the decision's ops, as the runtime does before sending. */
  handle(p: DhcpPacket): Decision {
    const d = handle(p, {
      config: this.config,
      leases: this.store,
      nowSec: this.nowSec,
      scope: this.scope,
      poolCursor: this.#poolCursor,
    });
    advancePoolCursor(this.#poolCursor, d);
    if (d.kind !== "drop") this.#apply(d.ops);
    this.decisions.push(d);
    return d;
  }

  /** The runtime's periodic sweep (lib/dhcp/reclaim.ts), run now. */
  sweep(): void {
    this.#apply(reclaimExpired(this.store, this.nowSec, 1000));
  }

  /** Applies ops as the write pipeline does: every put must be a legal move (Figure 5.11-1). */
  #apply(ops: readonly LeaseOp[]): void {
    for (const op of ops) {
      if (op.kind !== "put") continue;
      const why = illegalMove(this.store.stateOf(op.lease.ip), op.lease.state, "this-server");
      if (why !== undefined) throw new Error(`decision makes an illegal move: ${why}`);
    }
    this.store.apply(ops);
  }

  advance(sec: number): void {
    this.nowSec += sec;
  }
}

export interface ClientSetup {
  /** Hardware address, "02:00:00:00:00:01" style. */
  readonly mac?: string;
  /** Option 61 value as hex (type byte included), e.g. "ff0102". */
  readonly clientId?: string;
  /** The relay's address: broadcasts reach the server through a relay setting giaddr. */
  readonly giaddr?: string;
  /** Option 82 value the relay adds (raw bytes). */
  readonly relayInfo?: Uint8Array;
  /** Option 118 (RFC 3011) the client sends. */
  readonly subnetSelection?: string;
  /** Client asks for broadcast replies (RFC 2131 §4.1 flags). */
  readonly broadcast?: boolean;
  /** Option 55. */
  readonly prl?: readonly number[];
  readonly hostname?: string;
  readonly leaseTimeSec?: number;
}

export type ClientState = "SELECTING" | "INIT-REBOOT" | "RENEWING" | "REBINDING";

/** Option 82 bytes from sub-options (RFC 3046 §2.0). */
export function relayAgentInfo(subs: Record<number, Uint8Array>): Uint8Array {
  const parts: number[] = [];
  for (const [code, v] of Object.entries(subs)) parts.push(Number(code), v.length, ...v);
  return new Uint8Array(parts);
}

/** The reply of a decision, or a thrown error naming what came instead. */
export function replyOf(d: Decision): Extract<Decision, { kind: "reply" }> {
  if (d.kind !== "reply") throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return d;
}

export function optionIp(p: DhcpPacket, code: number): Ipv4 | undefined {
  const v = p.options.get(code);
  return v === undefined ? undefined : ipv4FromBytes(v);
}

export function optionU32(p: DhcpPacket, code: number): number | undefined {
  const v = p.options.get(code);
  return v === undefined ? undefined : ipv4FromBytes(v) as number;
}

let nextXid = 0x1000;

export class TestClient {
  readonly chaddr: Uint8Array;
  /** The bound address, once ACKed. */
  address: Ipv4 = IPV4_ZERO;
  /** Server id of the last OFFER/ACK (option 54). */
  serverId: Ipv4 | undefined;
  offered: Ipv4 = IPV4_ZERO;
  leaseSec = 0;

  constructor(readonly server: TestServer, readonly setup: ClientSetup = {}) {
    const mac = hex(setup.mac ?? "02:00:00:00:00:01");
    this.chaddr = new Uint8Array(16);
    this.chaddr.set(mac);
  }

  /** A BOOTREQUEST carrying message type `type` and this client's standard options. */
  packet(type: number, over: {
    ciaddr?: Ipv4;
    relayed?: boolean;
    options?: Record<number, Uint8Array>;
  } = {}): DhcpPacket {
    const s = this.setup;
    const relayed = over.relayed ?? true;
    const opts = new Map<number, Uint8Array>([[OPT.dhcpMessageType, new Uint8Array([type])]]);
    if (s.clientId !== undefined) opts.set(OPT.clientIdentifier, hex(s.clientId));
    if (s.hostname !== undefined) opts.set(OPT.hostName, new TextEncoder().encode(s.hostname));
    if (s.prl !== undefined) opts.set(OPT.parameterRequestList, new Uint8Array(s.prl));
    if (s.subnetSelection !== undefined) {
      opts.set(OPT.subnetSelection, ipv4ToBytes(ip(s.subnetSelection)));
    }
    for (const [code, v] of Object.entries(over.options ?? {})) opts.set(Number(code), v);
    // A relay agent adds option 82 last (RFC 3046 §2.1) and sets giaddr (RFC 2131 §4.1).
    const viaRelay = relayed && s.giaddr !== undefined;
    if (viaRelay && s.relayInfo !== undefined) opts.set(OPT.relayAgentInformation, s.relayInfo);
    return {
      op: BOOTREQUEST,
      htype: 1,
      hlen: 6,
      hops: viaRelay ? 1 : 0,
      xid: nextXid++,
      secs: 0,
      flags: s.broadcast === true ? FLAG_BROADCAST : 0,
      ciaddr: over.ciaddr ?? IPV4_ZERO,
      yiaddr: IPV4_ZERO,
      siaddr: IPV4_ZERO,
      giaddr: viaRelay ? ip(s.giaddr as string) : IPV4_ZERO,
      chaddr: this.chaddr,
      sname: new Uint8Array(64),
      file: new Uint8Array(128),
      options: opts,
    };
  }

  #leaseOption(): Record<number, Uint8Array> {
    const t = this.setup.leaseTimeSec;
    return t === undefined ? {} : { [OPT.ipAddressLeaseTime]: ipv4ToBytes(t as Ipv4) };
  }

  #learn(d: Decision): void {
    if (d.kind !== "reply") return;
    const type = d.reply.options.get(OPT.dhcpMessageType)?.[0];
    if (type === MSG.OFFER) {
      this.offered = d.reply.yiaddr;
      this.serverId = optionIp(d.reply, OPT.serverIdentifier);
    } else if (type === MSG.ACK && d.reply.yiaddr !== 0) {
      this.address = d.reply.yiaddr;
      this.serverId = optionIp(d.reply, OPT.serverIdentifier);
      this.leaseSec = optionU32(d.reply, OPT.ipAddressLeaseTime) ?? 0;
    } else if (type === MSG.NAK) {
      this.address = IPV4_ZERO; // RFC 2131 §4.4.1: restart in INIT
    }
  }

  #send(p: DhcpPacket): Decision {
    const d = this.server.handle(p);
    this.#learn(d);
    return d;
  }

  /** DHCPDISCOVER (INIT), optionally with option 50. */
  discover(requested?: string): Decision {
    const o = this.#leaseOption();
    if (requested !== undefined) o[OPT.requestedIpAddress] = ipv4ToBytes(ip(requested));
    return this.#send(this.packet(MSG.DISCOVER, { options: o }));
  }

  /**
   * DHCPREQUEST in a client state (RFC 2131 §4.3.2 table): SELECTING names the server and the
   * offered address; INIT-REBOOT only the address; RENEWING (unicast, not relayed) and
   * REBINDING (broadcast, relayed when behind a relay) fill ciaddr.
   */
  doRequest(state: ClientState, address?: Ipv4, serverId?: Ipv4): Decision {
    const o = this.#leaseOption();
    switch (state) {
      case "SELECTING":
        o[OPT.requestedIpAddress] = ipv4ToBytes(address ?? this.offered);
        o[OPT.serverIdentifier] = ipv4ToBytes(serverId ?? this.serverId ?? IPV4_ZERO);
        return this.#send(this.packet(MSG.REQUEST, { options: o }));
      case "INIT-REBOOT":
        o[OPT.requestedIpAddress] = ipv4ToBytes(address ?? this.address);
        return this.#send(this.packet(MSG.REQUEST, { options: o }));
      case "RENEWING":
        return this.#send(
          this.packet(MSG.REQUEST, { ciaddr: address ?? this.address, relayed: false, options: o }),
        );
      case "REBINDING":
        return this.#send(
          this.packet(MSG.REQUEST, { ciaddr: address ?? this.address, options: o }),
        );
    }
  }

  /** DISCOVER, then REQUEST the offer; throws unless both are answered with OFFER and ACK. */
  doDora(requested?: string): { offer: Decision; ack: Decision } {
    const offer = this.discover(requested);
    replyOf(offer);
    const ack = this.doRequest("SELECTING");
    if (replyOf(ack).replyType !== "ACK") throw new Error(`expected ACK: ${JSON.stringify(ack)}`);
    return { offer, ack };
  }

  renew(): Decision {
    return this.doRequest("RENEWING");
  }

  rebind(): Decision {
    return this.doRequest("REBINDING");
  }

  /** RFC 2131 §4.4.6: unicast to the server, ciaddr set, server id. */
  release(): Decision {
    const o = { [OPT.serverIdentifier]: ipv4ToBytes(this.serverId ?? IPV4_ZERO) };
    const d = this.#send(
      this.packet(MSG.RELEASE, { ciaddr: this.address, relayed: false, options: o }),
    );
    this.address = IPV4_ZERO;
    return d;
  }

  /** RFC 2131 §4.4.1: broadcast, option 50 = the address found in use, server id. */
  decline(address?: Ipv4): Decision {
    const o = {
      [OPT.requestedIpAddress]: ipv4ToBytes(address ?? this.address),
      [OPT.serverIdentifier]: ipv4ToBytes(this.serverId ?? IPV4_ZERO),
    };
    const d = this.#send(this.packet(MSG.DECLINE, { options: o }));
    this.address = IPV4_ZERO;
    return d;
  }

  /** RFC 2131 §4.4.3: a client with an address asks for configuration only. */
  inform(ciaddr?: Ipv4): Decision {
    return this.#send(this.packet(MSG.INFORM, { ciaddr: ciaddr ?? this.address }));
  }
}
