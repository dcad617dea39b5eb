import { renderInbox, rows } from '../__testUtils__/exemptionsInbox';

// One kind of user per file: permission answers are cached for the module.
describe('the exemption requests in the Approvals inbox, for an approver', () => {
  it('lists every request that waits, whoever asked; none decided or expired', async () => {
    await renderInbox('user:default/carol', true);
    // Each entity as the catalog presents it: without a title, its name.
    expect(await rows()).toEqual(['cart', 'basket']);
  });
});
