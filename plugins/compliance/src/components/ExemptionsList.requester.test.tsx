import { screen } from '@testing-library/react';
import { renderInbox, rows } from '../__testUtils__/exemptionsInbox';

// One kind of user per file: permission answers are cached for the module.
describe('the exemption requests in the Approvals inbox, for a requester', () => {
  it('lists what waits for them: their own requests, none decided or expired, nobody else’s', async () => {
    const { unmount } = await renderInbox('user:default/alice', false);
    expect(await rows()).toEqual(['basket']);
    unmount();
    await renderInbox('user:default/dana', false);
    expect(
      await screen.findByText('No exemption request waits for you.'),
    ).toBeInTheDocument();
  });
});
