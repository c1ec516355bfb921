/**
 * Mutual TLS on the failover connection (draft-12 §11.2, TLS-request/TLS-reply §12.26-27): the
 * PEM material named by [failover.tls], loaded once at boot, and the upgrade of a connected
 * node:net socket once CONNECT/CONNECTACK have agreed on TLS. The box that accepted the TCP
 * connection (the secondary) is the TLS server, the dialler the TLS client.
 *
 * Both ends check the partner's certificate themselves against the configured CA (signature by
 * the CA, validity period), whatever the TLS library reports: Deno's node:tls server accepts a
 * client certificate without a verdict of its own (`authorized` stays false). The dialler also
 * has the TLS library verify the chain. The shared-secret HMAC stays on inside TLS by default.
 */
import tls from "node:tls";
import type net from "node:net";
import { X509Certificate } from "node:crypto";

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** The trusted CA certificates (a bundle may hold several, e.g. during a CA change). */
  readonly ca: readonly string[];
}

/** The PEM certificates in a bundle, in order. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Whether cert is signed by one of the CAs. */
function signedByOne(cert: X509Certificate, cas: readonly string[]): boolean {
  return cas.some((pem) => cert.verify(new X509Certificate(pem).publicKey));
}

export class TlsConfigError extends Error {}

/** Reads [failover.tls]'s files; a missing or unreadable one names its key. */
export async function loadTlsMaterial(
  files: { readonly certFile: string; readonly keyFile: string; readonly caFile: string },
): Promise<TlsMaterial> {
  const read = async (path: string, key: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (e) {
      throw new TlsConfigError(
        `failover.tls.${key}: cannot read ${path} (${e instanceof Error ? e.message : e}); ` +
          "make the pair's files with `tandem certs` or point the key at your own PEM file",
      );
    }
  };
  const m = {
    cert: await read(files.certFile, "cert"),
    key: await read(files.keyFile, "key"),
    ca: splitPem(await read(files.caFile, "ca")),
  };
  if (m.ca.length === 0) {
    throw new TlsConfigError(
      `failover.tls.ca: ${files.caFile} holds no PEM certificate; point it at the pair's CA ` +
        "certificate (ca.crt from `tandem certs`)",
    );
  }
  try {
    if (!signedByOne(new X509Certificate(m.cert), m.ca)) {
      throw new TlsConfigError(
        `failover.tls.cert: ${files.certFile} is not signed by the CA in ${files.caFile}; ` +
          "give both boxes certificates from the same CA",
      );
    }
  } catch (e) {
    if (e instanceof TlsConfigError) throw e;
    throw new TlsConfigError(
      `failover.tls: ${files.certFile} or ${files.caFile} is not a PEM certificate (${e})`,
    );
  }
  return m;
}

/** Why the partner's certificate (DER) is not acceptable, or undefined when it is. */
export function certificateProblem(
  der: Uint8Array | undefined,
  caPems: readonly string[],
  nowMs: number,
): string | undefined {
  if (der === undefined || der.length === 0) return "the partner presented no certificate";
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return "the partner's certificate is unreadable";
  }
  if (!signedByOne(cert, caPems)) {
    return `the partner's certificate (${cert.subject.replace(/\n/g, ", ")}) is not signed by ` +
      "this pair's CA";
  }
  if (nowMs < Date.parse(cert.validFrom) || nowMs > Date.parse(cert.validTo)) {
    return `the partner's certificate is valid only from ${cert.validFrom} to ${cert.validTo}`;
  }
  return undefined;
}

/**
 * Runs the TLS handshake over sock (which must have no listeners left) and checks the
 * partner's certificate. Resolves with the TLS socket; rejects with the reason.
 */
export function upgradeToTls(
  sock: net.Socket,
  side: "client" | "server",
  m: TlsMaterial,
  timeoutMs: number,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = side === "server"
      ? new tls.TLSSocket(sock, {
        isServer: true,
        secureContext: tls.createSecureContext({ cert: m.cert, key: m.key, ca: [...m.ca] }),
        requestCert: true,
        rejectUnauthorized: true,
      })
      : tls.connect({
        socket: sock,
        cert: m.cert,
        key: m.key,
        ca: [...m.ca],
        rejectUnauthorized: true,
        // The partner is named by its address in the config, not by a DNS name: the CA
        // (this pair's own) is what identifies it.
        checkServerIdentity: () => undefined,
      });
    let done = false;
    const fail = (why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      t.destroy();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail("TLS handshake timed out"), timeoutMs);
    t.once("error", (e: Error) => fail(`TLS: ${e.message}`));
    t.once("close", () => fail("closed during the TLS handshake"));
    t.once(side === "server" ? "secure" : "secureConnect", () => {
      const raw = t.getPeerCertificate(true)?.raw;
      const problem = certificateProblem(
        raw === undefined ? undefined : new Uint8Array(raw),
        m.ca,
        Date.now(),
      );
      if (problem !== undefined) return fail(problem);
      done = true;
      clearTimeout(timer);
      t.removeAllListeners("error");
      t.removeAllListeners("close");
      resolve(t);
    });
  });
}
