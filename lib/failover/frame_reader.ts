/**
 * Streaming framer for the failover TCP connection (draft-12 §6.1 length-prefixed messages).
 */
import {
  type CodecOptions,
  decodeFailover,
  type FailoverDecodeError,
  type FailoverMessage,
} from "./messages.ts";

export type FrameItem =
  | { readonly ok: true; readonly msg: FailoverMessage }
  | { readonly ok: false; readonly error: FailoverDecodeError };

/**
 * Streaming framer for the TCP connection: feed arbitrary chunks, get whole messages. After a
 * fatal error the reader stops (the connection must be closed, §6.1/§11.1); "ignored-type"
 * items are reported and reading continues. Buffers at most one partial message (< 2048 B).
 */
export class FrameReader {
  #buf = new Uint8Array(0);
  #failed: FailoverDecodeError | undefined;
  readonly #opts: CodecOptions;

  constructor(opts: CodecOptions = {}) {
    this.#opts = opts;
  }

  /** The fatal error that stopped this reader, if any. */
  get failed(): FailoverDecodeError | undefined {
    return this.#failed;
  }

  push(chunk: Uint8Array): FrameItem[] {
    if (this.#failed !== undefined) return [];
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf);
    joined.set(chunk, this.#buf.length);
    const out: FrameItem[] = [];
    let at = 0;
    while (joined.length - at >= 2) {
      const r = decodeFailover(joined.subarray(at), this.#opts);
      if (r.ok) {
        out.push({ ok: true, msg: r.msg });
        at += r.consumed;
        continue;
      }
      if (r.error.kind === "truncated") break;
      out.push({ ok: false, error: r.error });
      if (r.error.fatal) {
        this.#failed = r.error;
        this.#buf = new Uint8Array(0);
        return out;
      }
      at += r.consumed ?? joined.length - at;
    }
    this.#buf = joined.slice(at);
    return out;
  }
}
