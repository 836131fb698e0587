/**
 * Polls `probe` until it returns true (a probe that throws counts as false) and resolves with the
 * time it took; rejects after `timeoutMs`. For conditions that have no event to wait on, such as a
 * service noticing that its database came back.
 */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
