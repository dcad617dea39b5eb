import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import yaml from 'yaml';
import { EXAMPLE_DEFINITIONS, generatedDocs } from './docs';
import { serviceDefinitionJsonSchema } from './schema';

const root = path.resolve(__dirname, '../../../..');

describe('the ServiceDefinition reference', () => {
  it.each(generatedDocs(root).map(d => [d.file, d.content]))(
    '%s is current (yarn docs:generate rewrites it)',
    (file, content) => {
      expect(fs.readFileSync(path.join(root, file), 'utf8')).toBe(content);
    },
  );

  it('publishes a JSON Schema that accepts the examples and refuses a broken one', () => {
    const validate = new Ajv({ strict: false }).compile(
      serviceDefinitionJsonSchema,
    );
    for (const file of EXAMPLE_DEFINITIONS) {
      const doc = yaml.parse(fs.readFileSync(path.join(root, file), 'utf8'));
      expect([file, validate(doc), validate.errors]).toEqual([
        file,
        true,
        null,
      ]);
    }
    const broken = yaml.parse(
      fs.readFileSync(path.join(root, EXAMPLE_DEFINITIONS[0]), 'utf8'),
    );
    broken.spec.fulfilment.mode = 'magic';
    delete broken.spec.owner;
    expect(validate(broken)).toBe(false);
  });
});
