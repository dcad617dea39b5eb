import { render, screen, within } from '@testing-library/react';
import type { ProvisioningEvent } from '@konductor/plugin-provisioning-common';
import { EventLog } from './EventLog';

const events = (n: number): ProvisioningEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    at: new Date(Date.UTC(2026, 11, 6, 12, 0, i)).toISOString(),
    status: 'waiting',
    message: `event ${i + 1}`,
  })) as ProvisioningEvent[];

const rows = () =>
  within(screen.getByRole('table', { name: 'Event log' }))
    .getAllByRole('row')
    .map(r => r.getAttribute('data-seq'));

describe('EventLog', () => {
  it("opens a long run's log at its newest events and follows those that arrive", () => {
    // A run page opened late: far more events than the log shows at once.
    const first = events(200);
    const { rerender } = render(<EventLog events={first} />);
    expect(rows()).toContain('200');
    expect(rows()).not.toContain('1');
    const more = events(210);
    rerender(<EventLog events={more} />);
    expect(rows()).toContain('210');
  });
});
