/** The failover messages as values (draft-12 §7): what the codec (messages.ts) reads and writes. */
import type { ServerState } from "./options.ts";
import type { BindingAck, BindingUpdate } from "./binding_codec.ts";

/** Header fields every message carries (§6.1). timeSec is the SENDER's clock. */
interface Head {
  readonly xid: number;
  readonly timeSec: number;
}

/** Options inside vendor-specific-options (29): 2-byte code + 2-byte length (§12.29). */
export type VendorOptions = ReadonlyMap<number, Uint8Array>;

export type FailoverMessage =
  | Head & { readonly kind: "poolreq" }
  | Head & { readonly kind: "poolresp"; readonly addressesTransferred: number }
  | Head & {
    readonly kind: "bndupd";
    readonly bindings: readonly BindingUpdate[];
    /** Decode only: malformed transactions, to be answered as rejects in the BNDACK. */
    readonly rejected?: readonly BindingAck[];
  }
  | Head & { readonly kind: "bndack"; readonly acks: readonly BindingAck[] }
  | Head & {
    readonly kind: "connect";
    readonly relationshipName: string;
    readonly maxUnackedBndupd: number;
    readonly receiveTimerSec: number;
    readonly vendorClass: string;
    readonly protocolVersion: number;
    readonly mcltSec: number;
    /** Option 11 as on the wire; its meaning depends on the peer (hash.ts, isc-notes §3.4). */
    readonly hba?: Uint8Array;
    readonly delayedServiceSec?: number;
    readonly tlsRequest?: number;
    readonly vendorOptions?: VendorOptions;
  }
  | Head & {
    readonly kind: "connectack";
    readonly relationshipName: string;
    readonly protocolVersion: number;
    /** §7.9: present on accept, absent on reject. */
    readonly maxUnackedBndupd?: number;
    readonly receiveTimerSec?: number;
    readonly vendorClass?: string;
    readonly tlsReply?: number;
    readonly rejectReason?: number;
    readonly message?: string;
    readonly vendorOptions?: VendorOptions;
  }
  | Head & { readonly kind: "tandem"; readonly vendorOptions: VendorOptions }
  | Head & { readonly kind: "updreqall" }
  | Head & { readonly kind: "upddone" }
  | Head & { readonly kind: "updreq" }
  | Head & {
    readonly kind: "state";
    /** In STARTUP the previous state is sent with startup = true (§9.3.1, §12.23). */
    readonly serverState: ServerState;
    readonly startup: boolean;
    readonly startTimeOfStateSec: number;
    readonly vendorOptions?: VendorOptions;
  }
  | Head & { readonly kind: "contact" }
  | Head & {
    readonly kind: "disconnect";
    readonly rejectReason: number;
    readonly message?: string;
  };
