/**
 * One file for both boxes of a pair (issue #12 item 1): the shared settings once, and per box
 * only what differs, in two [[box]] tables:
 *
 *   [[box]]
 *   name = "dhcp-a"              # matched against the hostname (or set `hostname`)
 *   role = "primary"
 *   server_id = "10.30.0.2"
 *   failover_address = "10.40.0.2"
 *   http_listen = "10.30.0.2:8067"   # optional: [http] listen for this box
 *   state_dir = "/var/lib/tandem"    # optional: [store] state_dir for this box
 *
 * Each box finds itself by --box NAME, else by its hostname, else by a local address equal to a
 * box's server_id or failover_address. The chosen box becomes an ordinary per-box document
 * (role, server_id, [failover] my_address/partner_address, [http] listen), which the usual
 * checks then read; `aliases` maps those keys back to the [[box]] lines they came from, so an
 * error points at what the operator wrote. Separate per-box files keep working unchanged.
 * Pure: the hostname and the local addresses are given.
 */
import type { ConfigIssue } from "./issues.ts";

/** How a box finds itself in a [[box]] file. */
export interface BoxChoice {
  /** --box NAME: wins over everything else. */
  readonly box?: string;
  readonly hostname?: string;
  /** The host's own addresses (every interface). */
  readonly addresses?: readonly string[];
}

export type BoxSelection =
  | { readonly kind: "single" }
  | {
    readonly kind: "pair";
    readonly name: string;
    readonly doc: Record<string, unknown>;
    /** Key path in the per-box document -> key path in the file. */
    readonly aliases: ReadonlyMap<string, string>;
  }
  | { readonly kind: "error"; readonly issues: readonly Omit<ConfigIssue, "line">[] };

interface Box {
  readonly index: number;
  readonly name: string;
  readonly role: "primary" | "secondary";
  readonly serverId: string;
  readonly failoverAddress: string;
  readonly hostname: string;
  readonly httpListen: string | undefined;
  readonly stateDir: string | undefined;
}

const BOX_KEYS = [
  "name",
  "role",
  "server_id",
  "failover_address",
  "hostname",
  "http_listen",
  "state_dir",
];
/** Keys each box sets, so the shared part must not. */
const PER_BOX_TOP = ["role", "server_id"];
const PER_BOX_FAILOVER = ["my_address", "partner_address"];

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The names of the boxes of a [[box]] file (check-config checks each); [] for a per-box file. */
export function boxNames(doc: unknown): string[] {
  if (!isTable(doc) || !Array.isArray(doc.box)) return [];
  return doc.box.map((b, i) => isTable(b) && typeof b.name === "string" ? b.name : `box ${i + 1}`);
}

/** Reads the [[box]] tables of `doc` and returns the document of the box `who` is. */
export function selectBox(doc: unknown, who: BoxChoice): BoxSelection {
  if (!isTable(doc) || doc.box === undefined) return { kind: "single" };
  const issues: Omit<ConfigIssue, "line">[] = [];
  const boxes = readBoxes(doc.box, issues);
  for (const key of PER_BOX_TOP) {
    if (doc[key] !== undefined) {
      issues.push({
        path: key,
        problem: `${key} is set per box in a file with [[box]] tables`,
        fix: `delete it here and set it in each [[box]]`,
      });
    }
  }
  const fo = doc.failover;
  if (!isTable(fo)) {
    issues.push({
      path: "box",
      problem: "a file with [[box]] tables describes a failover pair, and has no [failover] table",
      fix: "add [failover] with the settings both boxes share (relationship, mode, mclt_sec, " +
        "shared_secret, ...)",
    });
  } else {
    for (const key of PER_BOX_FAILOVER) {
      if (fo[key] !== undefined) {
        issues.push({
          path: `failover.${key}`,
          problem: `failover.${key} comes from each [[box]]'s failover_address in a pair file`,
          fix: "delete it and set failover_address in each [[box]]",
        });
      }
    }
  }
  if (issues.length > 0 || boxes === undefined) return { kind: "error", issues };
  const me = whoAmI(boxes, who);
  if (!me.ok) return { kind: "error", issues: [me.issue] };
  const self = me.box;
  const partner = boxes.find((b) => b !== self)!;
  const at = (key: string) => `box[${self.index}].${key}`;
  const aliases = new Map<string, string>([
    ["role", at("role")],
    ["server_id", at("server_id")],
    ["failover.my_address", at("failover_address")],
    ["failover.partner_address", `box[${partner.index}].failover_address`],
  ]);
  const { box: _boxes, ...shared } = doc;
  const http = isTable(doc.http) ? doc.http : {};
  if (self.httpListen !== undefined) aliases.set("http.listen", at("http_listen"));
  if (self.stateDir !== undefined) aliases.set("store.state_dir", at("state_dir"));
  const store = isTable(doc.store) ? doc.store : {};
  return {
    kind: "pair",
    name: self.name,
    aliases,
    doc: {
      ...shared,
      role: self.role,
      server_id: self.serverId,
      failover: {
        ...(fo as Record<string, unknown>),
        my_address: self.failoverAddress,
        partner_address: partner.failoverAddress,
      },
      ...(self.httpListen === undefined ? {} : { http: { ...http, listen: self.httpListen } }),
      ...(self.stateDir === undefined ? {} : { store: { ...store, state_dir: self.stateDir } }),
    },
  };
}

/** The two boxes, checked as a pair (roles, distinct names, ids and addresses). */
function readBoxes(raw: unknown, issues: Omit<ConfigIssue, "line">[]): Box[] | undefined {
  if (!Array.isArray(raw) || raw.length !== 2) {
    issues.push({
      path: "box",
      problem: `a pair file needs exactly two [[box]] tables, found ${
        Array.isArray(raw) ? raw.length : "box = a value"
      }`,
      fix: "write one [[box]] for the primary and one for the secondary",
    });
    return undefined;
  }
  const boxes: Box[] = [];
  raw.forEach((b, index) => {
    const at = (key: string) => `box[${index}]${key === "" ? "" : `.${key}`}`;
    if (!isTable(b)) {
      issues.push({ path: at(""), problem: "is not a table", fix: "write it as [[box]]" });
      return;
    }
    for (const key of Object.keys(b)) {
      if (!BOX_KEYS.includes(key)) {
        issues.push({
          path: at(key),
          problem: `unknown key in [[box]]`,
          fix: `a [[box]] takes ${BOX_KEYS.join(", ")}; everything else is shared and goes ` +
            "in its own table once",
        });
      }
    }
    const text = (key: string, required: boolean): string | undefined => {
      const v = b[key];
      if (v === undefined && !required) return undefined;
      if (typeof v === "string" && v.trim() !== "") return v.trim();
      issues.push({
        path: at(key),
        problem: v === undefined ? "missing" : "must be a non-empty string",
        fix: `set ${key} = "..." in this [[box]]`,
      });
      return undefined;
    };
    const name = text("name", true);
    const role = text("role", true);
    const serverId = text("server_id", true);
    const failoverAddress = text("failover_address", true);
    const hostname = text("hostname", false);
    const httpListen = text("http_listen", false);
    const stateDir = text("state_dir", false);
    if (role !== undefined && role !== "primary" && role !== "secondary") {
      issues.push({
        path: at("role"),
        problem: `"${role}" is not a pair role`,
        fix: 'role = "primary" in one [[box]] and role = "secondary" in the other',
      });
      return;
    }
    if (!name || !role || !serverId || !failoverAddress) return;
    boxes.push({
      index,
      name,
      role,
      serverId,
      failoverAddress,
      hostname: hostname ?? name,
      httpListen,
      stateDir,
    });
  });
  if (boxes.length !== 2) return undefined;
  const [a, b] = boxes as [Box, Box];
  const same = (key: string, what: string, x: string, y: string) => {
    if (x !== y) return;
    issues.push({
      path: `box[${b.index}].${key}`,
      problem: `both boxes have ${what} ${x}`,
      fix: `give each box its own ${what}`,
    });
  };
  if (a.role === b.role) {
    issues.push({
      path: `box[${b.index}].role`,
      problem: `both boxes are ${a.role}`,
      fix: 'role = "primary" in one [[box]] and role = "secondary" in the other',
    });
  }
  same("name", "name", a.name, b.name);
  same("server_id", "server_id", a.serverId, b.serverId);
  same("failover_address", "failover_address", a.failoverAddress, b.failoverAddress);
  return issues.length > 0 ? undefined : boxes;
}

function whoAmI(
  boxes: readonly Box[],
  who: BoxChoice,
): { ok: true; box: Box } | { ok: false; issue: Omit<ConfigIssue, "line"> } {
  const names = boxes.map((b) => b.name).join(", ");
  if (who.box !== undefined) {
    const box = boxes.find((b) => b.name === who.box);
    if (box !== undefined) return { ok: true, box };
    return {
      ok: false,
      issue: {
        path: "box",
        problem: `--box ${who.box}: no [[box]] has that name (the boxes are ${names})`,
        fix: "give --box one of those names",
      },
    };
  }
  const host = (who.hostname ?? "").toLowerCase();
  const short = host.split(".")[0] ?? "";
  const byName = boxes.filter((b) => {
    const h = b.hostname.toLowerCase();
    return host !== "" && (h === host || h === short);
  });
  if (byName.length === 1) return { ok: true, box: byName[0]! };
  const mine = new Set(who.addresses ?? []);
  const byAddress = boxes.filter((b) => mine.has(b.serverId) || mine.has(b.failoverAddress));
  if (byAddress.length === 1) return { ok: true, box: byAddress[0]! };
  return {
    ok: false,
    issue: {
      path: "box",
      problem: byAddress.length > 1
        ? `this host has the addresses of both boxes (${names})`
        : `this host (hostname "${who.hostname ?? "?"}") is none of the boxes (${names}): no ` +
          "box is named after it and none has a server_id or failover_address of this host",
      fix: 'start it with --box NAME, or set hostname = "..." in its [[box]]',
    },
  };
}
