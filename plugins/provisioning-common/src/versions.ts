/** One attribute a spec changes: its path, and its value before and after (absent: not set). */
export interface SpecChange {
  /** Dotted path in the spec, such as `resources.database.instanceClass`. */
  path: string;
  before?: unknown;
  after?: unknown;
}

/**
 * A version of a stack's desired state: the spec a provisioning run made real, who started that
 * run and when, and what it changed from the version before.
 */
export interface StackVersion {
  /** 1 for the spec that created the stack, then one more for each spec that changed it. */
  version: number;
  /** The run that made this spec real. */
  runId: string;
  /** The user who started that run. */
  createdBy?: string;
  createdAt: string;
  /** The spec, with every default applied (never a secret value: specs name secrets only). */
  spec: Record<string, unknown>;
  /** What it changed from the version before; empty for the first version. */
  changes: SpecChange[];
}

/** Answer of `GET /stacks/:accountId/:region/:stackId/versions`: newest first. */
export interface StackVersionList {
  items: StackVersion[];
}

/** A spec value in one line: strings as they are, anything else as JSON; absent: `not set`. */
export function specValueText(value: unknown): string {
  if (value === undefined) return 'not set';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function leaves(
  value: unknown,
  path: string,
  into: Map<string, unknown>,
): Map<string, unknown> {
  if (isPlainObject(value) && Object.keys(value).length) {
    for (const [key, child] of Object.entries(value))
      if (child !== undefined)
        leaves(child, path ? `${path}.${key}` : key, into);
  } else if (path) {
    into.set(path, value);
  }
  return into;
}

/**
 * What differs between two specs, attribute by attribute (objects are walked; a list is one
 * value), sorted by path. `before` absent: every attribute of `after` is new.
 */
export function specChanges(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
): SpecChange[] {
  const was = leaves(before ?? {}, '', new Map());
  const is = leaves(after, '', new Map());
  const paths = [...new Set([...was.keys(), ...is.keys()])].sort();
  return paths.flatMap(path => {
    const [b, a] = [was.get(path), is.get(path)];
    if (JSON.stringify(b) === JSON.stringify(a)) return [];
    return [
      {
        path,
        ...(was.has(path) ? { before: b } : {}),
        ...(is.has(path) ? { after: a } : {}),
      },
    ];
  });
}
