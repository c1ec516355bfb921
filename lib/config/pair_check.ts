/**
 * The pair as a whole (issue #12 item 1, `tandem check-config`): two box configs, each valid
 * on its own, that must also fit together: one primary and one secondary, distinct server ids,
 * each box's partner address the other's own, the same relationship, MCLT, mode, split and
 * authentication, the same secret, and the same scopes (draft-12 §5.3: both serve one address
 * space). Each problem names the key and the two values (never a secret). Pure.
 */
import type { Config } from "./config.ts";
import { formatIpv4 } from "../wire/ipv4.ts";

export interface PairProblem {
  readonly key: string;
  readonly problem: string;
}

/** What differs between two canonical scope texts (fingerprint.ts), as key paths. */
export function scopeDifferences(a: unknown, b: unknown, path = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => scopeDifferences(a[k], b[k], path === "" ? k : `${path}.${k}`));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((x, i) => scopeDifferences(x, b[i], `${path}[${i}]`));
  }
  return [path === "" ? "(all)" : path];
}

/** `fingerprintText` of lib/failover/fingerprint.ts, passed in (config does not import it). */
export function checkPair(
  a: Config,
  b: Config,
  scopeText: (c: Config) => string,
): PairProblem[] {
  const out: PairProblem[] = [];
  const fa = a.failover, fb = b.failover;
  if (fa === undefined || fb === undefined) {
    return [{
      key: "role",
      problem: `roles ${a.role} and ${b.role}: a pair is one primary and one secondary`,
    }];
  }
  const differ = (key: string, x: unknown, y: unknown) => {
    if (x !== y) out.push({ key, problem: `${String(x)} on one box, ${String(y)} on the other` });
  };
  if (a.role === b.role) {
    out.push({ key: "role", problem: `both boxes are ${a.role}: set one primary, one secondary` });
  }
  if (a.serverId === b.serverId) {
    out.push({ key: "server_id", problem: `both boxes are ${formatIpv4(a.serverId)}` });
  }
  if (fa.partnerAddress !== fb.myAddress || fb.partnerAddress !== fa.myAddress) {
    out.push({
      key: "failover.partner_address",
      problem: `box 1 is ${fa.myAddress} and expects ${fa.partnerAddress}; box 2 is ` +
        `${fb.myAddress} and expects ${fb.partnerAddress}: each partner_address must be the ` +
        "other box's my_address",
    });
  }
  differ("failover.relationship", fa.relationshipName, fb.relationshipName);
  differ("failover.mclt_sec", fa.mcltSec, fb.mcltSec);
  differ("failover.mode", fa.mode, fb.mode);
  differ("failover.split", fa.split, fb.split);
  differ("failover.partner", fa.partner, fb.partner);
  differ("failover.authentication", fa.authentication, fb.authentication);
  if (fa.authentication === "hmac" && fa.sharedSecret !== fb.sharedSecret) {
    out.push({ key: "failover.shared_secret", problem: "the two secrets differ" });
  }
  const sa = JSON.parse(scopeText(a)), sb = JSON.parse(scopeText(b));
  for (const key of scopeDifferences(sa, sb)) {
    out.push({ key: `scopes: ${key}`, problem: "differs between the boxes" });
  }
  return out;
}
