import type { Entity } from '@backstage/catalog-model';
import { githubHostOf } from './factSources';

const withAnnotations = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'shop', annotations },
});

describe('githubHostOf', () => {
  it("reads the repository's host from the source location, then the registering location", () => {
    expect(
      githubHostOf(
        withAnnotations({
          'backstage.io/source-location':
            'url:https://ghe.acme.example/acme/shop/tree/main/',
          'backstage.io/managed-by-location':
            'url:http://127.0.0.1:4566/acme/shop/blob/main/catalog-info.yaml',
        }),
      ),
    ).toBe('ghe.acme.example');
    expect(
      githubHostOf(
        withAnnotations({
          'backstage.io/managed-by-location':
            'url:http://127.0.0.1:4566/acme/shop/blob/main/catalog-info.yaml',
        }),
      ),
    ).toBe('127.0.0.1:4566');
  });

  it('falls back to github.com for file locations and entities without one', () => {
    expect(
      githubHostOf(
        withAnnotations({
          'backstage.io/managed-by-location': 'file:/repo/catalog-info.yaml',
        }),
      ),
    ).toBe('github.com');
    expect(githubHostOf(withAnnotations({}))).toBe('github.com');
  });
});
