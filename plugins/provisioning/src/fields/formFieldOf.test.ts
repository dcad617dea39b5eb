import type { TemplateEntityV1beta3 } from '@backstage/plugin-scaffolder-common';
import { formFieldOf } from './formFieldOf';

const template = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'eks-app-stack' },
  spec: {
    type: 'service',
    parameters: [
      {
        title: 'Service',
        properties: { name: { title: 'Name', type: 'string' } },
      },
      {
        title: 'Stack',
        properties: {
          publicApiEndpoint: {
            title: 'Public Kubernetes API endpoint',
            type: 'boolean',
          },
          location: { type: 'object' },
        },
      },
    ],
    steps: [
      {
        id: 'stack',
        action: 'konductor:stack:provision',
        input: {
          name: '${{ parameters.name }}',
          target: { accountId: '${{ parameters.location.accountId }}' },
          resources: {
            cluster: {
              publicEndpoint: '${{ parameters.publicApiEndpoint }}',
              logging: ['api'],
            },
            database: {
              multiAz: "${{ parameters.environment == 'prod' }}",
              storageGb: 20,
            },
          },
        },
      },
    ],
  },
} as unknown as TemplateEntityV1beta3;

describe('formFieldOf', () => {
  it('names the field a stack spec value is copied from, with its page', () => {
    expect(
      formFieldOf(template, 'stack', 'resources.cluster.publicEndpoint'),
    ).toEqual({
      name: 'publicApiEndpoint',
      title: 'Public Kubernetes API endpoint',
      page: 'Stack',
    });
    // A field without a title is named as it is; part of an object field is that field.
    expect(formFieldOf(template, 'stack', 'target.accountId')).toEqual({
      name: 'location',
      title: 'location',
      page: 'Stack',
    });
  });

  it('names none for what the template fixes or computes, or that it lacks', () => {
    for (const path of [
      'resources.database.multiAz',
      'resources.database.storageGb',
      'resources.cluster.logging',
      'resources.cache.nodeType',
    ])
      expect(formFieldOf(template, 'stack', path)).toBeUndefined();
    expect(
      formFieldOf(template, 'other', 'resources.cluster.publicEndpoint'),
    ).toBeUndefined();
  });
});
