import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'yaml';
import { validateServiceDefinitionSpec } from '@konductor/plugin-catalog-backend-module-konductor';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import { repoRoot } from './__testUtils__/appConfig';

const exec = promisify(execFile);
const templatesDir = path.join(repoRoot, 'templates');
const templates = fs.readdirSync(templatesDir).sort();

describe('the templates in templates/', () => {
  it('are each registered in the embedded configuration, as are the example definitions', () => {
    const config = yaml.parse(
      fs.readFileSync(path.join(repoRoot, 'app-config.yaml'), 'utf8'),
    );
    const registered = config.catalog.locations.map((l: any) =>
      path.resolve(repoRoot, 'packages/backend', l.target),
    );
    for (const name of templates) {
      const files = ['template.yaml', 'service-definition.yaml']
        .map(f => path.join(templatesDir, name, f))
        .filter(f => fs.existsSync(f));
      expect({ name, files: files.length }).toEqual({ name, files: 1 });
      expect(registered).toContain(files[0]);
    }
    const definitionsDir = path.join(repoRoot, 'catalog/service-definitions');
    for (const file of fs.readdirSync(definitionsDir))
      expect(registered).toContain(path.join(definitionsDir, file));
  });

  it('are each valid: service definitions as the catalog validates them, templates as the scaffolder does', async () => {
    const definitions = [
      ...templates.map(t =>
        path.join(templatesDir, t, 'service-definition.yaml'),
      ),
      ...fs
        .readdirSync(path.join(repoRoot, 'catalog/service-definitions'))
        .map(f => path.join(repoRoot, 'catalog/service-definitions', f)),
    ].filter(f => fs.existsSync(f));
    expect(definitions.length).toBeGreaterThanOrEqual(4);
    for (const file of definitions) {
      const result = validateServiceDefinitionSpec(
        yaml.parse(fs.readFileSync(file, 'utf8')).spec,
      );
      expect({ file, problems: result.valid ? [] : result.problems }).toEqual({
        file,
        problems: [],
      });
    }
    const handWritten = templates
      .map(t => path.join(templatesDir, t, 'template.yaml'))
      .filter(f => fs.existsSync(f));
    expect(handWritten.length).toBeGreaterThanOrEqual(3);
    for (const file of handWritten)
      expect({
        file,
        valid: await templateEntityV1beta3Validator.check(
          yaml.parse(fs.readFileSync(file, 'utf8')),
        ),
      }).toEqual({ file, valid: true });
  });

  // Each skeleton is a small working program: its own tests run as they will in its repository.
  it.each(
    templates.filter(t =>
      fs.existsSync(path.join(templatesDir, t, 'skeleton', 'package.json')),
    ),
  )("%s: the skeleton's own tests pass", async name => {
    const { stdout } = await exec(process.execPath, ['--test'], {
      cwd: path.join(templatesDir, name, 'skeleton'),
      timeout: 60_000,
      env: { PATH: process.env.PATH },
    });
    expect(stdout).toMatch(/# pass [1-9]/);
    expect(stdout).toContain('# fail 0');
  });
});
