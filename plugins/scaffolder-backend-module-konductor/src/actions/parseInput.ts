import { InputError } from '@backstage/errors';
import type { z } from 'zod/v3';

/**
 * Parses an action's input with its schema, applying defaults (the scaffolder validates input
 * but does not apply them); bad input becomes one InputError naming every field.
 */
export function parseInput<T extends z.ZodTypeAny>(
  schema: T,
  input: unknown,
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    i => `- ${i.path.join('.') || '(input)'}: ${i.message}`,
  );
  throw new InputError(
    `The input has ${problems.length} problem${
      problems.length === 1 ? '' : 's'
    }:\n${problems.join('\n')}`,
  );
}
