/**
 * Text that clients (option 12 host name, option 60 vendor class) and partners (the same
 * options inside a BNDUPD, draft-12 §12.8) send, checked before it reaches the store, the logs,
 * /status or the CLI. What fails the check is dropped (stored as ""), never escaped: a lease
 * is still made or accepted, only the text is not kept.
 */

const MAX_TEXT = 255; // a DHCP option's value is at most 255 octets (RFC 2132 §2)

/**
 * RFC 2132 §3.14 host name (see RFC 1035 for character set restrictions), as RFC 1123 §2.1
 * relaxes it: labels of letters, digits and hyphens, 1-63 octets, not starting or ending
 * with a hyphen, separated by dots, an optional trailing dot, 255 octets in all.
 */
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

export function validHostName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_TEXT && HOST_NAME.test(name);
}

/** The host name if it is one, else "". */
export function hostNameOrEmpty(name: string): string {
  return validHostName(name) ? name : "";
}

/** Option 60 is opaque octets (RFC 2132 §9.13); Tandem keeps it only as printable ASCII. */
export function printableOrEmpty(text: string): string {
  if (text.length > MAX_TEXT) return "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return "";
  }
  return text;
}
