import { fieldMessagesInWords, formInWords } from './formWords';

describe('fieldMessagesInWords', () => {
  it.each([
    [
      { type: 'integer', minimum: 1, maximum: 20 },
      {
        type: 'must be a whole number from 1 to 20',
        minimum: 'must be a whole number from 1 to 20',
        maximum: 'must be a whole number from 1 to 20',
      },
    ],
    [
      { type: 'integer', minimum: 10 },
      {
        type: 'must be a whole number, 10 or more',
        minimum: 'must be a whole number, 10 or more',
      },
    ],
    [
      { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      {
        type: 'must be a number, more than 0 and 1 or less',
        exclusiveMinimum: 'must be a number, more than 0 and 1 or less',
        maximum: 'must be a number, more than 0 and 1 or less',
      },
    ],
    [
      { type: 'integer', multipleOf: 8 },
      { type: 'must be a whole number', multipleOf: 'must be a multiple of 8' },
    ],
    [
      { type: 'string', minLength: 10 },
      { minLength: 'must be at least 10 characters' },
    ],
    [
      { type: 'string', minLength: 2, maxLength: 31 },
      {
        minLength: 'must be 2 to 31 characters',
        maxLength: 'must be 2 to 31 characters',
      },
    ],
    [
      { type: 'string', maxLength: 1, minLength: 1 },
      {
        minLength: 'must be exactly 1 character',
        maxLength: 'must be exactly 1 character',
      },
    ],
    [
      { type: 'string', pattern: '^[a-z0-9-]+$' },
      {
        pattern:
          'must be lower-case letters, digits and dashes, at least 1 character',
      },
    ],
    // A pattern without words, and a field that fails on nothing, get no message.
    [{ type: 'string', pattern: '^(dev|prod)$' }, {}],
    [{ type: 'string', enum: ['dev', 'prod'] }, {}],
    [{ type: 'boolean' }, {}],
  ])('tells %j as %j', (field, messages) => {
    expect(fieldMessagesInWords(field)).toEqual(messages);
  });
});

describe('formInWords', () => {
  it("adds the words to each page's fields and keeps a field's own messages", () => {
    const pages = [
      {
        title: 'Service',
        properties: {
          nodes: { type: 'integer', minimum: 1, maximum: 5 },
          code: {
            type: 'string',
            pattern: '^[A-Z]{3}$',
            maxLength: 3,
            errorMessage: { pattern: 'must be a three-letter office code' },
          },
          anything: {
            type: 'string',
            minLength: 1,
            errorMessage: 'must be said',
          },
          plain: { type: 'string' },
        },
      },
      { title: 'Review', description: 'no fields' },
    ];
    expect(formInWords(pages)).toEqual([
      {
        title: 'Service',
        properties: {
          nodes: {
            type: 'integer',
            minimum: 1,
            maximum: 5,
            errorMessage: {
              type: 'must be a whole number from 1 to 5',
              minimum: 'must be a whole number from 1 to 5',
              maximum: 'must be a whole number from 1 to 5',
            },
          },
          code: {
            type: 'string',
            pattern: '^[A-Z]{3}$',
            maxLength: 3,
            errorMessage: {
              pattern: 'must be a three-letter office code',
              maxLength: 'must be at most 3 characters',
            },
          },
          anything: {
            type: 'string',
            minLength: 1,
            errorMessage: 'must be said',
          },
          plain: { type: 'string' },
        },
      },
      { title: 'Review', description: 'no fields' },
    ]);
    // A single page, as a template may have it.
    expect(
      formInWords({ properties: { n: { type: 'integer', maximum: 3 } } }),
    ).toEqual({
      properties: {
        n: {
          type: 'integer',
          maximum: 3,
          errorMessage: {
            type: 'must be a whole number, 3 or less',
            maximum: 'must be a whole number, 3 or less',
          },
        },
      },
    });
    expect(formInWords(undefined)).toBeUndefined();
  });

  it('goes into nested fields: objects, array items and the branches of dependencies and oneOf', () => {
    const port = { type: 'integer', minimum: 1, maximum: 65535 };
    const portWords = {
      type: 'must be a whole number from 1 to 65535',
      minimum: 'must be a whole number from 1 to 65535',
      maximum: 'must be a whole number from 1 to 65535',
    };
    const name = { type: 'string', maxLength: 8 };
    const nameWords = { maxLength: 'must be at most 8 characters' };
    const page = {
      properties: {
        listener: { type: 'object', properties: { port } },
        aliases: { type: 'array', items: name },
        kind: { type: 'string', enum: ['queue', 'topic'] },
      },
      dependencies: {
        kind: {
          oneOf: [{ properties: { kind: { const: 'queue' }, retries: port } }],
        },
        aliases: ['kind'],
      },
      // One text for a whole object: it stays the only message inside it.
      allOf: [{ properties: { tag: name }, errorMessage: 'must be a tag' }],
    };
    expect(formInWords(page)).toEqual({
      properties: {
        listener: {
          type: 'object',
          properties: { port: { ...port, errorMessage: portWords } },
        },
        aliases: {
          type: 'array',
          items: { ...name, errorMessage: nameWords },
        },
        kind: { type: 'string', enum: ['queue', 'topic'] },
      },
      dependencies: {
        kind: {
          oneOf: [
            {
              properties: {
                kind: { const: 'queue' },
                retries: { ...port, errorMessage: portWords },
              },
            },
          ],
        },
        aliases: ['kind'],
      },
      allOf: [{ properties: { tag: name }, errorMessage: 'must be a tag' }],
    });
  });
});
