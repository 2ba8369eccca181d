import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, tryItOut } from './support/chromium.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * The interactive docs (spec §9: GET /api/v1/docs/) as a person meets them: the real page in a real
 * browser (the system Chromium, driven by playwright-core; nothing is downloaded). The browser reaches
 * the server under a made-up public host name and every other host fails to resolve, so the page
 * must not depend on the internet (the way it is served behind a company's proxy, not on localhost,
 * which Swagger UI treats specially).
 */
const HOST = 'docs.fieldbase.test';
const SCREENSHOT = path.resolve('test-artifacts/docs-page.png');

describe('the interactive docs page in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let origin: string;
  const errors: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const server = t.http as unknown as http.Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    origin = `http://${HOST}:${port}`;
    browser = await launchChromium(HOST);
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== origin) foreignRequests.push(req.url());
    });
  });

  afterAll(async () => {
    // Taken whatever the outcome, so a failure leaves a picture of what the browser showed.
    if (page) {
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT }).catch(() => undefined);
    }
    await browser?.close();
    await t?.close();
  });

  it('loads with no console error and nothing fetched from another host', async () => {
    const res = await page.goto(`${origin}/api/v1/docs/`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.locator('.info .title').innerText()).toContain('Fieldbase API');
    expect(foreignRequests).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('lists the project operations', async () => {
    const projects = page.locator('.opblock-tag-section', { has: page.locator('h3#operations-tag-projects') });
    const list = projects.locator('.opblock-get', { has: page.locator('.opblock-summary-path', { hasText: /^\/api\/v1\/projects\/?$/ }) });
    await expect(list.count()).resolves.toBe(1);
    const create = projects.locator('.opblock-post', { has: page.locator('.opblock-summary-path', { hasText: /^\/api\/v1\/projects\/?$/ }) });
    await expect(create.count()).resolves.toBe(1);
  });

  it('runs "Try it out" of GET /api/v1/status/ and shows the 200 answer', async () => {
    const response = await tryItOut(page, /^\/api\/v1\/status\/?$/);
    expect((await response.locator('.response-col_status').first().innerText()).trim()).toBe('200');
    const body = await response.locator('.response-col_description pre.microlight').first().innerText();
    expect(JSON.parse(body)).toEqual({ database: 'ok', storage: 'ok', worker: 'off' });
    await response.first().scrollIntoViewIfNeeded();
    expect(errors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
