import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { SERVICE_DEFINITION_KIND } from './schema';

/** What the processing of one definition found of its dependencies. */
interface Dependent {
  dependsOn: string[];
  /** Whether some were missing, so that the definition was refused. */
  refused: boolean;
}

/**
 * Whether the definitions a definition depends on are in the catalog, kept current. The processor
 * asks which dependencies are missing and records what it found; a local task on each replica
 * then looks, every few seconds, whether that is still true (one catalog read for all of them)
 * and refreshes each definition whose dependency appeared or disappeared since it was processed,
 * so its processing error comes or goes within seconds instead of at the catalog's next
 * processing of it. What a replica tracks is the definitions it processed since it started; a
 * definition processed elsewhere, or before a restart, is re-checked at its own next processing.
 */
export class DefinitionDependencies {
  private readonly dependents = new Map<string, Dependent>();

  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
    },
  ) {}

  /** The refs in `refs` that name a ServiceDefinition the catalog holds. */
  private async present(refs: string[]): Promise<Set<string>> {
    if (!refs.length) return new Set();
    const { items } = await this.options.catalog.getEntitiesByRefs(
      { entityRefs: refs, fields: ['kind'] },
      { credentials: await this.options.auth.getOwnServiceCredentials() },
    );
    return new Set(
      refs.filter((_, i) => items[i]?.kind === SERVICE_DEFINITION_KIND),
    );
  }

  /**
   * Which of `dependsOn` (full entity refs) the catalog lacks, recorded for `dependent`; undefined
   * when the catalog could not be read (a definition processed while the backend starts), which
   * the next check settles.
   */
  async missing(
    dependent: string,
    dependsOn: string[],
  ): Promise<string[] | undefined> {
    if (!dependsOn.length) {
      this.dependents.delete(dependent);
      return [];
    }
    try {
      const present = await this.present(dependsOn);
      const missing = dependsOn.filter(ref => !present.has(ref));
      this.dependents.set(dependent, {
        dependsOn,
        refused: missing.length > 0,
      });
      return missing;
    } catch (e) {
      this.options.logger.warn(
        `Could not look up the dependencies of ${dependent}, checking again shortly: ${e}`,
      );
      // Recorded as refused: the next check refreshes it if they are all there after all.
      this.dependents.set(dependent, { dependsOn, refused: true });
      return undefined;
    }
  }

  /**
   * Refreshes each tracked definition whose dependencies' presence changed since it was
   * processed; its processing records it again. Returns the refreshed refs.
   */
  async check(): Promise<string[]> {
    if (!this.dependents.size) return [];
    const present = await this.present([
      ...new Set([...this.dependents.values()].flatMap(d => d.dependsOn)),
    ]);
    const changed = [...this.dependents]
      .filter(
        ([, d]) => d.refused !== d.dependsOn.some(ref => !present.has(ref)),
      )
      .map(([ref]) => ref);
    const credentials = await this.options.auth.getOwnServiceCredentials();
    for (const ref of changed) {
      this.dependents.delete(ref);
      await this.options.catalog
        .refreshEntity(ref, { credentials })
        .catch(e => this.options.logger.warn(`Could not refresh ${ref}: ${e}`));
    }
    return changed;
  }
}
