/**
 * The raw option bag: option code -> value bytes (already RFC 3396-concatenated).
 * CONTRACT: OptionBag type; helpers to read typed values live in option_registry.ts.
 */
export type OptionBag = ReadonlyMap<number, Uint8Array>;
