import { runsFilterOf } from './EntityRunsContent';

const entity = (kind: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name: 'shop', namespace: 'default', annotations },
});

describe('runsFilterOf', () => {
  it("lists a template's tasks' runs", () => {
    expect(runsFilterOf(entity('Template'))).toEqual({
      templateRef: 'template:default/shop',
    });
  });

  it("lists a service definition's runs: those of the Template generated from it", () => {
    expect(
      runsFilterOf({
        ...entity('ServiceDefinition'),
        apiVersion: 'konductor.dev/v1alpha1',
      }),
    ).toEqual({ templateRef: 'template:default/shop' });
  });

  it('lists the runs of the stack a generated component names', () => {
    expect(
      runsFilterOf(
        entity('Component', {
          'konductor.dev/stack-ref': '123456789012/us-east-1/shop-dev',
        }),
      ),
    ).toEqual({
      accountId: '123456789012',
      region: 'us-east-1',
      stackId: 'shop-dev',
    });
  });

  it("lists the runs of a stack's System and Resources by their stack, account and region", () => {
    expect(
      runsFilterOf(
        entity('System', {
          'konductor.dev/stack': 'shop-dev',
          'konductor.dev/aws-account': '123456789012',
          'konductor.dev/aws-region': 'us-east-1',
        }),
      ),
    ).toEqual({
      accountId: '123456789012',
      region: 'us-east-1',
      stackId: 'shop-dev',
    });
  });

  it('lists the runs recorded for any other entity, and never guesses a stack from part of one', () => {
    expect(runsFilterOf(entity('Component'))).toEqual({
      entityRef: 'component:default/shop',
    });
    expect(
      runsFilterOf(entity('Resource', { 'konductor.dev/stack': 'shop-dev' })),
    ).toEqual({ entityRef: 'resource:default/shop' });
  });
});
