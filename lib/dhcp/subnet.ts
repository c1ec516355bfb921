/**
 * Which configured subnet a request is for. The first source present decides, and if it names
 * no configured subnet the request is dropped (no fallback to a weaker source: RFC 3527 §3 and
 * RFC 3011 §3 forbid offering an address off the named link).
 */
import type { Config, SubnetConfig } from "../config/config.ts";
import { cidrContains, type Ipv4 } from "../wire/ipv4.ts";
import type { DhcpRequest } from "./request.ts";

export type SubnetSource =
  | "link-selection" // RFC 3527 option 82 sub-option 5
  | "subnet-selection" // RFC 3011 option 118
  | "giaddr" // RFC 2131 §4.3.1: the relay's address names the client's link
  | "ciaddr" // a client that already has an address says where it is (RENEW, INFORM)
  | "direct"; // the directly attached segment

export interface SubnetChoice {
  readonly subnet: SubnetConfig;
  readonly source: SubnetSource;
}

/** The configured subnet whose prefix contains ip. */
export function subnetContaining(config: Config, ip: Ipv4): SubnetConfig | undefined {
  return config.subnets.find((s) => cidrContains(s.cidr, ip));
}

/** Whether ciaddr may name the subnet: the client claims an address it already uses. */
function ciaddrSelects(req: DhcpRequest): boolean {
  if (req.type === "INFORM" || req.type === "RELEASE") return true;
  return req.type === "REQUEST" && req.state === "RENEWING-OR-REBINDING";
}

export function selectSubnet(req: DhcpRequest, config: Config): SubnetChoice | undefined {
  const pick = (ip: Ipv4, source: SubnetSource): SubnetChoice | undefined => {
    const subnet = subnetContaining(config, ip);
    return subnet === undefined ? undefined : { subnet, source };
  };
  // RFC 3527 §3: the link-selection sub-option overrides giaddr for choosing the subnet.
  const link = req.relay?.linkSelection;
  if (link !== undefined) return pick(link, "link-selection");
  // RFC 3011 §3: the subnet selection option overrides giaddr and the receiving interface.
  if (req.subnetSelection !== undefined) return pick(req.subnetSelection, "subnet-selection");
  // RFC 2131 §4.3.1: a relayed request is for the relay's (giaddr's) subnet.
  const p = req.packet;
  if (p.giaddr !== 0) return pick(p.giaddr, "giaddr");
  // Not relayed: a RENEWING client unicasts from wherever its address is, so ciaddr is the
  // best witness of its link; otherwise it is on the directly attached segment.
  if (p.ciaddr !== 0 && ciaddrSelects(req)) {
    const byCiaddr = pick(p.ciaddr, "ciaddr");
    if (byCiaddr !== undefined) return byCiaddr;
  }
  const direct = config.subnets.find((s) => s.direct);
  return direct === undefined ? undefined : { subnet: direct, source: "direct" };
}
