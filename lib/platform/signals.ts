/** SIGTERM/SIGINT -> one graceful stop (the commit in flight finishes, then exit). */
export function onTerminate(stop: () => Promise<void>): void {
  let once = false;
  const handler = () => {
    if (once) return;
    once = true;
    stop().finally(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGTERM", handler);
  Deno.addSignalListener("SIGINT", handler);
}

/**
 * SIGHUP -> reload the config (systemd's ExecReload). Without a listener Deno's default for
 * SIGHUP ends the process, which a reload must never do.
 */
export function onReload(reload: () => void): void {
  Deno.addSignalListener("SIGHUP", reload);
}
