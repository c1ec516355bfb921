/**
 * `tandem import --dhcpd-conf FILE [--dhcpd-leases FILE] [--out FILE] [--state-dir DIR]
 * [--server-id ADDRESS]`: an ISC dhcpd box's configuration as a Tandem TOML, and its leases
 * in a new Tandem store (lib/config/dhcpd_import.ts). Everything it could not translate is
 * printed with its line; a TOML that does not validate is still written, with its problems.
 */
import { importDhcpdConf, importDhcpdLeases } from "../config/dhcpd_import.ts";
import { formatIssues, parseConfig } from "../config/parse_config.ts";
import { SqliteLeaseStore } from "../platform/sqlite_store.ts";
import { cidrContains, type Ipv4 } from "../wire/ipv4.ts";
import { DB_FILE } from "./boot.ts";

export interface ImportOptions {
  readonly conf: string;
  readonly leases?: string;
  readonly out?: string;
  readonly stateDir?: string;
  readonly serverId?: string;
}

export async function runImport(o: ImportOptions): Promise<number> {
  const stateDir = o.stateDir ?? "/var/lib/tandem";
  const r = importDhcpdConf(await Deno.readTextFile(o.conf), {
    stateDir,
    ...(o.serverId === undefined ? {} : { serverId: o.serverId }),
  });
  if (o.out === undefined) console.log(r.toml);
  else await Deno.writeTextFile(o.out, r.toml);
  for (const s of r.skipped) console.error(`tandem import: not translated: ${s}`);
  const parsed = parseConfig(r.toml, o.out ?? "(output)");
  if (!parsed.ok) {
    console.error(
      `tandem import: the TOML needs editing before use:\n${
        formatIssues(o.out ?? "(output)", parsed.errors)
      }`,
    );
    if (o.leases !== undefined) console.error("tandem import: leases not imported (fix the TOML)");
    return 1;
  }
  if (o.leases === undefined) {
    console.error(`tandem import: ${parsed.config.subnets.length} subnet(s), config valid`);
    return 0;
  }
  const subnets = parsed.config.subnets;
  const subnetOf = (ip: Ipv4) => subnets.find((s) => cidrContains(s.cidr, ip))?.id;
  const got = importDhcpdLeases(await Deno.readTextFile(o.leases), subnetOf);
  for (const s of got.skipped) console.error(`tandem import: not imported: ${s}`);
  await Deno.mkdir(stateDir, { recursive: true });
  const store = SqliteLeaseStore.open(`${stateDir}/${DB_FILE}`);
  try {
    if (store.size() > 0) {
      console.error(
        `tandem import: ${stateDir}/${DB_FILE} already holds ${store.size()} leases; ` +
          "import into an empty state directory",
      );
      return 1;
    }
    store.apply(got.leases.map((lease) => ({ kind: "put" as const, lease })));
  } finally {
    store.close();
  }
  const active = got.leases.filter((l) => l.state === "active").length;
  console.error(
    `tandem import: ${subnets.length} subnet(s); ${got.leases.length} lease records ` +
      `(${active} active) written to ${stateDir}/${DB_FILE}`,
  );
  return 0;
}
