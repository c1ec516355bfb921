/** Tandem's version, printed by `tandem version` and on /status. */
export const VERSION = "0.1.0";
