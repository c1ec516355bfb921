/** Why a DHCP packet could not be decoded (RFC 2131 §2 format, RFC 2132 options). */
export type DecodeErrorKind =
  | "too-short" // fewer than 240 bytes (236 fixed + cookie)
  | "bad-magic-cookie"
  | "bad-op"
  | "truncated-option" // an option's length runs past the end of its area
  | "bad-overload" // option 52 malformed or overload value not 1..3
  | "missing-end"; // options area has no End option and isn't exactly filled

export interface DecodeError {
  readonly kind: DecodeErrorKind;
  readonly offset: number;
  readonly message: string;
}
