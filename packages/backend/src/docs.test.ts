import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import { loadConfigSchema } from '@backstage/config-loader';
import { readAppConfigs, repoRoot } from './__testUtils__/appConfig';

/** The fenced blocks of `lang` in a markdown file. */
function blocks(file: string, lang: string): string[] {
  const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
  return [
    ...text.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g')),
  ].map(m => m[1]);
}

describe("the admin guide's configuration snippets", () => {
  const snippets = blocks('docs/admin-guide.md', 'yaml');

  it('are each valid configuration for this portal', async () => {
    expect(snippets.length).toBeGreaterThanOrEqual(6);
    // The schema of every package the backend and the app are built from (config.d.ts files).
    const schema = await loadConfigSchema({ dependencies: ['backend', 'app'] });
    // Each on top of the embedded defaults, as an app-config.production.yaml would be.
    const base = yaml.parse(
      fs.readFileSync(path.join(repoRoot, 'app-config.yaml'), 'utf8'),
    );
    for (const snippet of snippets) {
      const data = yaml.parse(snippet);
      expect(() =>
        schema.process([
          { data: base, context: 'app-config.yaml' },
          { data, context: 'docs/admin-guide.md' },
        ]),
      ).not.toThrow();
    }
  });

  it('would catch a snippet that breaks the schema', async () => {
    const schema = await loadConfigSchema({ dependencies: ['backend', 'app'] });
    expect(() =>
      schema.process([
        {
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            backend: { baseUrl: 'http://localhost:7007' },
            konductor: {
              provisioning: { accounts: [{ accountId: '111111111111' }] },
            },
          },
          context: 'broken',
        },
      ]),
    ).toThrow(
      "must have required property 'regions' { missingProperty=regions } at /konductor/provisioning/accounts/0",
    );
  });
});

describe('app-config.production.yaml', () => {
  it('is valid configuration on top of the embedded defaults', async () => {
    const schema = await loadConfigSchema({ dependencies: ['backend', 'app'] });
    // Every ${VAR} as some value: what matters is the shape around them.
    const appConfigs = await readAppConfigs(
      ['app-config.yaml', 'app-config.production.yaml'],
      async name => (name === 'POSTGRES_PORT' ? '5432' : `x-${name}`),
    );
    expect(() => schema.process(appConfigs)).not.toThrow();
    const production = appConfigs.find(c =>
      c.context.endsWith('app-config.production.yaml'),
    )!.data as any;
    expect(
      production.auth.providers.github.production.signIn.resolvers,
    ).toEqual([{ resolver: 'usernameMatchingUserEntityName' }]);
    expect(production.konductor.signIn.providers).toEqual(['github']);
    // Collecting the config schema of every package reads them all: seconds on a busy machine.
  }, 60_000);
});
