/**
 * `resource`, closed when the current test or file is done: `when` is the test runner's hook
 * (vitest's `onTestFinished` or `afterAll`; this package does not depend on vitest). A test may close
 * it sooner — to take a dependency down — as long as its `close()` tolerates being called twice.
 */
export async function closedAfter<T extends { close(): unknown }>(
  when: (teardown: () => Promise<void>) => void,
  resource: Promise<T> | T,
): Promise<T> {
  const ready = await resource;
  when(async () => {
    await ready.close();
  });
  return ready;
}
