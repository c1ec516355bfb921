/** `tandem status` and `tandem partner-down`: talk to a running server's HTTP endpoint. */
import { formatStatus, type Ready } from "./status_format.ts";

export async function printStatus(baseUrl: string, asJson: boolean): Promise<number> {
  let doc: Record<string, unknown>;
  let ready: Ready;
  try {
    doc = await (await fetch(`${baseUrl}/status`)).json();
    ready = await (await fetch(`${baseUrl}/readyz`)).json();
  } catch (e) {
    console.error(`tandem status: cannot reach ${baseUrl}: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
  if (asJson) {
    console.log(JSON.stringify({ ...doc, ready }, null, 2));
    return ready.ready ? 0 : 1;
  }
  for (const line of formatStatus(doc, ready, Date.now())) console.log(line);
  return ready.ready ? 0 : 1;
}

/** An operator call (POST /partner-down, POST /reload) with the admin token; prints the answer. */
export async function adminCall(
  command: string,
  baseUrl: string,
  token: string | undefined,
  body?: Record<string, unknown>,
): Promise<number> {
  if (token === undefined) {
    const name = command.replace("/", " ");
    console.error(`tandem ${name}: no admin token (set http.admin_token or pass --token)`);
    return 2;
  }
  const res = await fetch(`${baseUrl}/${command}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = await res.text();
  console.log(answer.trim());
  return res.ok ? 0 : 1;
}
