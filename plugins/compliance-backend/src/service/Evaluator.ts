import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_COMPLIANCE_LEVEL,
  ANNOTATION_ENVIRONMENT,
  CheckResult,
  CHECKS,
  ComplianceCheck,
  LEVELS,
  Level,
  checksFor,
  runCheck,
} from '@konductor/plugin-compliance-common';
import type { ComplianceStore, EntityEvaluation } from './ComplianceStore';
import type { FactSource } from '@konductor/plugin-compliance-node';
import { readFacts } from './factSources';

const ENVIRONMENTS = ['dev', 'staging', 'prod'];

/** The kinds compliance evaluates. */
export const EVALUATED_KINDS = ['Component', 'API', 'Resource', 'System'];

/**
 * Evaluates entities: reads their facts from every applicable source, runs every applicable
 * check at the entity's level and environment, applies unexpired exemptions, and stores the
 * results (the store keeps history and the last known good result).
 */
export class Evaluator {
  constructor(
    private readonly options: {
      store: ComplianceStore;
      sources: FactSource[];
      /** The checks: Konductor's and those modules add; default Konductor's. */
      checks?: ComplianceCheck[];
      /** Level of entities that do not name one (konductor.compliance.defaultLevel). */
      defaultLevel: Level;
      now?: () => Date;
      /** How many entities read their facts at once. */
      concurrency?: number;
    },
  ) {}

  /** Every check it runs: Konductor's and those modules added. */
  get checks(): ComplianceCheck[] {
    return this.options.checks ?? CHECKS;
  }

  private now() {
    return this.options.now?.() ?? new Date();
  }

  /** The level and environment an entity is held to. */
  contextOf(entity: Entity): { level: Level; environment?: string } {
    const annotations = entity.metadata.annotations ?? {};
    const level = annotations[ANNOTATION_COMPLIANCE_LEVEL] as Level;
    const environment =
      annotations[ANNOTATION_ENVIRONMENT] ??
      entity.metadata.tags?.find(t => ENVIRONMENTS.includes(t));
    return {
      level: LEVELS.includes(level) ? level : this.options.defaultLevel,
      ...(environment ? { environment } : {}),
    };
  }

  /**
   * Evaluates one entity without storing it. It is stamped with the moment before its exemptions
   * are read: of two evaluations, the one stamped later read them later, and is the one kept
   * (ComplianceStore.save), so that a long batch does not undo an approval made while it ran.
   */
  private async evaluateEntity(entity: Entity): Promise<EntityEvaluation> {
    const now = this.now();
    const entityRef = stringifyEntityRef(entity);
    const waived = new Set(
      (
        await this.options.store.listExemptions({ entityRef, activeAt: now })
      ).map(e => e.checkId),
    );
    const { level, environment } = this.contextOf(entity);
    const target = {
      kind: entity.kind,
      type: (entity.spec as any)?.type,
      annotations: entity.metadata.annotations,
    };
    const checks = checksFor(target, this.checks);
    const facts = checks.length
      ? await readFacts(entity, this.options.sources, () => this.now())
      : {};
    const results: CheckResult[] = checks.map(check => {
      const result = runCheck(check, facts, { level, environment, now });
      return result.status === 'fail' && waived.has(check.id)
        ? { ...result, status: 'waived' }
        : result;
    });
    const spec = (entity.spec ?? {}) as Record<string, any>;
    return {
      entityRef,
      kind: entity.kind,
      ...(target.type ? { type: String(target.type) } : {}),
      ...(spec.owner ? { owner: String(spec.owner) } : {}),
      ...(spec.system ? { system: String(spec.system) } : {}),
      ...(environment ? { environment } : {}),
      level,
      ...(entity.metadata.etag ? { etag: entity.metadata.etag } : {}),
      results,
      evaluatedAt: now.toISOString(),
    };
  }

  /** Evaluates and stores entities, a few at a time. */
  async evaluate(entities: Entity[]): Promise<EntityEvaluation[]> {
    const evaluations: EntityEvaluation[] = [];
    const queue = [...entities];
    await Promise.all(
      Array.from({ length: this.options.concurrency ?? 8 }, async () => {
        for (let entity = queue.shift(); entity; entity = queue.shift())
          evaluations.push(await this.evaluateEntity(entity));
      }),
    );
    await this.options.store.save(evaluations);
    return evaluations;
  }
}
