import type { JsonObject } from '@backstage/types';
import type {
  ScaffolderApi,
  TemplateEntityV1beta3,
} from '@backstage/plugin-scaffolder-common';
import type { GateVerdict } from '@konductor/plugin-compliance-common';
import type {
  ChangePlan,
  StackAvailability,
  StackPlan,
} from '@konductor/plugin-provisioning-common';
import { formFieldOf, type FormFieldRef } from './formFieldOf';

/** The compliance gate's verdict, as `konductor:stack:provision` outputs it in dry-run. */
export type GateVerdictOutput = Pick<
  GateVerdict,
  'level' | 'environment' | 'allowed' | 'violations'
>;

/** One stack a template would provision: its plan, cost, the gate's verdict and whose it would be. */
export interface StackPreview {
  step: string;
  plan: StackPlan;
  compliance: GateVerdictOutput;
  /** Whether its owner may have the stack's name. */
  ownership?: StackAvailability;
  /** What the cloud provider would refuse before creating anything (each says what to change). */
  preflight: string[];
  /** For a stack that exists: what the run changes against its recorded version. */
  changes?: ChangePlan;
  /** The form field that sets each spec field the gate asks to change, where one does. */
  formFields: Record<string, FormFieldRef>;
}

/** The steps a preview runs: they only read and plan, and all support dry-run. */
const PREVIEW_ACTIONS = [
  'konductor:stack:outputs',
  'konductor:stack:provision',
];

/**
 * Previews the stacks `template` would provision with `values`: a scaffolder dry-run of the
 * template's `konductor:stack:outputs` and `konductor:stack:provision` steps alone, so the real
 * template engine renders the stack spec and the stack action itself plans, prices and runs the
 * compliance gate (it creates nothing in dry-run). Nothing else of the template runs.
 */
export async function previewStacks(
  scaffolder: Pick<ScaffolderApi, 'dryRun'>,
  template: TemplateEntityV1beta3,
  values: JsonObject,
): Promise<StackPreview[]> {
  const stacks = template.spec.steps.filter(
    s => s.action === 'konductor:stack:provision',
  );
  if (!stacks.length) return [];
  const output: Record<string, string> = {};
  for (const s of stacks) {
    output[`${s.id}-plan`] = `\${{ steps['${s.id}'].output.plan | dump }}`;
    output[
      `${s.id}-compliance`
    ] = `\${{ steps['${s.id}'].output.compliance | dump }}`;
    output[
      `${s.id}-ownership`
    ] = `\${{ steps['${s.id}'].output.ownership | dump }}`;
    output[
      `${s.id}-preflight`
    ] = `\${{ steps['${s.id}'].output.preflight | dump }}`;
    output[
      `${s.id}-changes`
    ] = `\${{ steps['${s.id}'].output.changes | dump }}`;
  }
  const response = await scaffolder.dryRun({
    template: {
      ...template,
      spec: {
        ...template.spec,
        steps: template.spec.steps.filter(s =>
          PREVIEW_ACTIONS.includes(s.action),
        ),
        output,
      },
    },
    values,
    directoryContents: [],
  });
  const parsed = (v: unknown) =>
    typeof v === 'string' && v ? JSON.parse(v) : undefined;
  return stacks.map(s => {
    const plan = parsed(response.output[`${s.id}-plan`]);
    const compliance = parsed(response.output[`${s.id}-compliance`]);
    if (!plan || !compliance) {
      // The step did not run: its log says why (an input error, usually).
      const reason = response.log
        .map(l => l.body.message)
        .filter(m => /error|invalid|fail/i.test(m ?? ''))
        .pop();
      throw new Error(
        reason ?? `The stack step "${s.id}" produced no plan in the preview`,
      );
    }
    const step = s.id ?? 'stack';
    const formFields: Record<string, FormFieldRef> = {};
    for (const v of (compliance as GateVerdictOutput).violations)
      for (const path of v.fields) {
        const field = formFieldOf(template, step, path);
        if (field) formFields[path] = field;
      }
    return {
      step,
      formFields,
      plan,
      compliance,
      ownership: parsed(response.output[`${s.id}-ownership`]),
      preflight: parsed(response.output[`${s.id}-preflight`]) ?? [],
      changes: parsed(response.output[`${s.id}-changes`]),
    };
  });
}
