import { screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { provisioningApiRef } from '../api';
import { fakeBackend, run } from '../__testUtils__/fakeBackend';
import { RunView } from './RunPage';

// In a file of its own: usePermission caches answers per module instance.
it('offers neither cancel nor retry to a user the policy denies', async () => {
  const backend = fakeBackend({ streams: false });
  backend.append('run-started');
  const authorize = jest.fn((): AuthorizeResult.DENY => AuthorizeResult.DENY);
  await renderInTestApp(<RunView runId={run.id} />, {
    apis: [
      [provisioningApiRef, backend.client as any],
      mockApis.permission({ authorize }),
    ],
  });
  expect(await screen.findByText('1 events')).toBeInTheDocument();
  await waitFor(() => expect(authorize).toHaveBeenCalled());
  expect(screen.queryByRole('button', { name: 'Cancel run' })).toBeNull();
  expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
});
