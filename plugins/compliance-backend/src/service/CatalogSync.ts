import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { ANNOTATION_STACK } from '@konductor/plugin-provisioning-common';
import type { ComplianceStore } from './ComplianceStore';
import { EVALUATED_KINDS, Evaluator } from './Evaluator';

const PAGE = 500;

/**
 * Keeps compliance in step with the catalog: `full` re-reads every entity and its live facts
 * (the schedule's long interval); `changed` evaluates only the entities whose catalog etag moved
 * or that are new (the short interval), so a change shows within one interval. Both forget
 * entities that left the catalog.
 */
export class CatalogSync {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      evaluator: Evaluator;
      store: ComplianceStore;
      logger: LoggerService;
    },
  ) {}

  private async credentials() {
    return { credentials: await this.options.auth.getOwnServiceCredentials() };
  }

  /** Every evaluated entity, page by page, with only `fields` when given. */
  private async *entities(fields?: string[]): AsyncGenerator<Entity[]> {
    let cursor: string | undefined;
    do {
      const page = await this.options.catalog.queryEntities(
        cursor
          ? { cursor, limit: PAGE, fields }
          : { filter: { kind: EVALUATED_KINDS }, limit: PAGE, fields },
        await this.credentials(),
      );
      yield page.items;
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
  }

  async full(): Promise<void> {
    const started = new Date();
    const seen = new Set<string>();
    for await (const page of this.entities()) {
      for (const e of page) seen.add(stringifyEntityRef(e));
      await this.options.evaluator.evaluate(page);
    }
    const gone = await this.options.store.retainOnly(seen, started);
    this.options.logger.info(
      `Compliance: evaluated ${seen.size} entities in ${
        Date.now() - started.getTime()
      } ms${gone ? `, forgot ${gone} gone from the catalog` : ''}`,
    );
  }

  async changed(): Promise<number> {
    const started = new Date();
    const known = await this.options.store.etags();
    const seen = new Set<string>();
    const changed: string[] = [];
    for await (const page of this.entities([
      'kind',
      'metadata.namespace',
      'metadata.name',
      'metadata.etag',
    ])) {
      for (const e of page) {
        const ref = stringifyEntityRef(e);
        seen.add(ref);
        if (!known.has(ref) || known.get(ref) !== (e.metadata.etag ?? null))
          changed.push(ref);
      }
    }
    for (let i = 0; i < changed.length; i += PAGE) {
      const { items } = await this.options.catalog.getEntitiesByRefs(
        { entityRefs: changed.slice(i, i + PAGE) },
        await this.credentials(),
      );
      await this.options.evaluator.evaluate(
        items.filter((e): e is Entity => !!e),
      );
    }
    await this.options.store.retainOnly(seen, started);
    return changed.length;
  }

  /**
   * Evaluates the catalog entities of one provisioned stack again (its resources' live facts,
   * such as what its last drift scan found). Returns how many.
   */
  async stack(stackId: string): Promise<number> {
    const { items } = await this.options.catalog.queryEntities(
      {
        filter: {
          kind: EVALUATED_KINDS,
          [`metadata.annotations.${ANNOTATION_STACK}`]: stackId,
        },
        limit: PAGE,
      },
      await this.credentials(),
    );
    await this.options.evaluator.evaluate(items);
    return items.length;
  }
}
