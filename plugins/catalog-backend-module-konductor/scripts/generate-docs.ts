// Writes the generated parts of the docs: `yarn docs:generate` from the repository root.
import fs from 'node:fs';
import path from 'node:path';
import { generatedDocs } from '../src/serviceDefinition/docs';

const root = path.resolve(__dirname, '../../..');
for (const { file, content } of generatedDocs(root)) {
  fs.writeFileSync(path.join(root, file), content);
  process.stdout.write(`wrote ${file}\n`);
}
