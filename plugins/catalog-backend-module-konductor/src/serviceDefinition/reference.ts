import { serviceDefinitionJsonSchema } from './schema';

interface SchemaNode {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  default?: unknown;
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  additionalProperties?: boolean | SchemaNode;
}

const code = (v: unknown) => `\`${String(v).replace(/\|/g, '\\|')}\``;

/** A node's type in words: `string`, `one of a, b`, `object or array`. */
function typeOf(node: SchemaNode): string {
  if (node.const !== undefined) return code(node.const);
  if (node.enum) return `one of ${node.enum.map(code).join(', ')}`;
  if (node.anyOf) return [...new Set(node.anyOf.map(typeOf))].join(' or ');
  if (node.type === 'array' && node.items)
    return `array of ${typeOf(node.items)}`;
  return Array.isArray(node.type) ? node.type.join(' or ') : node.type ?? 'any';
}

interface Row {
  types: Set<string>;
  required: boolean;
  notes: string[];
  /** The fulfilment modes the field belongs to; none: every mode. */
  modes: Set<string>;
}

/** One row per field: its path, type, whether it is required, and what it means. */
function collect(
  node: SchemaNode,
  path: string,
  out: Map<string, Row>,
  mode?: string,
) {
  const options = node.anyOf ?? [];
  for (const option of options) {
    // A list of pages repeats the single page's fields: show them once.
    const repeats =
      option.items &&
      options.some(o => JSON.stringify(o) === JSON.stringify(option.items));
    if (!repeats)
      collect(
        option,
        path,
        out,
        (option.properties?.mode?.const as string) ?? mode,
      );
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = `${path}.${key}`;
    const row = out.get(childPath) ?? {
      types: new Set<string>(),
      required: true,
      notes: [
        child.description?.replace(/</g, '&lt;'),
        child.pattern && `Pattern ${code(child.pattern)}.`,
        child.default !== undefined &&
          `Default ${code(JSON.stringify(child.default))}.`,
      ].filter((n): n is string => !!n),
      modes: new Set<string>(),
    };
    row.types.add(typeOf(child));
    row.required &&= !!node.required?.includes(key);
    if (mode) row.modes.add(mode);
    out.set(childPath, row);
    collect(child, childPath, out, key === 'mode' ? undefined : mode);
  }
}

/** The reference table of every field of a ServiceDefinition, generated from its schema. */
export function serviceDefinitionFieldsTable(): string {
  const out = new Map<string, Row>();
  collect(serviceDefinitionJsonSchema as SchemaNode, '', out);
  return [
    '| Field | Type | Required | Meaning |',
    '| --- | --- | --- | --- |',
    ...[...out].map(([path, row]) => {
      const notes = [...row.notes];
      if (row.modes.size === 1)
        notes.push(`Only with mode ${code([...row.modes][0])}.`);
      return `| ${code(path.slice(1))} | ${[...row.types].join(' or ')} | ${
        row.required ? 'yes' : ''
      } | ${notes.join(' ')} |`;
    }),
  ].join('\n');
}
