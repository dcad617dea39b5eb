import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { ProvisioningStack } from '@konductor/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import { StackExpiryView, fromNow } from './StackExpiryView';
import { fromLocalInput, toLocalInput } from '../fields/expiry';

const key = {
  accountId: '123456789012',
  region: 'us-east-1',
  stackId: 'shop-dev',
};
const DAY = 24 * 3600_000;
const stack = (extra: Partial<ProvisioningStack>): ProvisioningStack => ({
  ...key,
  ref: '123456789012/us-east-1/shop-dev',
  name: 'shop',
  environment: 'dev',
  owner: 'group:default/team-a',
  createdAt: '2026-12-01T00:00:00Z',
  ...extra,
});

// Each test its own stack: permission decisions are cached per resource.
async function render(api: object, allowed: boolean, stackKey = key) {
  await renderInTestApp(<StackExpiryView stack={stackKey} />, {
    apis: [
      [provisioningApiRef, api as any],
      mockApis.permission({
        authorize: () =>
          allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      }),
    ],
  });
}

describe('StackExpiryView', () => {
  it('shows when the stack expires and extends it within the maximum, showing what the backend refuses', async () => {
    const expiresAt = new Date(Date.now() + 3 * DAY).toISOString();
    const setStackExpiry = jest
      .fn()
      .mockRejectedValueOnce(
        new Error('Stack shop-dev has expired and is being destroyed'),
      )
      .mockImplementation(async (_key, { expiresAt: at }) =>
        stack({ expiresAt: at }),
      );
    await render(
      { getStack: async () => stack({ expiresAt }), setStackExpiry },
      true,
    );
    const expiry = await screen.findByLabelText('Expiry');
    expect(expiry).toHaveTextContent(
      '(in 3 days): the platform then destroys it.',
    );
    fireEvent.click(within(expiry).getByRole('button', { name: 'Extend' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Extend shop-dev',
    });
    const input = within(dialog).getByLabelText('Expires');
    // Filled with the current expiry, to the second.
    expect(fromLocalInput((input as HTMLInputElement).value)).toBe(
      new Date(Math.floor(Date.parse(expiresAt) / 1000) * 1000).toISOString(),
    );
    // Past the maximum: refused before anything is sent.
    fireEvent.change(input, {
      target: {
        value: toLocalInput(new Date(Date.now() + 31 * DAY).toISOString()),
      },
    });
    expect(dialog).toHaveTextContent(
      "is more than 30 days away (the platform's maximum)",
    );
    expect(
      within(dialog).getByRole('button', { name: 'Extend' }),
    ).toBeDisabled();
    const later = toLocalInput(new Date(Date.now() + 10 * DAY).toISOString());
    fireEvent.change(input, { target: { value: later } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Extend' }));
    // The backend's refusal is shown, and the dialog stays.
    expect(
      await within(dialog).findByText(
        'Stack shop-dev has expired and is being destroyed',
      ),
    ).toBeInTheDocument();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Extend' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(setStackExpiry).toHaveBeenLastCalledWith(
      expect.objectContaining(key),
      {
        expiresAt: new Date(later).toISOString(),
      },
    );
    expect(screen.getByLabelText('Expiry')).toHaveTextContent('(in 10 days)');
  });

  it('offers no Extend to who may not change the stack', async () => {
    await render(
      {
        getStack: async () =>
          stack({
            stackId: 'cart-dev',
            ref: '123456789012/us-east-1/cart-dev',
            expiresAt: new Date(Date.now() + DAY * 5).toISOString(),
          }),
      },
      false,
      { ...key, stackId: 'cart-dev' },
    );
    expect(await screen.findByLabelText('Expiry')).toHaveTextContent(
      '(in 5 days)',
    );
    expect(screen.queryByRole('button', { name: 'Extend' })).toBeNull();
  });

  it('links the destroy run its expiry started', async () => {
    await render(
      {
        getStack: async () =>
          stack({ expiresAt: '2026-12-01T10:00:00Z', expiryTaskId: 'task-9' }),
      },
      true,
    );
    const expired = await screen.findByLabelText('Expiry');
    expect(expired).toHaveTextContent(
      /^Expired on .*: the platform is destroying it/,
    );
    expect(
      within(expired).getByRole('link', { name: 'destroy run' }),
    ).toHaveAttribute(
      'href',
      expect.stringContaining(`/runs/${encodeURIComponent('task-9_shop-dev')}`),
    );
    expect(screen.queryByRole('button', { name: 'Extend' })).toBeNull();
  });

  it('shows nothing for a stack that does not expire', async () => {
    const getStack = jest.fn(async () => stack({}));
    await render({ getStack }, true);
    await waitFor(() => expect(getStack).toHaveBeenCalled());
    expect(screen.queryByLabelText('Expiry')).toBeNull();
  });

  it('says how far the expiry is in words', () => {
    const now = Date.parse('2026-12-04T00:00:00Z');
    const at = (ms: number) => new Date(now + ms).toISOString();
    expect(fromNow(at(3 * DAY), now)).toBe('in 3 days');
    expect(fromNow(at(5 * 3600_000), now)).toBe('in 5 hours');
    expect(fromNow(at(12 * 60_000), now)).toBe('in 12 minutes');
    expect(fromNow(at(60_000), now)).toBe('in 1 minute');
    expect(fromNow(at(10_000), now)).toBe('in less than a minute');
  });
});
