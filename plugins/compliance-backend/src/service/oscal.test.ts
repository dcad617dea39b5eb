import { toAssessmentResults, oscalControlId } from './oscal';
import { validateAssessmentResults } from '../__testUtils__/validateOscal';

const at = '2026-11-20T10:00:00.000Z';
const entity = {
  entityRef: 'resource:default/shop-db',
  kind: 'Resource',
  owner: 'group:default/payments',
  environment: 'prod',
  level: 'moderate',
};
const result = (checkId: string, status: any, controls: string[]) => ({
  entityRef: entity.entityRef,
  checkId,
  status,
  controls,
  message: `${checkId} is ${status}.`,
  evidence: [
    { fact: 'database.multiAz', value: false, source: 'aws:rds', readAt: at },
  ],
  evaluatedAt: at,
});
const exportOf = (results: any[], entities: any[] = [entity]): any =>
  toAssessmentResults({
    entities,
    results,
    controlsUrl: 'http://localhost:7007/api/compliance/controls',
    now: new Date('2026-11-21T00:00:00Z'),
  });
const findings = (doc: any) => doc['assessment-results'].results[0].findings;

describe('the OSCAL assessment-results export', () => {
  it('names controls as the OSCAL SP 800-53 catalog does', () => {
    expect(oscalControlId('IA-5(1)')).toBe('ia-5.1');
    expect(oscalControlId('SC-28')).toBe('sc-28');
  });

  it('satisfies a control only when every check evidencing it passed', () => {
    const doc = exportOf([
      result('database-backups', 'pass', ['CP-9']),
      result('database-deletion-protection', 'fail', ['CP-9']),
      result('database-encryption', 'pass', ['SC-28']),
      result('database-multi-az', 'not-applicable', ['CP-10']),
    ]);
    expect(validateAssessmentResults(doc)).toEqual([]);
    const byControl = Object.fromEntries(
      findings(doc).map((f: any) => [f.target['target-id'], f]),
    );
    // Not applicable: no observation, no finding.
    expect(Object.keys(byControl).sort()).toEqual(['cp-9_obj', 'sc-28_obj']);
    expect(byControl['cp-9_obj'].target.status).toEqual({
      state: 'not-satisfied',
      reason: 'fail',
    });
    expect(byControl['cp-9_obj']['related-observations']).toHaveLength(2);
    expect(byControl['sc-28_obj'].target.status).toEqual({
      state: 'satisfied',
    });
    const [observation] = doc['assessment-results'].results[0].observations;
    expect(observation['relevant-evidence']).toEqual([
      { description: `database.multiAz = false (read from aws:rds at ${at})` },
    ]);
  });

  it('reports a waived check and a failed fact source as not satisfied, saying which', () => {
    const doc = exportOf([
      result('database-multi-az', 'waived', ['CP-10']),
      {
        ...result('database-encryption', 'error', ['SC-28']),
        evidence: [
          {
            fact: 'database.encrypted',
            source: 'aws:rds',
            readAt: at,
            error: 'RDS answered 500',
          },
        ],
      },
    ]);
    expect(validateAssessmentResults(doc)).toEqual([]);
    const [waived, error] = findings(doc);
    expect(waived.target.status.state).toBe('not-satisfied');
    expect(waived.target.remarks).toContain('waived by an exemption');
    expect(error.target.status).toEqual({
      state: 'not-satisfied',
      reason: 'other',
    });
    expect(
      doc['assessment-results'].results[0].observations[1][
        'relevant-evidence'
      ][0].description,
    ).toContain('could not be read from aws:rds');
  });

  it('is still a valid document with nothing evaluated', () => {
    expect(validateAssessmentResults(exportOf([], []))).toEqual([]);
  });

  it('is caught by the validator when it breaks the model', () => {
    const doc: any = exportOf([result('database-backups', 'fail', ['CP-9'])]);
    doc['assessment-results'].results[0].findings[0].target.status.state =
      'failed';
    delete doc['assessment-results'].metadata['oscal-version'];
    doc['assessment-results'].results[0].findings[0]['related-observations'][0][
      'observation-uuid'
    ] = '00000000-0000-4000-8000-000000000000';
    const problems = validateAssessmentResults(doc);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("must have required property 'oscal-version'"),
        expect.stringContaining('must be equal to one of the allowed values'),
        expect.stringContaining(
          'references 00000000-0000-4000-8000-000000000000',
        ),
      ]),
    );
  });
});
