/** The shipped systemd unit parses cleanly (`systemd-analyze verify`). */
import { equal } from "node:assert/strict";

const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});
if (analyze === undefined) console.error("SKIPPING systemd unit test: systemd-analyze not found");

Deno.test({
  name: "systemd/tandem.service passes systemd-analyze verify",
  ignore: analyze === undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tandem-unit-" });
    try {
      const unit = await Deno.readTextFile(new URL("../systemd/tandem.service", import.meta.url));
      // The binary is not installed here: point ExecStart at a file that exists.
      await Deno.writeTextFile(
        `${dir}/tandem.service`,
        unit.replaceAll("/usr/local/bin/tandem", "/bin/true"),
      );
      const out = await new Deno.Command(analyze!, {
        args: ["verify", `${dir}/tandem.service`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
      equal(out.code, 0, text);
      equal(text.trim(), "", `systemd-analyze complained:\n${text}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
