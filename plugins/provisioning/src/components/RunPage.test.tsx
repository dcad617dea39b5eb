import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { fakeBackend, fakeSignals, run } from '../__testUtils__/fakeBackend';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { provisioningApiRef } from '../api';
import { RunView } from './RunPage';

const node = (name: string) => screen.getByRole('group', { name });

describe('RunView', () => {
  it('draws the stored state, then follows each signal without duplicating events', async () => {
    const backend = fakeBackend({ streams: false });
    backend.append('run-started');
    backend.append('creating', 'network');
    const signals = fakeSignals();
    await renderInTestApp(<RunView runId={run.id} />, {
      apis: [
        [provisioningApiRef, backend.client as any],
        [signalApiRef, signals.api],
      ],
    });
    expect(
      await screen.findByRole('group', { name: 'network creating' }),
    ).toBeInTheDocument();
    expect(node('database queued')).toBeInTheDocument();
    expect(screen.getByText('after network')).toBeInTheDocument();
    await waitFor(() =>
      expect(signals.subscribed('provisioning:run:task-1_shop-dev')).toBe(true),
    );

    const cursor = backend.append('ready', 'network');
    await signals.publish('provisioning:run:task-1_shop-dev', {
      runId: run.id,
      cursor,
    });
    expect(
      await screen.findByRole('group', { name: 'network ready' }),
    ).toBeInTheDocument();
    // A repeated signal for the same cursor fetches nothing new and adds nothing.
    await signals.publish('provisioning:run:task-1_shop-dev', {
      runId: run.id,
      cursor,
    });
    backend.append('creating', 'database');
    const last = backend.append('run-failed');
    await signals.publish('provisioning:run:task-1_shop-dev', {
      runId: run.id,
      cursor: last,
    });
    expect(await screen.findByText('Run failed.')).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Event log' })).toHaveAttribute(
      'aria-rowcount',
      '5',
    );
    expect(screen.getByText('5 events')).toBeInTheDocument();
  });

  it('without signals, the event stream delivers every event once, following from the cursor', async () => {
    const backend = fakeBackend({ streams: true });
    backend.append('run-started');
    await renderInTestApp(<RunView runId={run.id} />, {
      apis: [[provisioningApiRef, backend.client as any]],
    });
    expect(await screen.findByText('Live')).toBeInTheDocument();
    expect(await screen.findByText('1 events')).toBeInTheDocument();
    // The stream follows from the cursor the first load reached.
    await waitFor(() =>
      expect(backend.client.followEvents).toHaveBeenCalledWith(
        run.id,
        expect.objectContaining({ after: 1 }),
      ),
    );
    await act(async () => {
      backend.append('creating', 'network');
      backend.append('ready', 'network');
    });
    expect(
      await screen.findByRole('group', { name: 'network ready' }),
    ).toBeInTheDocument();
    await act(async () => {
      backend.append('run-succeeded');
    });
    expect(await screen.findByText('4 events')).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Event log' })).toHaveAttribute(
      'aria-rowcount',
      '4',
    );
    expect(screen.getByLabelText('Run progress')).toHaveAttribute(
      'aria-valuenow',
      '100',
    );
  });

  it('says when the stream is lost, and reconnects from its cursor', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick'] });
    try {
      const backend = fakeBackend({ streams: true });
      backend.append('run-started');
      backend.refusals.push(new Error('connect ECONNREFUSED'));
      await renderInTestApp(<RunView runId={run.id} />, {
        apis: [[provisioningApiRef, backend.client as any]],
      });
      expect(await screen.findByText('Reconnecting')).toBeInTheDocument();
      expect(
        screen.getByText(/Lost the connection to the portal/),
      ).toHaveTextContent('continues from event 1');
      backend.append('creating', 'network');
      await act(async () => {
        jest.advanceTimersByTime(1000);
      });
      expect(
        await screen.findByRole('group', { name: 'network creating' }),
      ).toBeInTheDocument();
      expect(screen.getByText('Live')).toBeInTheDocument();
      expect(screen.queryByText(/Lost the connection/)).toBeNull();
      expect(
        backend.client.followEvents.mock.calls.map(c => c[1].after),
      ).toEqual([1, 1]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('confirms before cancelling, then says the cancellation was requested', async () => {
    const backend = fakeBackend({ streams: false });
    backend.append('run-started');
    await renderInTestApp(<RunView runId={run.id} />, {
      apis: [[provisioningApiRef, backend.client as any]],
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel run' }));
    expect(backend.client.cancelRun).not.toHaveBeenCalled();
    fireEvent.click(
      screen.getAllByRole('button', { name: 'Cancel run' }).at(-1)!,
    );
    await waitFor(() =>
      expect(backend.client.cancelRun).toHaveBeenCalledWith(run.id),
    );
    expect(
      await screen.findByText(/Cancellation requested/),
    ).toBeInTheDocument();
  });

  it('says whose outputs they are when the user may not read them', async () => {
    const backend = fakeBackend({
      streams: false,
      outputsHidden: true,
    });
    backend.append('run-started');
    backend.append('ready', 'network');
    await renderInTestApp(<RunView runId={run.id} />, {
      apis: [[provisioningApiRef, backend.client as any]],
    });
    expect(
      await screen.findByText(
        /Outputs \(ids, endpoints, ARNs\) are shown to members of/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByText('Outputs appear as resources become ready.'),
    ).toBeNull();
  });

  it("offers to roll the app back to the revision a succeeded run delivered, through the rollback template's form", async () => {
    const backend = fakeBackend({ streams: false });
    const revision = '3f2a9c1d00112233445566778899aabbccddeeff';
    backend.append('run-started');
    backend.append('ready', 'network');
    backend.append('ready', 'database', { outputs: { revision } });
    backend.append('run-succeeded');
    await renderInTestApp(<RunView runId={run.id} />, {
      apis: [[provisioningApiRef, backend.client as any]],
    });
    const link = await screen.findByRole('link', {
      name: 'Roll database back to 3f2a9c1',
    });
    const url = new URL(link.getAttribute('href')!, 'http://portal');
    expect(url.pathname).toBe('/create/templates/default/rollback-app');
    expect(JSON.parse(url.searchParams.get('formData')!)).toEqual({
      name: 'shop',
      environment: 'dev',
      location: { accountId: '123456789012', region: 'us-east-1' },
      revision,
    });
  });

  it('lists the outputs of what still exists after a failed run, not of what its rollback deleted', async () => {
    const backend = fakeBackend({ streams: false });
    backend.append('run-started');
    backend.append('ready', 'network', { outputs: { vpcId: 'vpc-kept' } });
    backend.append('ready', 'database', {
      outputs: { endpoint: 'shop-dev-db.rds.example' },
    });
    backend.append('rolling-back', 'database');
    backend.append('deleted', 'database');
    backend.append('run-failed');
    await renderInTestApp(<RunView runId={run.id} />, {
      apis: [[provisioningApiRef, backend.client as any]],
    });
    expect(await screen.findByText('vpc-kept')).toBeInTheDocument();
    expect(screen.getByText('network.vpcId')).toBeInTheDocument();
    expect(screen.queryByText('database.endpoint')).toBeNull();
    expect(screen.queryByText('shop-dev-db.rds.example')).toBeNull();
    expect(
      screen.getByText('Deleted by this run, so without outputs: database.'),
    ).toBeInTheDocument();
    // Finished: no promise of outputs to come.
    expect(
      screen.queryByText('Outputs appear as resources become ready.'),
    ).toBeNull();
  });

  it('links the pull request a change waits for in the event log', async () => {
    const backend = fakeBackend({ streams: false });
    backend.append('run-started');
    const url = 'https://github.example/acme/deployments/pull/7';
    backend.append('waiting', 'network', {
      message: `network: pull request #7: waits for review and merge into main: ${url}`,
    });
    await renderInTestApp(<RunView runId={run.id} />, {
      apis: [
        [provisioningApiRef, backend.client as any],
        [signalApiRef, fakeSignals().api],
      ],
    });
    const link = await screen.findByRole('link', { name: url });
    expect(link).toHaveAttribute('href', url);
    expect(link.closest('[role="row"]')).toHaveTextContent(
      'pull request #7: waits for review and merge into main',
    );
  });

  it('says so when the run does not exist', async () => {
    const backend = fakeBackend({ streams: false });
    await renderInTestApp(<RunView runId="nope" />, {
      apis: [[provisioningApiRef, backend.client as any]],
    });
    expect(
      await screen.findByText('No provisioning run with id nope'),
    ).toBeInTheDocument();
  });
});
