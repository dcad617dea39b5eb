import { test, expect, type Page } from '@playwright/test';
import { createRun, replicaUrl, signIn } from './runsApi';

const node = (page: Page, resource: string, status: string) =>
  page.getByRole('group', { name: `${resource} ${status}`, exact: true });

const suffix = () => Date.now().toString(36).slice(-5);

/** The page's event streams never answer: only signals (and the reads they start) deliver. */
async function holdStreams(page: Page) {
  await page.route(/\/api\/provisioning\/runs\/[^/]+\/events\/stream/, () => {
    // Never fulfilled: the request stays pending, like a stream with nothing to say.
  });
}

test('with the signals socket down, the event stream delivers every event once', async ({
  page,
  request,
}) => {
  // The signals WebSocket is refused on every attempt.
  await page.routeWebSocket(/\/api\/signals/, ws => ws.close());
  const run = await createRun(request, `poll${suffix()}`);
  await signIn(page);
  await page.goto(`/provisioning/runs/${run.id}`);
  await expect(node(page, 'network', 'queued')).toBeVisible();
  await run.post('run-started');
  await run.post('creating', 'network');
  await expect(node(page, 'network', 'creating')).toBeVisible();
  await run.post('ready', 'network');
  await run.post('run-succeeded');
  await expect(node(page, 'network', 'ready')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Event log' })).toHaveAttribute(
    'aria-rowcount',
    '4',
  );
});

test('an event posted on one backend replica reaches a browser connected to the other, through signals', async ({
  page,
  request,
}) => {
  test.skip(
    !replicaUrl,
    'needs the two-replica portal: set KONDUCTOR_E2E_POSTGRES (./konductor test does when PostgreSQL is available)',
  );
  await holdStreams(page);
  // The run is registered on, and its events posted to, the replica the browser does not use.
  const run = await createRun(request, `repl${suffix()}`, replicaUrl);
  // Resolves once the page has subscribed to the run's signal channel.
  const subscribed = new Promise<void>(resolve =>
    page.on('websocket', ws =>
      ws.on('framesent', frame => {
        if (String(frame.payload).includes(`provisioning:run:${run.id}`))
          resolve();
      }),
    ),
  );
  await signIn(page);
  await page.goto(`/provisioning/runs/${run.id}`);
  await expect(node(page, 'network', 'queued')).toBeVisible();
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  await subscribed;
  for (const [status, resource] of [
    ['run-started'],
    ['creating', 'network'],
    ['ready', 'network'],
    ['creating', 'database'],
  ] as const) {
    await run.post(status, resource);
  }
  await expect(node(page, 'network', 'ready')).toBeVisible();
  await expect(node(page, 'database', 'creating')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Event log' })).toHaveAttribute(
    'aria-rowcount',
    '4',
  );
});
