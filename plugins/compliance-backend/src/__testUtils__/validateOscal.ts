import Ajv from 'ajv';
import schema from './oscal-assessment-results.schema.json';

const validate = new Ajv({ allErrors: true }).compile(schema);

/**
 * Checks an assessment-results document against the schema, and that every UUID it references
 * (observation subjects, findings' observations, the imported plan) is defined in it, which no
 * JSON Schema can say. Returns the problems, empty when there are none.
 */
export function validateAssessmentResults(doc: any): string[] {
  const problems = validate(doc)
    ? []
    : (validate.errors ?? []).map(e => `${e.instancePath} ${e.message}`);
  const ar = doc?.['assessment-results'];
  const defined = new Set<string>();
  for (const r of ar?.results ?? []) {
    for (const c of r['local-definitions']?.components ?? [])
      defined.add(c.uuid);
    for (const o of r.observations ?? []) defined.add(o.uuid);
  }
  for (const res of ar?.['back-matter']?.resources ?? [])
    defined.add(`#${res.uuid}`);
  const need = (uuid: string, where: string) => {
    if (!defined.has(uuid)) problems.push(`${where} references ${uuid}`);
  };
  need(ar?.['import-ap']?.href, 'import-ap');
  for (const r of ar?.results ?? []) {
    for (const o of r.observations ?? [])
      for (const s of o.subjects ?? []) need(s['subject-uuid'], o.uuid);
    for (const f of r.findings ?? [])
      for (const o of f['related-observations'] ?? [])
        need(o['observation-uuid'], f.uuid);
  }
  return problems;
}
