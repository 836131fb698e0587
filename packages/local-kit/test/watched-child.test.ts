import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type OutputStream, WatchedChild } from '../src/index';
import { isProcessAlive } from '../src/process-alive';

const FIXTURES = path.join(__dirname, 'fixtures');

function start(env: Record<string, string>, script = 'talker.js', nodeArgs: readonly string[] = []) {
  const lines: { stream: OutputStream; text: string }[] = [];
  const child = new WatchedChild({
    name: `fixture ${script}`,
    args: [...nodeArgs, path.join(FIXTURES, script)],
    cwd: FIXTURES,
    env: { PATH: process.env.PATH ?? '', ...env },
    parseLine: (text, stream) => ({ stream, text }),
    onLine: (line) => lines.push(line),
  });
  onTestFinished(() => child.stop(0).then(() => {}));
  return { child, lines };
}

describe('WatchedChild', () => {
  it('hands over every stdout and stderr line and IPC message, and resolves exited after the last line', async () => {
    const { child, lines } = start({ EXIT_CODE: '3' });
    const hello = await child.waitFor(
      (event) => (event.kind === 'message' ? event.message : undefined),
      'hello',
      10_000,
    );
    expect(hello).toEqual({ type: 'hello', pid: child.pid });
    await child.stop(5_000);
    expect(await child.exited).toEqual({ code: 3, signal: null });
    expect(child.running).toBe(false);
    expect(lines).toEqual(
      expect.arrayContaining([
        { stream: 'stdout', text: 'hello on stdout' },
        { stream: 'stderr', text: 'hello on stderr' },
      ]),
    );
    expect(lines.at(-1)).toEqual({ stream: 'stdout', text: 'stopped' });
  });

  it('waits for a line that a pick accepts', async () => {
    const { child } = start({});
    const text = await child.waitFor(
      (event) => (event.kind === 'line' && event.line.stream === 'stderr' ? event.line.text : undefined),
      'a stderr line',
      10_000,
    );
    expect(text).toBe('hello on stderr');
  });

  it('fails a wait when the child exits first, naming the child and what was awaited', async () => {
    const { child } = start({ EXIT_AT_ONCE: '1', EXIT_CODE: '2' });
    await expect(child.waitFor(() => undefined, 'its port', 10_000)).rejects.toThrow(
      'fixture talker.js exited (exit code 2) before it reported its port',
    );
  });

  it('fails a wait that times out', async () => {
    const { child } = start({});
    await expect(child.waitFor(() => undefined, 'its port', 200)).rejects.toThrow(
      'fixture talker.js did not report its port within 200 ms',
    );
    expect(child.running).toBe(true);
  });

  it('stop: SIGTERM first, then SIGKILL to the whole process group once the grace has passed', async () => {
    const { child } = start({ IGNORE_SIGTERM: '1', GRANDCHILD: '1' });
    const grandchild = await child.waitFor(
      (event) => (event.kind === 'line' ? /^grandchild (\d+)$/.exec(event.line.text)?.[1] : undefined),
      'its grandchild',
      10_000,
    );
    await child.waitFor((event) => (event.kind === 'message' ? true : undefined), 'hello', 10_000);
    expect(await child.stop(300)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(child.forceKilled).toBe(true);
    await expect.poll(() => isProcessAlive(Number(grandchild)), { timeout: 5_000, interval: 50 }).toBe(false);
  });

  it('stop: a stopped child (SIGSTOP) is continued, so it runs its own SIGTERM handler instead of waiting out the grace', async () => {
    const { child, lines } = start({ EXIT_CODE: '4' });
    await child.waitFor((event) => (event.kind === 'message' ? true : undefined), 'hello', 10_000);
    process.kill(child.pid as number, 'SIGSTOP');
    // Without the SIGCONT the SIGTERM stays pending, and the grace ends in a SIGKILL.
    expect(await child.stop(10_000)).toEqual({ code: 4, signal: null });
    expect(child.forceKilled).toBe(false);
    expect(lines.at(-1)).toEqual({ stream: 'stdout', text: 'stopped' });
  });

  it('dies with its parent, even when the parent is SIGKILLed (parent-watch)', async () => {
    const { child: parent } = start({}, 'parent.ts', ['--conditions=pr-canary-source', '--import', 'tsx']);
    const childPid = Number(
      await parent.waitFor(
        (event) => (event.kind === 'line' ? /^child (\d+)$/.exec(event.line.text)?.[1] : undefined),
        'its child',
        20_000,
      ),
    );
    expect(isProcessAlive(childPid)).toBe(true);
    onTestFinished(() => {
      if (isProcessAlive(childPid)) process.kill(childPid, 'SIGKILL');
    });
    // The parent alone (not its group): only the closed IPC channel tells the child.
    parent.process.kill('SIGKILL');
    await parent.exited;
    await expect.poll(() => isProcessAlive(childPid), { timeout: 10_000, interval: 50 }).toBe(false);
  });
});
