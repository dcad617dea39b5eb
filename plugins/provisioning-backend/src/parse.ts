import { InputError } from '@backstage/errors';
import type { z } from 'zod/v3';

/** Parses with `schema`, or throws one InputError naming every bad field. */
export function parse<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InputError(
    `Invalid ${what}: ${result.error.issues
      .map(i => `${i.path.join('.') || '(body)'}: ${i.message}`)
      .join('; ')}`,
  );
}
