import { labelSelector } from './ArgoCdFetcher';

describe('labelSelector', () => {
  const labels = {
    app: 'web',
    tier: 'front',
    'konductor.dev/stack': 'web-dev',
  };

  it.each([
    ['', true],
    ['konductor.dev/stack=web-dev', true],
    ['konductor.dev/stack==web-dev', true],
    ['konductor.dev/stack=shop-dev', false],
    ['app=web,tier!=back', true],
    ['app=web,tier!=front', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['tier in (front, back)', true],
    ['tier notin (front,back)', false],
    ['app=web,tier in (back)', false],
    ['missing notin (a)', true],
  ])('"%s" matches: %s', (selector, expected) => {
    expect(labelSelector(selector)(labels)).toBe(expected);
  });

  it('matches nothing labelled when an object has no labels', () => {
    expect(labelSelector('app=web')(undefined)).toBe(false);
    expect(labelSelector('!app')(undefined)).toBe(true);
  });

  it('names a selector it cannot read', () => {
    expect(() => labelSelector('app=web,tier > 2')).toThrow(
      'label selector "app=web,tier > 2": cannot understand "tier > 2"',
    );
  });
});
