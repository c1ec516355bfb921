/** `tandem status` and `tandem partner-down`: talk to a running server's HTTP endpoint. */

export async function printStatus(baseUrl: string, asJson: boolean): Promise<number> {
  let doc: Record<string, unknown>;
  let ready: { ready: boolean; reasons: string[] };
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
  console.log(`role ${doc.role}, version ${doc.version}, up ${doc.uptime_sec} s`);
  console.log(ready.ready ? "ready: serving" : `NOT READY: ${ready.reasons.join("; ")}`);
  const fo = doc.failover as Record<string, unknown> | undefined;
  if (fo !== undefined) {
    for (const [k, v] of Object.entries(fo)) console.log(`failover ${k}: ${JSON.stringify(v)}`);
  }
  for (const s of (doc.subnets ?? []) as Record<string, unknown>[]) {
    console.log(
      `subnet ${s.id} ${s.cidr}: pool ${s.pool_size}, active ${s.active}, free ${s.free}, ` +
        `abandoned ${s.abandoned}, backup ${s.backup}`,
    );
  }
  return ready.ready ? 0 : 1;
}

export async function requestPartnerDown(
  baseUrl: string,
  token: string | undefined,
): Promise<number> {
  if (token === undefined) {
    console.error("tandem partner-down: no admin token (set http.admin_token or pass --token)");
    return 2;
  }
  const res = await fetch(`${baseUrl}/partner-down`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await res.text();
  console.log(body.trim());
  return res.ok ? 0 : 1;
}
