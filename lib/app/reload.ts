/**
 * Reload without restart (SIGHUP, `tandem reload`, POST /reload): read the config again, ask
 * reload_plan.ts what may change live, and apply it, or keep the running config and say why.
 * One reload at a time: a second request while one runs gets the same answer.
 */
import type { Config } from "../config/config.ts";
import { reloadPlan } from "../config/reload_plan.ts";
import type { EventLog } from "../event_log.ts";

export interface ReloadResult {
  readonly ok: boolean;
  readonly message: string;
  readonly changed: readonly string[];
}

export interface ReloadDeps {
  readonly log: EventLog;
  /** Reads and validates the config file again; throws ConfigError. */
  readonly source?: () => Promise<Config>;
  readonly current: () => Config;
  /** Puts an accepted config in place (between two batches of packets). */
  readonly apply: (next: Config) => Promise<void>;
}

export function reloader(d: ReloadDeps): () => Promise<ReloadResult> {
  let running: Promise<ReloadResult> | undefined;
  const refuse = (message: string, changed: readonly string[] = []): ReloadResult => {
    d.log.warn("config.reload_refused", { reason: message, changed: changed.join(", ") });
    return { ok: false, message, changed };
  };
  const once = async (): Promise<ReloadResult> => {
    if (d.source === undefined) return refuse("this server was not started from a file");
    let next: Config;
    try {
      next = await d.source();
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return refuse(`the new config is not valid; the running one stays:\n${why}`);
    }
    const plan = reloadPlan(d.current(), next);
    if (!plan.ok) return refuse(`${plan.reason}; the running config stays`, plan.changed);
    if (plan.changed.length === 0) {
      d.log.info("config.reloaded", { changed: "nothing" });
      return { ok: true, message: "no change", changed: [] };
    }
    await d.apply(next);
    d.log.info("config.reloaded", { changed: plan.changed.join(", ") });
    return { ok: true, message: `applied: ${plan.changed.join(", ")}`, changed: plan.changed };
  };
  return () => running ??= once().finally(() => (running = undefined));
}
