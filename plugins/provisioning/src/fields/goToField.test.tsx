import { useState } from 'react';
import { render, screen } from '@testing-library/react';
import { goToField } from './goToField';

/** A form of two pages under a stepper whose labels of the pages already filled go back. */
function TwoPageForm() {
  const [page, setPage] = useState(1);
  return (
    <div>
      <div role="list" aria-label="stepper">
        {/* As the scaffolder's stepper labels are: a span that goes back to its page when clicked. */}
        {/* eslint-disable-next-line jsx-a11y/click-events-have-key-events, jsx-a11y/no-noninteractive-element-interactions */}
        <span role="listitem" aria-label="Step 1" onClick={() => setPage(0)}>
          <span>Stack</span>
        </span>
        <span role="listitem" aria-label="Step 2">
          <span>Plan and cost</span>
        </span>
      </div>
      <div>
        <form>
          {page === 0 ? (
            <input id="root_publicApiEndpoint" type="checkbox" />
          ) : (
            <p>
              The plan: <span>Stack</span>
            </p>
          )}
        </form>
      </div>
    </div>
  );
}

describe('goToField', () => {
  // The page changes as in a browser, by React's own scheduling, while goToField watches the DOM
  // for the field (act would hold the change back until goToField had given up).
  const actEnvironment = (globalThis as any).IS_REACT_ACT_ENVIRONMENT;
  beforeEach(() => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = false;
  });
  afterEach(() => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = actEnvironment;
  });

  const field = {
    name: 'publicApiEndpoint',
    title: 'Public Kubernetes API endpoint',
    page: 'Stack',
  };

  it("opens the field's page through the stepper and focuses the field", async () => {
    render(<TwoPageForm />);
    const from = screen.getByText('The plan:');
    await expect(goToField(field, from)).resolves.toBe(true);
    expect(document.activeElement).toBe(
      document.getElementById('root_publicApiEndpoint'),
    );
  });

  it('focuses a field on the same page without going anywhere', async () => {
    render(
      <form>
        <input id="root_name" />
        <button type="button">here</button>
      </form>,
    );
    await expect(
      goToField({ name: 'name', title: 'Name' }, screen.getByText('here')),
    ).resolves.toBe(true);
    expect(document.activeElement).toBe(document.getElementById('root_name'));
  });

  it('resolves false when the form has no such field', async () => {
    jest.useFakeTimers();
    try {
      render(<TwoPageForm />);
      const went = goToField(
        { name: 'missing', title: 'Missing', page: 'Elsewhere' },
        screen.getByText('The plan:'),
      );
      jest.advanceTimersByTime(3000);
      await expect(went).resolves.toBe(false);
      // Nothing was clicked: the plan page is still there.
      expect(screen.getByText('The plan:')).toBeInTheDocument();
    } finally {
      jest.useRealTimers();
    }
  });
});
