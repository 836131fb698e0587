import { stat } from 'node:fs/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { launchChromium, launchChromiumContext, newProfileDir } from '../src/chromium';

const PAGE = `data:text/html,<title>t</title><p id="p">hello</p><script>document.getElementById('p').textContent += ' from script'</script>`;

describe('chromium', () => {
  it('launches headless Debian Chromium that runs a page', async () => {
    const browser = await launchChromium();
    onTestFinished(() => browser.close());
    const page = await (await browser.newContext()).newPage();
    await page.goto(PAGE);
    expect(await page.locator('#p').textContent()).toBe('hello from script');
    expect(browser.version()).toMatch(/^\d+\./);
  });

  it('launches on a persistent profile that keeps what a page stored across launches, until removed', async () => {
    const profile = await newProfileDir();
    onTestFinished(() => profile.remove());
    const origin = 'http://127.0.0.1:9/';
    for (const expected of [null, 'kept']) {
      const context = await launchChromiumContext(profile.dir);
      try {
        const page = await context.newPage();
        // An origin of its own without a server: storage works on the error page's origin too.
        await page.route('**/*', (route) => route.fulfill({ body: '<p>stub</p>', contentType: 'text/html' }));
        await page.goto(origin);
        expect(await page.evaluate(() => localStorage.getItem('k'))).toBe(expected);
        await page.evaluate(() => localStorage.setItem('k', 'kept'));
      } finally {
        await context.close();
      }
    }
    await profile.remove();
    await expect(stat(profile.dir)).rejects.toThrow(/ENOENT/);
  });
});
