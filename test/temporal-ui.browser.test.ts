import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { FAIR_REMINDER, fairReminderPolicy, fairReminderWorkflowId } from '../src/domain/playbooks/fair-reminder.js';
import { ensureTemporalCli, startTemporalDevServerOnFreePorts, type TemporalDevServer } from '../src/dev/temporal-dev-server.js';
import { connectTemporal, type TemporalClient } from '../src/temporal/client.js';
import { registerSearchAttributes } from '../src/temporal/search-attributes.js';
import { CustomerIdKey, LoyaltyBandKey, PlaybookKey, PlaybookStepKey } from '../workflows/search-attributes.js';
import { ensureChromium } from './support/chromium.js';

/**
 * What an operator does: open the Temporal UI of a dev server (started here with its UI)
 * in headless Chromium and find a playbook run by its customer search attribute.
 */
let server: TemporalDevServer;
let temporal: TemporalClient;
let browser: Browser;

beforeAll(async () => {
  const executablePath = ensureChromium();
  server = await startTemporalDevServerOnFreePorts({ binary: ensureTemporalCli(path.resolve('.cache')), ui: true });
  temporal = await connectTemporal(server.address, 'default');
  await registerSearchAttributes(temporal.connection, 'default');
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await temporal?.close();
  await server?.stop();
});

it('finds a playbook run in the Temporal UI by its CustomerId search attribute', async () => {
  const customerId = randomUUID();
  const invoiceId = randomUUID();
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  // No worker polls this server: the run stays open, as a waiting playbook does.
  await temporal.client.workflow.start('fairReminder', {
    workflowId,
    taskQueue: 'browser-test',
    args: [{ customerId, invoiceId, policy: fairReminderPolicy }],
    typedSearchAttributes: [
      { key: CustomerIdKey, value: customerId },
      { key: PlaybookKey, value: FAIR_REMINDER },
      { key: PlaybookStepKey, value: 'starting' },
      { key: LoyaltyBandKey, value: 'loyal' },
    ],
    staticSummary: `Fair reminders for invoice ${invoiceId} of customer ${customerId}`,
  });
  const page = await browser.newPage();
  await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`CustomerId="${customerId}"`)}`);
  const row = page.getByText(workflowId).first();
  // The UI lists what visibility has indexed; reload until the run shows up.
  for (let attempt = 1; ; attempt++) {
    try {
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      break;
    } catch (error) {
      if (attempt === 6) throw new Error(`run ${workflowId} not listed; page says: ${(await page.innerText('body')).slice(0, 1500)}`, { cause: error });
      await page.reload();
    }
  }
  expect(await row.isVisible()).toBe(true);
  // Another customer's search shows nothing of it.
  await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`CustomerId="${randomUUID()}"`)}`);
  await page.getByText('Workflows').first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(3_000);
  expect(await page.getByText(workflowId).count()).toBe(0);
  await temporal.client.workflow.getHandle(workflowId).terminate('browser test done');
}, 120_000);
