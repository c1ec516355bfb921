/**
 * Message bodies: typed fields <-> draft-12 options per message type (§7 tables). Used by
 * messages.ts, which owns the header, the digest and the public API.
 */
import {
  parseBindingAcks,
  parseBindingUpdates,
  writeBindingAck,
  writeBindingUpdate,
} from "./binding_codec.ts";
import type { FailoverMessage, VendorOptions } from "./message_types.ts";
import {
  ByteWriter,
  FO,
  type MessageKind,
  REJECT,
  SERVER_STATE_CODE,
  serverStateFromCode,
  splitOptions,
} from "./options.ts";

type Head = { readonly xid: number; readonly timeSec: number };
type Opt = { readonly code: number; readonly data: Uint8Array };
const text = (d: Uint8Array) => new TextDecoder().decode(d);
const u = (d: Uint8Array) => d.reduce((v, b) => v * 256 + b, 0);

/** Message-level options as a map; "kind:message" string on error. */
function optionMap(opts: readonly Opt[]): Map<number, Uint8Array> | string {
  const m = new Map<number, Uint8Array>();
  for (const o of opts) {
    if (m.has(o.code)) return `duplicate-option:option ${o.code} appears twice (§6.2)`;
    m.set(o.code, o.data);
  }
  return m;
}

/** Fixed-size option sizes for the message-level options this codec reads. */
const SIZE: Partial<Record<number, readonly number[]>> = {
  [FO.addressesTransferred]: [4],
  [FO.delayedServiceParameter]: [1],
  [FO.hashBucketAssignment]: [32],
  [FO.maxUnackedBndupd]: [4],
  [FO.mclt]: [4],
  [FO.receiveTimer]: [4],
  [FO.protocolVersion]: [1],
  [FO.rejectReason]: [1],
  [FO.serverFlags]: [1],
  [FO.serverState]: [1],
  [FO.startTimeOfState]: [4],
  [FO.tlsReply]: [1],
  [FO.tlsRequest]: [1],
};

function parseVendorOptions(d: Uint8Array): VendorOptions | undefined {
  const inner = splitOptions(d, 0);
  if (inner === undefined) return undefined;
  return new Map(inner.map((o) => [o.code, o.data.slice()]));
}

export function buildMessage(
  kind: MessageKind,
  head: Head,
  opts: readonly Opt[],
): FailoverMessage | string {
  if (kind === "bndupd" || kind === "bndack") {
    // §6.3: message-level options first, then groups each headed by assigned-IP-address.
    if (kind === "bndack") {
      const acks = parseBindingAcks(opts);
      return typeof acks === "string" ? acks : { ...head, kind, acks };
    }
    const r = parseBindingUpdates(opts);
    if (typeof r === "string") return r;
    return r.rejected.length === 0
      ? { ...head, kind, bindings: r.bindings }
      : { ...head, kind, bindings: r.bindings, rejected: r.rejected };
  }
  const m = optionMap(opts);
  if (typeof m === "string") return m;
  for (const [code, data] of m) {
    const sizes = SIZE[code];
    if (sizes !== undefined && !sizes.includes(data.length)) {
      return `bad-option:option ${code} has length ${data.length}`;
    }
  }
  const need = (code: number, name: string): Uint8Array | string =>
    m.get(code) ?? `missing-option:${kind} without ${name} (§7)`;
  const vendor = m.get(FO.vendorSpecificOptions);
  const vendorOptions = vendor === undefined ? undefined : parseVendorOptions(vendor);
  if (vendor !== undefined && vendorOptions === undefined) {
    return "bad-option:vendor-specific-options malformed";
  }
  const vo = vendorOptions === undefined ? {} : { vendorOptions };
  const opt = <T>(code: number, f: (d: Uint8Array) => T, key: string): Record<string, T> => {
    const d = m.get(code);
    return d === undefined ? {} : { [key]: f(d) };
  };
  switch (kind) {
    case "poolreq":
    case "updreqall":
    case "upddone":
    case "updreq":
    case "contact":
      return { ...head, kind };
    case "tandem":
      return { ...head, kind, vendorOptions: vendorOptions ?? new Map() };
    case "poolresp": {
      const n = need(FO.addressesTransferred, "addresses-transferred");
      return typeof n === "string" ? n : { ...head, kind, addressesTransferred: u(n) };
    }
    case "connect": {
      const fields = [
        need(FO.relationshipName, "relationship-name"),
        need(FO.maxUnackedBndupd, "max-unacked-bndupd"),
        need(FO.receiveTimer, "receive-timer"),
        need(FO.protocolVersion, "protocol-version"),
        need(FO.mclt, "MCLT"),
      ];
      const missing = fields.find((f) => typeof f === "string");
      if (typeof missing === "string") return missing;
      const [rel, mu, rt, pv, mclt] = fields as Uint8Array[];
      return {
        ...head,
        kind,
        relationshipName: text(rel!),
        maxUnackedBndupd: u(mu!),
        receiveTimerSec: u(rt!),
        vendorClass: text(m.get(FO.vendorClassIdentifier) ?? new Uint8Array()),
        protocolVersion: u(pv!),
        mcltSec: u(mclt!),
        ...opt(FO.hashBucketAssignment, (d) => d.slice(), "hba"),
        ...opt(FO.delayedServiceParameter, u, "delayedServiceSec"),
        ...opt(FO.tlsRequest, u, "tlsRequest"),
        ...vo,
      };
    }
    case "connectack": {
      const pv = m.get(FO.protocolVersion);
      return {
        ...head,
        kind,
        relationshipName: text(m.get(FO.relationshipName) ?? new Uint8Array()),
        protocolVersion: pv === undefined ? 0 : u(pv),
        ...opt(FO.maxUnackedBndupd, u, "maxUnackedBndupd"),
        ...opt(FO.receiveTimer, u, "receiveTimerSec"),
        ...opt(FO.vendorClassIdentifier, text, "vendorClass"),
        ...opt(FO.tlsReply, u, "tlsReply"),
        ...opt(FO.rejectReason, u, "rejectReason"),
        ...opt(FO.message, text, "message"),
        ...vo,
      };
    }
    case "state": {
      const s = need(FO.serverState, "server-state");
      if (typeof s === "string") return s;
      const serverState = serverStateFromCode(s[0]!);
      if (serverState === undefined) return `bad-option:server-state ${s[0]} unknown (§12.24)`;
      return {
        ...head,
        kind,
        serverState,
        startup: ((m.get(FO.serverFlags)?.[0] ?? 0) & 1) === 1,
        startTimeOfStateSec: u(m.get(FO.startTimeOfState) ?? new Uint8Array()),
        ...vo,
      };
    }
    case "disconnect": {
      const r = m.get(FO.rejectReason);
      return {
        ...head,
        kind,
        rejectReason: r === undefined ? REJECT.unknownError : u(r),
        ...opt(FO.message, text, "message"),
      };
    }
  }
}

function writeVendor(w: ByteWriter, vo: VendorOptions | undefined): void {
  if (vo === undefined || vo.size === 0) return;
  const inner = new ByteWriter();
  for (const [code, data] of vo) inner.option(code, data);
  w.option(FO.vendorSpecificOptions, inner.finish());
}

export function writeBody(w: ByteWriter, msg: FailoverMessage): void {
  switch (msg.kind) {
    case "poolreq":
    case "updreqall":
    case "upddone":
    case "updreq":
    case "contact":
      return;
    case "tandem":
      writeVendor(w, msg.vendorOptions);
      return;
    case "poolresp":
      w.optU32(FO.addressesTransferred, msg.addressesTransferred);
      return;
    case "bndupd":
      for (const b of msg.bindings) writeBindingUpdate(w, b);
      return;
    case "bndack":
      for (const a of msg.acks) writeBindingAck(w, a);
      return;
    case "connect":
      // Table 7.8-1, in ISC's order (isc-notes §3.6).
      w.optText(FO.relationshipName, msg.relationshipName)
        .optU32(FO.maxUnackedBndupd, msg.maxUnackedBndupd)
        .optU32(FO.receiveTimer, msg.receiveTimerSec)
        .optText(FO.vendorClassIdentifier, msg.vendorClass)
        .optU8(FO.protocolVersion, msg.protocolVersion);
      // §7.8.1: TLS-request on every CONNECT, except one sent inside an established TLS link.
      if (msg.tlsRequest !== undefined) w.optU8(FO.tlsRequest, msg.tlsRequest);
      w.optU32(FO.mclt, msg.mcltSec);
      if (msg.hba !== undefined) w.option(FO.hashBucketAssignment, msg.hba);
      if (msg.delayedServiceSec !== undefined) {
        w.optU8(FO.delayedServiceParameter, msg.delayedServiceSec);
      }
      writeVendor(w, msg.vendorOptions);
      return;
    case "connectack":
      // Table 7.9-1: a reject carries only name, version, reason and message.
      w.optText(FO.relationshipName, msg.relationshipName);
      if (msg.rejectReason === undefined) {
        w.optU32(FO.maxUnackedBndupd, msg.maxUnackedBndupd ?? 1)
          .optU32(FO.receiveTimer, msg.receiveTimerSec ?? 60)
          .optText(FO.vendorClassIdentifier, msg.vendorClass ?? "");
      }
      w.optU8(FO.protocolVersion, msg.protocolVersion);
      if (msg.tlsReply !== undefined) w.optU8(FO.tlsReply, msg.tlsReply);
      if (msg.rejectReason !== undefined) w.optU8(FO.rejectReason, msg.rejectReason);
      if (msg.message !== undefined) w.optText(FO.message, msg.message);
      if (msg.rejectReason === undefined) writeVendor(w, msg.vendorOptions);
      return;
    case "state":
      // Table 7.10-1; STARTUP itself is never sent (§12.24 note 1).
      w.optU8(FO.serverState, SERVER_STATE_CODE[msg.serverState])
        .optU8(FO.serverFlags, msg.startup ? 1 : 0)
        .optU32(FO.startTimeOfState, msg.startTimeOfStateSec);
      writeVendor(w, msg.vendorOptions);
      return;
    case "disconnect":
      w.optU8(FO.rejectReason, msg.rejectReason);
      if (msg.message !== undefined) w.optText(FO.message, msg.message);
      return;
  }
}
