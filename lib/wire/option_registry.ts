/**
 * ONE typed table of the DHCP options Tandem knows (RFC 2132 and the RFCs named per row).
 * Accessors and config encoding are derived from the table.
 *
 * CONTRACT (other modules depend on these exported names):
 *   OPT (name -> code constants used by the core), MSG (message type values, option 53),
 *   encodeOptionValue(name, value) for config, optionByName / optionByCode.
 * SKELETON: the wire helper fills in the full table and encoders.
 */

/** Option codes the server core reads or writes directly. */
export const OPT = {
  pad: 0,
  subnetMask: 1,
  routers: 3,
  domainNameServers: 6,
  hostName: 12,
  domainName: 15,
  broadcastAddress: 28,
  requestedIpAddress: 50,
  ipAddressLeaseTime: 51,
  optionOverload: 52,
  dhcpMessageType: 53,
  serverIdentifier: 54,
  parameterRequestList: 55,
  message: 56,
  maxMessageSize: 57,
  renewalTime: 58,
  rebindingTime: 59,
  vendorClassIdentifier: 60,
  clientIdentifier: 61,
  clientFqdn: 81,
  relayAgentInformation: 82,
  subnetSelection: 118,
  end: 255,
} as const;

/** RFC 2132 §9.6 DHCP message type values. */
export const MSG = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

export type EncodeValueResult =
  | { readonly ok: true; readonly code: number; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly problem: string; readonly fix: string };

/**
 * Encodes a configuration value (from TOML: string, number, boolean, or arrays of them) for the
 * named option ("domain-name-servers", "routers", ... or "option-NNN" with a hex string).
 */
export function encodeOptionValue(_name: string, _value: unknown): EncodeValueResult {
  return { ok: false, problem: "not implemented yet", fix: "" };
}
