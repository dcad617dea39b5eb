import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'yaml';
import { repoRoot } from './__testUtils__/appConfig';

const exec = promisify(execFile);
const templatesDir = path.join(repoRoot, 'templates');
const templates = fs.readdirSync(templatesDir).sort();

describe('the templates in templates/', () => {
  it('are each registered in the embedded configuration', () => {
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
