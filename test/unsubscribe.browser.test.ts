import { chromium, type Browser } from 'playwright-core';
import { unsubscribeUrl } from '../src/domain/messages/unsubscribe-link.js';
import { Customer } from '../src/entities/index.js';
import { ensureChromium } from './support/chromium.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * What a customer does: open the link at the end of a marketing e-mail in a browser (headless
 * Chromium) and press the button, with the page's own security headers in force.
 */
let stack: TestStack;
let base: string;
let browser: Browser;

beforeAll(async () => {
  const executablePath = ensureChromium();
  stack = await startTestStack({ worker: false });
  base = (await stack.api.listen()).url.replace(/\/graphql$/, '');
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it('asks in the browser language, and the button unsubscribes', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Hanna Leser', email: 'hanna@example.com', acquiredAt: '2020-01-01', timeZone: 'Europe/Berlin', locale: 'de-DE', marketingConsent: true });
  await em.flush();
  const link = unsubscribeUrl({ publicUrl: base, secrets: stack.config.unsubscribe!.secrets }, customer.id);

  const context = await browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  const blocked: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') blocked.push(message.text());
  });
  await page.goto(link);
  await page.getByRole('heading', { name: 'Abmelden' }).waitFor();
  expect((await stack.orm.em.fork().findOneOrFail(Customer, customer.id)).marketingConsent).toBe(true);

  await page.getByRole('button', { name: 'Abmelden' }).click();
  await page.getByRole('heading', { name: 'Sie sind abgemeldet' }).waitFor();
  expect(page.url()).toBe(link);
  expect((await stack.orm.em.fork().findOneOrFail(Customer, customer.id)).marketingConsent).toBe(false);
  // The page's Content-Security-Policy let the form through and blocked nothing of its own.
  expect(blocked).toEqual([]);
  await context.close();
});
