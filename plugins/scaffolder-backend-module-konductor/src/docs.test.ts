import fs from 'node:fs';
import path from 'node:path';
import { ACTIONS_PAGE, actionsReference } from './docs';

describe('the actions reference', () => {
  it('is current: run `yarn docs:generate` after changing an action', () => {
    const root = path.resolve(__dirname, '../../..');
    expect(fs.readFileSync(path.join(root, ACTIONS_PAGE), 'utf8')).toBe(
      actionsReference(),
    );
  });

  it('documents every action with its input, output and examples', () => {
    const page = actionsReference();
    for (const id of [
      'konductor:compliance:check',
      'konductor:stack:provision',
      'konductor:stack:outputs',
      'konductor:stack:destroy',
      'konductor:github:repo:provision',
      'konductor:jira:issue:create',
    ])
      expect(page).toContain(`## \`${id}\``);
    expect(page).toContain('| `resources.database.instanceClass` | string |');
    expect(page).toContain('### Example: A Node.js app on EKS with PostgreSQL');
  });
});
