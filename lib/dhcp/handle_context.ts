/** What handle() gets besides the packet (ARCHITECTURE.md, seams). */
import type { Config } from "../config/config.ts";
import type { LeaseView } from "../lease/store.ts";
import type { ServingScope } from "./scope.ts";

export interface HandleContext {
  readonly config: Config;
  readonly leases: LeaseView;
  readonly nowSec: number;
  readonly scope: ServingScope;
}
