import type { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import { defaultValues } from './defaultValues';

const template = (parameters: unknown): TemplateEntityV1beta3 =>
  ({
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: 't' },
    spec: { type: 'service', parameters, steps: [] },
  } as unknown as TemplateEntityV1beta3);

describe('defaultValues', () => {
  it("takes each field's default, on every page, and leaves optional fields without one empty", () => {
    expect(
      defaultValues(
        template([
          {
            properties: {
              environment: { type: 'string', default: 'dev' },
              note: { type: 'string' },
            },
          },
          { properties: { replicas: { type: 'number', default: 2 } } },
        ]),
      ),
    ).toEqual({
      values: { environment: 'dev', replicas: 2 },
      samples: [],
      missing: [],
    });
  });

  it("fills a required field without a default with a sample that passes the field's own checks", () => {
    const result = defaultValues(
      template({
        required: ['name', 'short', 'tier', 'size', 'enabled'],
        properties: {
          name: {
            title: 'Name',
            type: 'string',
            pattern: '^[a-z][a-z0-9-]{1,30}$',
          },
          short: { title: 'Short', type: 'string', pattern: '^[a-z]+-[0-9]$' },
          tier: { title: 'Tier', type: 'string', enum: ['small', 'large'] },
          size: { title: 'Size', type: 'integer', minimum: 20 },
          enabled: { title: 'Enabled', type: 'boolean' },
        },
      }),
    );
    expect(result.values).toEqual({
      name: 'example',
      short: 'example-1',
      tier: 'small',
      size: 20,
      enabled: false,
    });
    expect(result.samples.map(s => s.title)).toEqual([
      'Name',
      'Short',
      'Tier',
      'Size',
      'Enabled',
    ]);
    expect(result.missing).toEqual([]);
  });

  it('reports a required field it cannot make up: a picker of catalog entities, text no sample fits', () => {
    const result = defaultValues(
      template({
        required: ['network', 'hostname', 'owner'],
        properties: {
          network: {
            title: 'Private network',
            type: 'string',
            'ui:field': 'EntityPicker',
          },
          hostname: {
            title: 'Host name',
            type: 'string',
            pattern: '\\.[a-z]{2,}$',
          },
          owner: {
            title: 'Owner',
            type: 'string',
            default: 'group:default/guests',
            'ui:field': 'OwnerPicker',
          },
        },
      }),
    );
    expect(result.missing).toEqual(['Private network', 'Host name']);
    expect(result.values).toEqual({ owner: 'group:default/guests' });
  });
});
