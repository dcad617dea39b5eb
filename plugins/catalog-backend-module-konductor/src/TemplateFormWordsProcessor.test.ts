import type { Entity } from '@backstage/catalog-model';
import type { JsonValue } from '@backstage/types';
import { TemplateFormWordsProcessor } from './TemplateFormWordsProcessor';

const template = (parameters: JsonValue | undefined): Entity => ({
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'shop' },
  spec: { type: 'service', parameters, steps: [] },
});

describe('TemplateFormWordsProcessor', () => {
  const processor = new TemplateFormWordsProcessor();

  it('tells in words what each field asks, unless the template says it or words would not do', async () => {
    const processed = await processor.preProcessEntity(
      template([
        {
          title: 'Service',
          required: ['name'],
          properties: {
            name: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,30}$' },
            code: {
              type: 'string',
              pattern: '^[A-Z]{3}$',
              errorMessage: { pattern: 'must be a three-letter office code' },
            },
            host: { type: 'string', pattern: '^([a-z]+\\.)+[a-z]{2,}$' },
            team: { type: 'string' },
          },
        },
        {
          title: 'Cluster',
          properties: { nodes: { type: 'integer', minimum: 1, maximum: 20 } },
        },
      ]),
    );
    const [service, cluster] = (processed.spec as any).parameters;
    expect(service.properties.name.errorMessage).toEqual({
      pattern:
        'must be lower-case letters, digits and dashes, starting with a lower-case letter, 2 to 31 characters',
    });
    // The pattern itself stays: the scaffolder checks it again when the task is created.
    expect(service.properties.name.pattern).toBe('^[a-z][a-z0-9-]{1,30}$');
    expect(service.properties.code.errorMessage).toEqual({
      pattern: 'must be a three-letter office code',
    });
    expect(service.properties.host.errorMessage).toBeUndefined();
    expect(service.properties.team).toEqual({ type: 'string' });
    expect(cluster.properties.nodes.errorMessage.maximum).toBe(
      'must be a whole number from 1 to 20',
    );
    // Processing it again changes nothing.
    expect(await processor.preProcessEntity(processed)).toEqual(processed);
  });

  it('leaves other kinds, and templates without a form, as they are', async () => {
    const component: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'shop' },
      spec: {
        parameters: { properties: { n: { type: 'integer', maximum: 1 } } },
      },
    };
    expect(await processor.preProcessEntity(component)).toBe(component);
    const formless = template(undefined);
    expect(await processor.preProcessEntity(formless)).toBe(formless);
  });
});
