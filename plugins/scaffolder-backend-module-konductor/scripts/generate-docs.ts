// Writes the actions reference: `yarn docs:generate` from the repository root.
import fs from 'node:fs';
import path from 'node:path';
import { ACTIONS_PAGE, actionsReference } from '../src/docs';

const root = path.resolve(__dirname, '../../..');
fs.writeFileSync(path.join(root, ACTIONS_PAGE), actionsReference());
process.stdout.write(`wrote ${ACTIONS_PAGE}\n`);
