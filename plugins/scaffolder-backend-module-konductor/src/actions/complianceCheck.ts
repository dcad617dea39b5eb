import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { JsonObject } from '@backstage/types';
import {
  ComplianceCheck,
  GateVerdict,
  describeViolations,
  evaluateStackSpec,
} from '@konductor/plugin-compliance-common';
import type { CloudProviders } from '@konductor/plugin-provisioning-node';
import {
  formatProblems,
  stackSpecSchema,
  validateStackSpec,
} from '@konductor/plugin-provisioning-common';
import { examples } from './complianceCheck.examples';
import { levelProblem, MinimumLevels } from './stackPolicy';

/** The verdict as a step output: what was decided and why, without the per-check evidence. */
export function gateOutput(verdict: GateVerdict) {
  return {
    level: verdict.level,
    environment: verdict.environment,
    allowed: verdict.allowed,
    violations: verdict.violations as unknown as JsonObject[],
    checks: verdict.results.map(({ resource, result }) => ({
      resource,
      checkId: result.checkId,
      controls: result.controls,
      status: result.status,
      message: result.message,
    })) as JsonObject[],
  };
}

/**
 * `konductor:compliance:check`: evaluates a stack spec against its compliance level with the
 * checks that evaluate existing entities, and fails the task with every violation and what to
 * change, before anything is created. `konductor:stack:provision` runs the same gate itself.
 */
export function createComplianceCheckAction(options: {
  /** The lowest compliance level per environment (`konductor.compliance.minimumLevels`). */
  minimumLevels?: MinimumLevels;
  /** The cloud providers: a stack's target names its provider, whose kinds it may use. */
  providers: CloudProviders;
  /** The checks, with those of registered kinds; default Konductor's. */
  checks?: ComplianceCheck[];
}) {
  return createTemplateAction({
    id: 'konductor:compliance:check',
    description:
      "Checks a stack spec (konductor:stack:provision's input) against its complianceLevel (NIST SP 800-53 rev 5, FISMA baselines) before anything is created; fails with every violation, the field to change and the control.",
    examples,
    supportsDryRun: true,
    schema: {
      input: () => stackSpecSchema,
      output: {
        allowed: z => z.boolean(),
        level: z => z.string(),
        violations: z =>
          z
            .array(z.object({}).passthrough())
            .describe(
              'Each: resource, checkId, controls, fields, message, remediation.',
            ),
        checks: z =>
          z
            .array(z.object({}).passthrough())
            .describe(
              'Every check run: resource, checkId, controls, status, message.',
            ),
      },
    },
    async handler(ctx) {
      const { kinds, target } = options.providers.of(ctx.input);
      const validation = validateStackSpec(ctx.input, kinds, { target });
      if (!validation.valid)
        throw new InputError(formatProblems(validation.problems));
      const tooLow = levelProblem(validation.spec, options.minimumLevels ?? {});
      if (tooLow) throw new InputError(tooLow);
      const verdict = evaluateStackSpec(validation.spec, {
        kinds,
        checks: options.checks,
      });
      const output = gateOutput(verdict);
      ctx.output('allowed', verdict.allowed);
      ctx.output('level', verdict.level);
      ctx.output('violations', output.violations);
      ctx.output('checks', output.checks);
      const counts = verdict.results.reduce<Record<string, number>>(
        (n, { result }) => ({
          ...n,
          [result.status]: (n[result.status] ?? 0) + 1,
        }),
        {},
      );
      ctx.logger.info(
        `Compliance (${verdict.level}, ${
          verdict.environment
        }): ${Object.entries(counts)
          .map(([status, n]) => `${n} ${status}`)
          .join(', ')}`,
      );
      if (!verdict.allowed) throw new InputError(describeViolations(verdict));
    },
  });
}
