/**
 * What a box does with its partner's scope document (issue #12 item 2; failover/scope_sync.ts
 * carries it): the primary's scopes are the source of truth. A secondary puts them into its own
 * file's values (config/scope_doc.ts), checks the result like any config, stores the document
 * (so a restart without the primary serves the same scopes) and applies it live; its identity
 * stays its own. A primary only notes what differs. Either way, while the scopes differ, both
 * boxes say which keys (log, /status).
 */
import type { Config } from "../config/config.ts";
import { formatIssues, parseConfigDoc } from "../config/parse_config.ts";
import { scopeDocOf, withScopes } from "../config/scope_doc.ts";
import { scopeDifferences } from "../config/pair_check.ts";
import { reloadPlan } from "../config/reload_plan.ts";
import type { LeaseStore } from "../lease/store.ts";
import type { EventLog } from "../event_log.ts";
import { fingerprintText } from "../failover/fingerprint.ts";

/** Store meta key of the scope document a secondary took from its primary. */
export const SCOPES_KEY = "failover.partner_scopes";

/** This box's scope tables as the JSON text sent to the partner, or undefined (no document). */
export function scopeTextOf(config: Config): string | undefined {
  return config.sourceDoc === undefined ? undefined : JSON.stringify(scopeDocOf(config.sourceDoc));
}

/** The partner's scopes in this box's document, checked; or the problems, in one text. */
export function mergeScopes(
  config: Config,
  text: string,
): { ok: true; config: Config } | { ok: false; problem: string } {
  let scopes: unknown;
  try {
    scopes = JSON.parse(text);
  } catch {
    return { ok: false, problem: "the partner's scope document is not JSON" };
  }
  const r = parseConfigDoc(withScopes(config.sourceDoc ?? {}, scopes));
  return r.ok
    ? { ok: true, config: r.config }
    : { ok: false, problem: formatIssues("the partner's scopes", r.errors) };
}

/**
 * At start, a Tandem secondary that took its primary's scopes before serves those (stored in
 * SCOPES_KEY), not its file's: the primary may be the box that is down.
 */
export function withStoredScopes(config: Config, store: LeaseStore, log: EventLog): Config {
  const fo = config.failover;
  const text = store.meta(SCOPES_KEY);
  if (config.role !== "secondary" || fo?.partner !== "tandem" || text === undefined) return config;
  const merged = mergeScopes(config, text);
  if (!merged.ok) {
    log.warn("failover.stored_scopes_unusable", { problem: merged.problem });
    return config;
  }
  const changed = reloadPlan(config, merged.config).changed;
  if (changed.length > 0) {
    log.info("failover.scopes_from_partner", {
      message: "serving the scopes last taken from the primary, not this file's",
      differs_from_file: changed.join(", "),
    });
  }
  return merged.config;
}

export interface PartnerScopesHost {
  readonly log: EventLog;
  readonly store: LeaseStore;
  nowSec(): number;
  config(): Config;
  /** Puts the merged config in force everywhere (DHCP core, failover, reload's current). */
  apply(next: Config): Promise<void>;
}

export class PartnerScopes {
  readonly #h: PartnerScopesHost;
  #differs: readonly string[] = [];
  /** When this box last took its primary's scopes (this run), for /status. */
  #syncedSec: number | undefined;

  constructor(host: PartnerScopesHost) {
    this.#h = host;
  }

  /** Where the scopes in force come from, for /status (versioned by their fingerprint). */
  source(): { readonly from: "file" | "primary"; readonly synced_sec: number | null } {
    const fromPrimary = this.#syncedSec !== undefined ||
      (this.#h.config().role === "secondary" && this.#h.store.meta(SCOPES_KEY) !== undefined);
    return { from: fromPrimary ? "primary" : "file", synced_sec: this.#syncedSec ?? null };
  }

  /** The scope keys that differed from the partner's at its last document (until they match). */
  get differs(): readonly string[] {
    return this.#differs;
  }

  /** The fingerprints now match: nothing differs. */
  matched(): void {
    this.#differs = [];
  }

  async received(text: string): Promise<void> {
    const mine = this.#h.config();
    const merged = mergeScopes(mine, text);
    if (!merged.ok) {
      this.#differs = ["(the partner's scopes are not valid on this box)"];
      this.#h.log.error("failover.scopes_rejected", { problem: merged.problem });
      return;
    }
    const keys = scopeDifferences(
      JSON.parse(fingerprintText(mine)),
      JSON.parse(fingerprintText(merged.config)),
    );
    if (keys.length === 0) return;
    if (mine.role !== "secondary") {
      this.#differs = keys;
      this.#h.log.warn("failover.scopes_differ", {
        keys: keys.join(", "),
        message: "the secondary takes this box's scopes; until then neither serves new clients",
      });
      return;
    }
    const changed = reloadPlan(mine, merged.config).changed;
    await this.#h.store.commit([{ kind: "meta", key: SCOPES_KEY, value: text }]);
    await this.#h.apply(merged.config);
    this.#differs = [];
    this.#syncedSec = this.#h.nowSec();
    this.#h.log.info("failover.scopes_synced", {
      from: "primary",
      changed: changed.join(", "),
      keys: keys.join(", "),
    });
  }
}
