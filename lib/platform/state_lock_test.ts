import { equal, ok } from "node:assert/strict";
import { acquireStateLock } from "./state_lock.ts";

Deno.test("state lock: one holder per directory; released on release()", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-lock-" });
  try {
    const first = acquireStateLock(dir);
    equal(first.ok, true);
    const second = acquireStateLock(dir);
    equal(second.ok, false);
    ok(second.ok === false && second.message.includes(`pid ${Deno.pid}`), JSON.stringify(second));
    if (first.ok === true) first.release();
    const third = acquireStateLock(dir);
    equal(third.ok, true);
    if (third.ok === true) third.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
