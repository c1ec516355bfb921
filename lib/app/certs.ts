/**
 * `tandem certs`: a pair's own CA and one certificate per box for mutual TLS on the failover
 * link (draft §11.2), with @peculiar/x509 over WebCrypto (ECDSA P-256, SHA-256): no openssl
 * needed on an appliance. Each box certificate names the box (CN) and its failover address
 * (subjectAltName IP), and may serve as TLS server and client. Operators with a CA of their own
 * point [failover.tls] at its files instead.
 */
import "reflect-metadata"; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

export interface PairCertificates {
  readonly caCert: string;
  readonly caKey: string;
  readonly boxes: readonly { readonly name: string; readonly cert: string; readonly key: string }[];
}

async function pemKey(k: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", k);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

function serial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f; // positive
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** A CA and one certificate for each box; valid from a day ago for `days` days. */
export async function makePairCertificates(
  boxes: readonly { readonly name: string; readonly address: string }[],
  days: number,
  relationship: string,
): Promise<PairCertificates> {
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + days * DAY_MS);
  const caKeys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=tandem pair CA ${relationship.replace(/[,=+<>#;"\\]/g, " ")}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  const out = [];
  for (const box of boxes) {
    const keys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${box.name.replace(/[,=+<>#;"\\]/g, " ")}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingKey: caKeys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]),
        new x509.SubjectAlternativeNameExtension([{ type: "ip", value: box.address }]),
      ],
    });
    out.push({ name: box.name, cert: cert.toString("pem"), key: await pemKey(keys.privateKey) });
  }
  return { caCert: ca.toString("pem"), caKey: await pemKey(caKeys.privateKey), boxes: out };
}

/**
 * Writes ca.crt, ca.key and NAME.crt / NAME.key per box into dir (keys mode 0600) and returns
 * the [failover.tls] lines for each box.
 */
export async function writePairCertificates(
  dir: string,
  certs: PairCertificates,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const write = (name: string, text: string, secret: boolean) =>
    Deno.writeTextFile(`${dir}/${name}`, text, secret ? { mode: 0o600 } : {});
  await write("ca.crt", certs.caCert, false);
  await write("ca.key", certs.caKey, true);
  const lines = [`wrote ${dir}/ca.crt and ca.key (keep ca.key off the boxes)`];
  for (const b of certs.boxes) {
    await write(`${b.name}.crt`, b.cert, false);
    await write(`${b.name}.key`, b.key, true);
    lines.push(
      "",
      `# on ${b.name}: copy ca.crt, ${b.name}.crt and ${b.name}.key to /etc/tandem/, then`,
      "[failover.tls]",
      `cert = "/etc/tandem/${b.name}.crt"`,
      `key = "/etc/tandem/${b.name}.key"`,
      `ca = "/etc/tandem/ca.crt"`,
    );
  }
  return lines.join("\n");
}
