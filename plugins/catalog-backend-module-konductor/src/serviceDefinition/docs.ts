import fs from 'node:fs';
import path from 'node:path';
import { serviceDefinitionJsonSchema } from './schema';
import { serviceDefinitionFieldsTable } from './reference';

/** The ServiceDefinition examples the reference page shows, from the repository root. */
export const EXAMPLE_DEFINITIONS = [
  'catalog/service-definitions/private-network.yaml',
  'catalog/service-definitions/vpn-access.yaml',
];
const PAGE = 'docs/reference/service-definition.md';
const SCHEMA = 'docs/reference/service-definition.schema.json';

/** `text` with the block between `<!-- generated:name -->` and `<!-- /generated:name -->` replaced. */
function withRegion(text: string, name: string, content: string): string {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- /generated:${name} -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from)
    throw new Error(`${PAGE} lacks the markers ${start} ... ${end}`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

/**
 * The generated documentation files, as they should be: the published JSON Schema, and the
 * reference page with its field table and examples regenerated from the schema and the example
 * files (`yarn docs:generate` writes them; a test checks they are current).
 */
export function generatedDocs(
  repoRoot: string,
): { file: string; content: string }[] {
  let page = fs.readFileSync(path.join(repoRoot, PAGE), 'utf8');
  page = withRegion(page, 'fields', serviceDefinitionFieldsTable());
  page = withRegion(
    page,
    'examples',
    EXAMPLE_DEFINITIONS.map(
      file =>
        `[\`${file}\`](../../${file}):\n\n\`\`\`yaml\n${fs
          .readFileSync(path.join(repoRoot, file), 'utf8')
          .trimEnd()}\n\`\`\``,
    ).join('\n\n'),
  );
  return [
    { file: PAGE, content: page },
    {
      file: SCHEMA,
      content: `${JSON.stringify(serviceDefinitionJsonSchema, null, 2)}\n`,
    },
  ];
}
