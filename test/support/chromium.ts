import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/**
 * Debian's Chromium (/usr/bin/chromium, which .ci/run installs) driven by playwright-core: nothing is
 * downloaded. `host` resolves to loopback and every other host fails, so a page that reaches for the
 * internet shows it as a failed request; the other flags keep Chromium's own background traffic off
 * this machine's closed network.
 */
export function launchChromium(host: string): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=MAP ${host} 127.0.0.1, MAP * ~NOTFOUND`,
    ],
  });
}

/** On a loaded Swagger UI page: expand GET `path`, "Try it out", "Execute"; resolves to the live response once shown. */
export async function tryItOut(page: Page, path: RegExp): Promise<Locator> {
  const operation = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path', { hasText: path }) });
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  const response = operation.locator('.live-responses-table .response');
  await response.first().waitFor();
  return response;
}
