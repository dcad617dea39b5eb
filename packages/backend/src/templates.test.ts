import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'yaml';
import { validateServiceDefinitionSpec } from '@konductor/plugin-catalog-backend-module-konductor';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import {
  BUILT_IN_RESOURCE_KINDS,
  formInWords,
  validateStackSpec,
} from '@konductor/plugin-provisioning-common';
import { domain } from '@konductor/plugin-scaffolder-backend-module-konductor-domain';
import { cache } from '@konductor/plugin-scaffolder-backend-module-konductor-redis';
import { bucket } from '@konductor/plugin-scaffolder-backend-module-konductor-s3';
import { repoRoot } from './__testUtils__/appConfig';

const exec = promisify(execFile);
const templatesDir = path.join(repoRoot, 'templates');
const templates = fs.readdirSync(templatesDir).sort();
/** The kinds the backend registers: the built-in ones and the modules' (S3 bucket, Redis cache, domain). */
const kinds = BUILT_IN_RESOURCE_KINDS.with(bucket, cache, domain);

/** A parameter's value for a form left at its defaults (the stack name and owner filled in). */
function exampleParameters(spec: any): Record<string, unknown> {
  const pages = Array.isArray(spec.parameters)
    ? spec.parameters
    : [spec.parameters];
  const values: Record<string, unknown> = {
    name: 'example',
    owner: 'group:default/team-a',
    location: { accountId: '123456789012', region: 'us-east-1' },
  };
  for (const page of pages)
    for (const [name, p] of Object.entries<any>(page?.properties ?? {}))
      values[name] ??= p.default ?? p.enum?.[0];
  return values;
}

/** `value` with `${{ parameters.x.y }}` filled in; a whole-value expression keeps its type. */
function render(value: unknown, params: Record<string, unknown>): unknown {
  const read = (p: string) =>
    p.split('.').reduce<any>((v, k) => v?.[k], params);
  if (typeof value === 'string') {
    const whole = /^\$\{\{\s*parameters\.([\w.]+)\s*\}\}$/.exec(value);
    if (whole) return read(whole[1]);
    return value.replace(/\$\{\{\s*parameters\.([\w.]+)\s*\}\}/g, (_, p) =>
      String(read(p)),
    );
  }
  if (Array.isArray(value)) return value.map(v => render(v, params));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, render(v, params)]),
    );
  return value;
}

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
      const spec = yaml.parse(fs.readFileSync(file, 'utf8')).spec;
      const result = validateServiceDefinitionSpec(spec, kinds);
      expect({ file, problems: result.valid ? [] : result.problems }).toEqual({
        file,
        problems: [],
      });
      // Its stack, as the form's defaults render it, is one the stack action accepts.
      const stack = spec.fulfilment.automated?.stack;
      const stackProblems = stack
        ? validateStackSpec(render(stack, exampleParameters(spec)), kinds)
            .problems
        : [];
      expect({ file, stackProblems }).toEqual({ file, stackProblems: [] });
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

  it("tell in words what each field's pattern asks, where the catalog cannot put it in words", () => {
    // The catalog gives every template's fields their words (TemplateFormWordsProcessor); a
    // pattern it cannot put in words needs the template's own.
    const fields: Array<{ file: string; name: string; message?: string }> = [];
    for (const t of templates) {
      const file = path.join(templatesDir, t, 'template.yaml');
      const spec = fs.existsSync(file)
        ? yaml.parse(fs.readFileSync(file, 'utf8')).spec
        : { parameters: [] };
      for (const page of [formInWords(spec.parameters)].flat() as any[])
        for (const [name, field] of Object.entries<any>(page.properties ?? {}))
          if (field.pattern)
            fields.push({ file, name, message: field.errorMessage?.pattern });
    }
    expect(fields.length).toBeGreaterThanOrEqual(6);
    expect(fields.filter(f => !/^must be /.test(f.message ?? ''))).toEqual([]);
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
