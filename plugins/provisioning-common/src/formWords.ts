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

const mapValues = (
  object: JsonObject,
  fn: (value: JsonValue) => JsonValue,
): JsonObject =>
  Object.fromEntries(
    Object.entries(object).map(([k, v]) => [k, v === undefined ? v : fn(v)]),
  );

/** The keywords whose schemas hold fields: a list of schemas, or one (or a tuple, for items). */
const SCHEMA_LISTS = ['oneOf', 'anyOf', 'allOf'];
const SCHEMAS = ['items', 'additionalItems', 'then', 'else'];

/**
 * `schema` and every field in it (an object's `properties`, an array's `items`, the branches of
 * `dependencies`, `oneOf`, `anyOf`, `allOf` and `if`/`then`/`else`) with their words. A schema
 * whose `errorMessage` is one text keeps it for everything in it, as ajv-errors does.
 */
function schemaInWords(schema: JsonValue): JsonValue {
  if (!isObject(schema) || typeof schema.errorMessage === 'string')
    return schema;
  const out: JsonObject = { ...schema };
  if (isObject(out.properties))
    out.properties = mapValues(out.properties, schemaInWords);
  if (isObject(out.dependencies))
    out.dependencies = mapValues(out.dependencies, d =>
      // A list of property names is a dependency, not a schema.
      Array.isArray(d) ? d : schemaInWords(d),
    );
  for (const keyword of SCHEMA_LISTS) {
    const list = out[keyword];
    if (Array.isArray(list)) out[keyword] = list.map(schemaInWords);
  }
  for (const keyword of SCHEMAS) {
    const sub = out[keyword];
    if (sub !== undefined)
      out[keyword] = Array.isArray(sub)
        ? sub.map(schemaInWords)
        : schemaInWords(sub);
  }
  const words = fieldMessagesInWords(schema);
  if (Object.keys(words).length) {
    const own = isObject(schema.errorMessage) ? schema.errorMessage : {};
    out.errorMessage = { ...words, ...own };
  }
  return out;
}

/**
 * A template's form (its `parameters`: one page or several) whose fields tell a person what to
 * type in words where a value fails them (`errorMessage`, which the scaffolder's form reads with
 * ajv-errors), nested fields too. What a field's own `errorMessage` says stays: a text for every
 * failure, or the keywords it names.
 */
export function formInWords(
  parameters: JsonValue | undefined,
): JsonValue | undefined {
  if (Array.isArray(parameters)) return parameters.map(schemaInWords);
  return parameters === undefined ? undefined : schemaInWords(parameters);
}
