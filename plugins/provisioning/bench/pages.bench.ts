import { test, type Page } from '@playwright/test';
import { createRun, signIn } from '../e2e-tests/runsApi';

/**
 * How fast the portal's pages come up on a full reload, as a person meets them: first contentful
 * paint, and the moment the page's first useful element is in the DOM (the catalog's first row,
 * Create's first template, a form's first field, a run's stack, the compliance dashboard's
 * counts). Each page is reloaded `BENCH_ROUNDS` times (5) with the browser's cache as a visitor's
 * would be; the sign-in page is also measured on a first visit with an empty cache. Prints p50 and
 * max against the goals (first contentful paint under 1.5 s, the catalog's first row under 2.5 s);
 * asserts nothing about timing.
 *
 * On the test portal by default; `PLAYWRIGHT_URL=http://localhost:7007 yarn bench:pages` measures
 * a portal started with `./konductor start` (and `:3000` one started with `--dev`).
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const FCP_GOAL_MS = 1500;
const CATALOG_ROW_GOAL_MS = 2500;

/** What says a page is ready: the first element matching `selector` (holding `text`, if given). */
interface Ready {
  selector: string;
  text?: string;
}

interface Load {
  fcp: number;
  ready: number;
}

/** Waits for `ready` and returns the page's first contentful paint and ready time (ms since navigation). */
async function measure(page: Page, ready: Ready): Promise<Load> {
  const at = await page.waitForFunction(
    ({ selector, text }) => {
      const found = [...document.querySelectorAll(selector)].some(
        e => text === undefined || (e.textContent ?? '').includes(text),
      );
      return found ? performance.now() : false;
    },
    ready,
    { polling: 'raf', timeout: 60_000 },
  );
  const readyAt = (await at.jsonValue()) as number;
  // The paint entry may be recorded a frame after the element is in the DOM: wait for it.
  const fcp = await page.evaluate(
    () =>
      new Promise<number>(resolve => {
        new PerformanceObserver(list => {
          const entry = list.getEntriesByName('first-contentful-paint')[0];
          if (entry) resolve(entry.startTime);
        }).observe({ type: 'paint', buffered: true });
        setTimeout(() => resolve(NaN), 10_000);
      }),
  );
  return { fcp, ready: readyAt };
}

function summary(label: string, loads: Load[], readyGoal?: number) {
  const p50 = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.ceil(sorted.length / 2) - 1];
  };
  const fcps = loads.map(l => l.fcp);
  const readies = loads.map(l => l.ready);
  const fcp50 = p50(fcps);
  const ready50 = p50(readies);
  const verdict = (value: number, goal: number) =>
    value < goal ? `goal ${goal} met` : `goal ${goal} NOT met`;
  return {
    page: label,
    loads: loads.length,
    'fcp p50': Math.round(fcp50),
    'fcp max': Math.round(Math.max(...fcps)),
    'ready p50': Math.round(ready50),
    'ready max': Math.round(Math.max(...readies)),
    verdict: [
      verdict(fcp50, FCP_GOAL_MS),
      ...(readyGoal ? [verdict(ready50, readyGoal)] : []),
    ].join('; '),
  };
}

/**
 * A run to open: on the test portal, one posted to it; on another portal (`PLAYWRIGHT_URL`), which
 * accepts no posted runs, the newest in its runs list (undefined when it has none).
 */
async function aRun(
  page: Page,
  request: Parameters<typeof createRun>[0],
): Promise<string | undefined> {
  if (!process.env.PLAYWRIGHT_URL) {
    const run = await createRun(request, `bench-pages-${Date.now() % 100000}`);
    await run.post('run-started');
    await run.post('creating', 'network');
    await run.post('ready', 'network', { outputs: { vpcId: 'vpc-0bench' } });
    return run.id;
  }
  await page.goto('/provisioning');
  await page
    .getByRole('heading', { name: 'Provisioning runs', exact: true })
    .waitFor();
  const href = await page
    .locator('a[href*="/provisioning/runs/"]')
    .first()
    .getAttribute('href', { timeout: 5_000 })
    .catch(() => null);
  return href ? decodeURIComponent(href.split('/runs/')[1]) : undefined;
}

test('page loads: first contentful paint and first useful element', async ({
  browser,
  request,
}) => {
  test.setTimeout(600_000);
  const results = [];

  // A first-time visitor: empty cache, the sign-in page.
  const first = await browser.newContext();
  const firstPage = await first.newPage();
  await firstPage.goto('/');
  results.push(
    summary('sign-in, empty cache', [
      await measure(firstPage, { selector: 'button', text: 'Enter' }),
    ]),
  );
  await first.close();

  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  const runId = await aRun(page, request);

  const pages: { label: string; path: string; ready: Ready; goal?: number }[] =
    [
      {
        label: 'catalog',
        path: '/',
        ready: { selector: 'tbody tr a' },
        goal: CATALOG_ROW_GOAL_MS,
      },
      {
        label: 'create',
        path: '/create',
        ready: { selector: 'button', text: 'Choose' },
      },
      {
        label: 'form (EKS app stack)',
        path: '/create/templates/default/eks-app-stack',
        ready: { selector: '#root_name' },
      },
      ...(runId
        ? [
            {
              label: 'run',
              path: `/provisioning/runs/${encodeURIComponent(runId)}`,
              ready: { selector: 'h1[class*="MuiTypography-h4"]' },
            },
          ]
        : []),
      {
        label: 'compliance dashboard',
        path: '/compliance',
        // Its counts: rows exist only once something has been evaluated.
        ready: { selector: 'p', text: 'checks pass' },
      },
    ];

  for (const { label, path, ready, goal } of pages) {
    await page.goto(path);
    await measure(page, ready);
    const loads: Load[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await page.reload();
      loads.push(await measure(page, ready));
    }
    results.push(summary(label, loads, goal));
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(results[results.length - 1]));
  }
  await context.close();

  // eslint-disable-next-line no-console
  console.log(`page loads (ms since navigation; ${ROUNDS} full reloads each)`);
  // eslint-disable-next-line no-console
  console.table(results);
});
