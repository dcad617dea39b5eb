import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { JsonObject } from '@backstage/types';
import {
  perMonth,
  ChangePlan,
  ProvisioningClient,
  ProvisioningStack,
  formatProblems,
  planStack,
  runIdFor,
  stackSpecSchema,
  validateStackSpec,
} from '@konductor/plugin-provisioning-common';
import {
  CloudProviders,
  Names,
  refsOnly,
  ProvisioningReporter,
  ResourceOutputs,
  preflightProblems,
  provisionStack,
  stackIdOf,
  StackProvisioningError,
} from '@konductor/plugin-provisioning-node';
import {
  ComplianceCheck,
  describeViolations,
  evaluateStackSpec,
} from '@konductor/plugin-compliance-common';
import { examples } from './stackProvision.examples';
import { examples as reserveExamples } from './stackReserve.examples';
import { gateOutput } from './complianceCheck';
import { reportingRun } from './runReporting';
import { pinStackLocation } from './stackLocation';
import { withStackLease } from './stackLease';
import { changeOfStack, describeChange } from './stackChange';
import { awaitApproval } from './stackApproval';
import {
  MinimumLevels,
  ProvisioningAccounts,
  levelProblem,
  locationProblem,
  provisioningRefusal,
  toCheckpoint,
} from './stackPolicy';

/** Options of {@link createStackProvisionAction}. */
export interface StackProvisionActionOptions {
  /** The cloud providers: a stack goes to the one its target names. */
  providers: CloudProviders;
  /**
   * The provisioning backend as the task's user: the stack is claimed for its owner there before
   * any cloud call, so a name another group owns is refused and only the owner's members (or
   * admins) may change a stack.
   */
  stacks: (credentials: BackstageCredentials) => ProvisioningClient;
  /**
   * The provisioning backend as this platform's service: the stack's lease (one run at a time)
   * and the state of the run's approval request.
   */
  platform: Pick<
    ProvisioningClient,
    'acquireStackLease' | 'releaseStackLease' | 'getApproval'
  >;
  /** Receives every structured event besides the task log (the provisioning runs backend). */
  reporter?: ProvisioningReporter;
  /** Where stacks may go (`konductor.provisioning.accounts`); none configured: nowhere. */
  accounts?: ProvisioningAccounts;
  /** The lowest compliance level per environment (`konductor.compliance.minimumLevels`). */
  minimumLevels?: MinimumLevels;
  /** The gate's checks, with those of registered kinds; default Konductor's. */
  checks?: ComplianceCheck[];
  /** Names for the task's messages, as the catalog presents them; default the refs. */
  names?: Names;
}

const RESERVE_DESCRIPTION =
  "Reserves a stack before a template creates anything else (a repository): the checks of konductor:stack:provision (the compliance gate, what the cloud would refuse, a change it cannot make), the claim for its owner with the owner's budget and quota, and, where the platform's rules ask for it, the approval, which the task waits for holding no worker. It creates nothing in the cloud; the template's konductor:stack:provision step, later in the same task, takes the claim and the approval over instead of asking again. In dry-run it only checks the spec and the gate.";

/**
 * `konductor:stack:reserve` (the same handler, stopping after the approval): placed before a
 * template's other steps, so that nothing is created before the approval.
 */
export function createStackReserveAction(options: StackProvisionActionOptions) {
  return createStackProvisionAction(options, 'reserve');
}

/**
 * `konductor:stack:provision`: provisions a stack (network, PostgreSQL, secrets, EKS cluster,
 * app) in dependency order; resumable from checkpoints, rolled back on failure; in dry-run the
 * plan and monthly cost estimate without any cloud call. The compliance gate runs first: a stack
 * that breaks its compliance level is refused before anything is created.
 */
export function createStackProvisionAction(
  options: StackProvisionActionOptions,
  /** `reserve`: `konductor:stack:reserve`, the same checks, claim and approval, and no more. */
  mode: 'provision' | 'reserve' = 'provision',
) {
  const reserve = mode === 'reserve';
  return createTemplateAction({
    id: reserve ? 'konductor:stack:reserve' : 'konductor:stack:provision',
    description: reserve
      ? RESERVE_DESCRIPTION
      : "Provisions a cloud stack (network, PostgreSQL database, secrets, EKS cluster, app) in dependency order with independent resources in parallel. Before any cloud call it runs the compliance gate (as konductor:compliance:check) and claims the stack for its owner: a stack another group owns, an owner group the user is not a member of, or a level below the environment's minimum is refused. It adopts existing resources only when their tags name this stack and owner. For a stack that exists it plans the change against the stack's last recorded version (output changes) and makes what the kinds change in place (a database's class, storage, Multi-AZ, backups, protection, window, minor version; a cluster's node bounds, its node instance type (a new node group, then the old one deleted), and its Kubernetes version one minor at a time; the app), refusing anything else before any change. A re-run or retry resumes from checkpoints; a permanent failure or cancellation rolls back only what this run created (or retains it with onFailure: retain), and never switches deletion protection off. In dry-run it returns the plan, a monthly cost estimate and whether the name is available, without calling the cloud.",
    examples: reserve ? reserveExamples : examples,
    supportsDryRun: true,
    schema: {
      input: () => stackSpecSchema,
      output: {
        stackId: z =>
          z
            .string()
            .describe(
              'The stack id, <name>-<environment>, prefix of every cloud resource name.',
            ),
        plan: z =>
          z
            .object({})
            .passthrough()
            .describe(
              'Resources in dependency order, parallel waves and per-resource monthly cost.',
            ),
        monthlyCost: z =>
          z
            .number()
            .describe('Estimated monthly cost in USD (on-demand list prices).'),
        monthlyCostText: z =>
          z
            .string()
            .describe(
              "The estimate as every page writes it, such as $162.10/month: for a template's output text.",
            ),
        resources: z =>
          z
            .record(z.any())
            .optional()
            .describe(
              'Outputs of each resource by name (identifiers and endpoints, never secret values).',
            ),
        runUrl: z =>
          z
            .string()
            .optional()
            .describe(
              "The portal path of the run's live page (/provisioning/runs/<id>), when runs are recorded.",
            ),
        compliance: z =>
          z
            .object({})
            .passthrough()
            .describe(
              "The compliance gate's verdict: level, allowed, and the violations (in dry-run the run would be refused when allowed is false).",
            ),
        preflight: z =>
          z
            .array(z.string())
            .describe(
              'What the cloud provider would refuse before creating anything, each saying what to change (a run is refused when there is any).',
            ),
        changes: z =>
          z
            .object({})
            .passthrough()
            .optional()
            .describe(
              "For a stack that exists: what the run changes against the stack's last recorded version, per resource (none, update in place with the fields before and after and whether it interrupts service, create, or refused with why), with the monthly cost before and after. A run with any refusal is refused before anything is changed.",
            ),
        ownership: z =>
          z
            .object({})
            .passthrough()
            .optional()
            .describe(
              "In dry-run: whether the stack name is available to its owner (available, owner, reason), and the request in the owner's budget (budget with committed cost and stack count, adds, newStack, refusal).",
            ),
        appUrl: z => z.string().optional().describe("The app's URL."),
        clusterName: z => z.string().optional(),
        databaseEndpoint: z => z.string().optional(),
        databaseSecretArn: z =>
          z
            .string()
            .optional()
            .describe(
              'ARN of the secret in which RDS keeps (and rotates) the database master password.',
            ),
      },
    },
    async handler(ctx) {
      const provider = options.providers.of(ctx.input);
      const { kinds } = provider;
      const validation = validateStackSpec(ctx.input, kinds, {
        target: provider.target,
      });
      if (!validation.valid)
        throw new InputError(formatProblems(validation.problems));
      const spec = validation.spec;
      if (!spec.owner)
        throw new InputError(
          'owner: name the group that owns the stack, such as group:default/team-a: only its members (and platform admins) may change or destroy it',
        );
      if ((ctx.input as { aws?: unknown }).aws)
        ctx.logger.warn(
          `aws is deprecated: write target: { provider: aws, accountId: "${spec.target.accountId}", region: ${spec.target.region} } instead`,
        );
      const misplaced = locationProblem(spec.target, options.accounts);
      if (misplaced) throw new InputError(misplaced);
      const tooLow = levelProblem(spec, options.minimumLevels ?? {});
      if (tooLow) throw new InputError(tooLow);
      // The compliance gate, before anything is created: a template cannot skip it.
      const verdict = evaluateStackSpec(spec, {
        kinds,
        checks: options.checks,
      });
      ctx.output('compliance', gateOutput(verdict));
      if (!verdict.allowed) {
        const refusal = describeViolations(verdict);
        if (!ctx.isDryRun) throw new InputError(refusal);
        ctx.logger.warn(refusal);
      }
      // What the cloud provider knows it could not create (an app's secret the cluster could not
      // read), also before anything is created: the plan page shows it.
      const refusals = preflightProblems({
        spec,
        provider,
        runId: runIdFor(ctx.task.id, stackIdOf(spec)),
      }).map(e => e.message);
      ctx.output('preflight', refusals);
      if (refusals.length) {
        const refusal = `Refused before anything is created: ${refusals.join(
          '; ',
        )}`;
        if (!ctx.isDryRun) throw new InputError(refusal);
        ctx.logger.warn(refusal);
      }
      const stacks = options.stacks(await ctx.getInitiatorCredentials());
      // For a stack that exists, what the run changes, against its recorded desired state: a
      // change Konductor cannot make is refused before anything is changed. Read as the user
      // (who may see the stack); checkpointed, as the claim is, for a task resumed after the
      // user's token expired.
      const change = ctx.isDryRun
        ? await changeOfStack(stacks, spec, kinds)
        : (
            (await ctx.checkpoint({
              key: `konductor.stack.${stackIdOf(spec)}.changes`,
              fn: async () =>
                toCheckpoint({
                  plan: (await changeOfStack(stacks, spec, kinds)) ?? null,
                }),
            })) as unknown as { plan: ChangePlan | null }
          ).plan ?? undefined;
      if (change) {
        ctx.output('changes', change as unknown as JsonObject);
        for (const line of describeChange(change)) ctx.logger.info(line);
        if (change.refusals.length) {
          const refusal = `Refused before anything is changed: ${change.refusals.join(
            '; ',
          )}`;
          if (!ctx.isDryRun) throw new InputError(refusal);
          ctx.logger.warn(refusal);
        }
      }
      const plan = planStack(spec, kinds);
      // The owner's budget and quota are checked with the claim, against the plan's cost.
      const claim = {
        accountId: spec.target.accountId,
        region: spec.target.region,
        name: spec.name,
        environment: spec.environment,
        owner: spec.owner,
        monthlyCost: plan.monthlyCost,
      };
      ctx.output('stackId', stackIdOf(spec));
      ctx.output('plan', plan as unknown as JsonObject);
      ctx.output('monthlyCost', plan.monthlyCost);
      ctx.output('monthlyCostText', perMonth(plan.monthlyCost));
      const planLines = plan.waves.map(
        (wave, i) =>
          `${i + 1}. ${wave
            .map(id => plan.resources.find(r => r.id === id)!)
            .map(r => `${r.id}: ${r.summary} (${perMonth(r.monthlyCost)})`)
            .join(' | ')}`,
      );
      ctx.logger.info(
        `Plan for ${stackIdOf(spec)} (estimated ${perMonth(
          plan.monthlyCost,
        )}):`,
      );
      for (const line of planLines) ctx.logger.info(`  ${line}`);
      // The provision step shows the plan page what it would do.
      if (ctx.isDryRun && reserve) return;
      if (ctx.isDryRun) {
        const availability = await stacks
          .stackAvailability(claim)
          .catch(e => Promise.reject(provisioningRefusal(e)));
        ctx.output('ownership', toCheckpoint(availability));
        if (!availability.available) ctx.logger.warn(availability.reason!);
        if (availability.budget?.refusal)
          ctx.logger.warn(availability.budget.refusal);
        return;
      }
      await pinStackLocation(ctx, stackIdOf(spec), spec.target);
      // Whose the stack is, before any cloud call: refused when another group owns the name or
      // the user may not act for this owner. Checkpointed: a task resumed after a crash, maybe
      // after the user's token expired, does not ask again.
      const claimed = (await ctx.checkpoint({
        key: `konductor.stack.${stackIdOf(spec)}.claim`,
        fn: async () =>
          toCheckpoint(
            (
              await stacks
                .claimStack({
                  ...claim,
                  ...(spec.expiresAt ? { expiresAt: spec.expiresAt } : {}),
                })
                .catch(e => Promise.reject(provisioningRefusal(e)))
            ).stack,
          ),
      })) as unknown as ProvisioningStack;
      const name = await (options.names ?? refsOnly)([claimed.owner]);
      ctx.logger.info(
        `Stack ${claimed.stackId} belongs to ${name(claimed.owner)}`,
      );
      // A run the platform's rules send to approval waits for it here, holding no worker.
      await awaitApproval(ctx, options, {
        operation: change ? 'change' : 'provision',
        accountId: claimed.accountId,
        region: claimed.region,
        stackId: claimed.stackId,
        environment: spec.environment,
        owner: claimed.owner,
        monthlyCost: plan.monthlyCost,
        summary: change ? describeChange(change) : planLines,
        compliance: {
          level: verdict.level,
          allowed: verdict.allowed,
          violations: verdict.violations.length,
        },
      });
      if (reserve) {
        ctx.logger.info(
          `Stack ${claimed.stackId} is reserved for ${name(
            claimed.owner,
          )}: the provision step creates it`,
        );
        return;
      }

      const { run, onEvent } = reportingRun(
        ctx,
        spec,
        plan.resources.map(r => ({
          resource: r.id,
          kind: r.kind,
          dependsOn: r.dependsOn,
          typicalCreateSeconds: r.typicalCreateSeconds,
          catalogType: r.catalogType,
        })),
        options.reporter,
        { provision: { monthlyCost: plan.monthlyCost } },
      );
      const runId = runIdFor(run.taskId, run.stackId);
      const runUrl = `/provisioning/runs/${encodeURIComponent(runId)}`;
      if (options.reporter) ctx.output('runUrl', runUrl);
      let outputs;
      try {
        outputs = await withStackLease(
          {
            leases: options.platform,
            stack: claimed,
            holder: runId,
            logger: ctx.logger,
            signal: ctx.signal ?? new AbortController().signal,
          },
          signal =>
            provisionStack({
              spec,
              runId,
              provider,
              signal,
              onEvent,
              checkpoint: <T extends ResourceOutputs>(
                key: string,
                fn: () => Promise<T>,
              ) => ctx.checkpoint<T>({ key, fn }),
            }),
        );
      } catch (error) {
        // The task page shows the message as its title (markdown): it leads to the run, which
        // lists each resource's events and what the rollback deleted, and may be retried there.
        if (options.reporter && error instanceof StackProvisioningError)
          error.message = `${error.message} [Open its run](${runUrl}) for each resource's events, and to retry it.`;
        throw error;
      } finally {
        await options.reporter?.flush(run);
      }
      ctx.output('resources', outputs as JsonObject);
      // The shortcuts name the stack's one resource of each kind (several databases: none).
      const only = (kind: string) => {
        const named = Object.keys(spec.resources).filter(
          n => spec.resources[n].kind === kind,
        );
        return named.length === 1 ? outputs[named[0]] : undefined;
      };
      const [app, cluster, database] = [
        only('app'),
        only('cluster'),
        only('database'),
      ];
      if (app) ctx.output('appUrl', String(app.url));
      if (cluster) ctx.output('clusterName', String(cluster.clusterName));
      if (database) {
        ctx.output('databaseEndpoint', `${database.endpoint}:${database.port}`);
        ctx.output('databaseSecretArn', String(database.masterUserSecretArn));
      }
    },
  });
}
