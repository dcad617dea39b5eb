import type { JsonObject, JsonValue } from '@backstage/types';
import { patternInWords } from './patternWords';

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const number = (value: JsonValue | undefined) =>
  typeof value === 'number' ? value : undefined;

const NUMBER_KINDS = new Map<JsonValue | undefined, string>([
  ['integer', 'a whole number'],
  ['number', 'a number'],
]);

/** `from 1 to 20`, `1 or more`, `less than 5`: the bounds of a number, in words. */
function boundsInWords(field: JsonObject): string | undefined {
  const min = number(field.minimum);
  const max = number(field.maximum);
  const above = number(field.exclusiveMinimum);
  const below = number(field.exclusiveMaximum);
  const low =
    min !== undefined
      ? { inclusive: true, n: min }
      : above !== undefined && { inclusive: false, n: above };
  const high =
    max !== undefined
      ? { inclusive: true, n: max }
      : below !== undefined && { inclusive: false, n: below };
  if (low && high && low.inclusive && high.inclusive)
    return `from ${low.n} to ${high.n}`;
  const parts = [
    low && (low.inclusive ? `${low.n} or more` : `more than ${low.n}`),
    high && (high.inclusive ? `${high.n} or less` : `less than ${high.n}`),
  ].filter(Boolean);
  return parts.length ? parts.join(' and ') : undefined;
}

/** `2 to 31 characters`, `at least 10 characters`: the length of a text, in words. */
function lengthInWords(field: JsonObject): string | undefined {
  const min = number(field.minLength);
  const max = number(field.maxLength);
  const characters = (n: number) => `${n} character${n === 1 ? '' : 's'}`;
  if (min !== undefined && max !== undefined)
    return min === max
      ? `exactly ${characters(min)}`
      : `${min} to ${characters(max)}`;
  if (min !== undefined) return `at least ${characters(min)}`;
  if (max !== undefined) return `at most ${characters(max)}`;
  return undefined;
}

/**
 * What a form field asks, in words, for each JSON Schema keyword a value can fail: the messages
 * ajv-errors shows instead of AJV's (`must be <= 20`, `must NOT have fewer than 10 characters`).
 * `{ minimum: 'must be a whole number from 1 to 20', … }`; keywords it cannot put in words (a
 * pattern with groups, for example) are left out.
 */
export function fieldMessagesInWords(
  field: JsonObject,
): Record<string, string> {
  const messages: Record<string, string> = {};
  const say = (keywords: string[], message: string) => {
    for (const keyword of keywords)
      if (field[keyword] !== undefined) messages[keyword] = message;
  };
  const pattern =
    typeof field.pattern === 'string'
      ? patternInWords(field.pattern)
      : undefined;
  if (pattern) say(['pattern'], `must be ${pattern}`);
  const length = lengthInWords(field);
  if (length) say(['minLength', 'maxLength'], `must be ${length}`);
  const kind = NUMBER_KINDS.get(field.type);
  if (kind) {
    const bounds = boundsInWords(field);
    // "a whole number from 1 to 20", "a whole number, 10 or more"
    const joiner = bounds?.startsWith('from ') ? ' ' : ', ';
    const message = `must be ${kind}${bounds ? `${joiner}${bounds}` : ''}`;
    say(
      ['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
      message,
    );
    if (typeof field.multipleOf === 'number')
      messages.multipleOf = `must be a multiple of ${field.multipleOf}`;
  }
  return messages;
}

/**
 * A template's form (its `parameters`: one page or several) whose fields tell a person what to
 * type in words where a value fails them (`errorMessage`, which the scaffolder's form reads with
 * ajv-errors). What a field's own `errorMessage` says stays: a text for every failure, or the
 * keywords it names.
 */
export function formInWords(
  parameters: JsonValue | undefined,
): JsonValue | undefined {
  const page = (p: JsonValue): JsonValue => {
    if (!isObject(p) || !isObject(p.properties)) return p;
    return {
      ...p,
      properties: Object.fromEntries(
        Object.entries(p.properties).map(([name, field]) => {
          if (!isObject(field) || typeof field.errorMessage === 'string')
            return [name, field];
          const words = fieldMessagesInWords(field);
          if (!Object.keys(words).length) return [name, field];
          const own = isObject(field.errorMessage) ? field.errorMessage : {};
          return [name, { ...field, errorMessage: { ...words, ...own } }];
        }),
      ),
    };
  };
  if (Array.isArray(parameters)) return parameters.map(page);
  return parameters === undefined ? undefined : page(parameters);
}
