import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';

/** What names a ref in a text, given what `EntityNames.of` found. */
export type NameOf = (ref: string) => string;

/** Finds the names of refs for a text: `EntityNames.of`, or `refsOnly`. */
export type Names = (refs: string[]) => Promise<NameOf>;

/** Names that are the refs themselves: where no catalog is asked (tests, tools). */
export const refsOnly: Names = async () => ref => ref;

/** The name the catalog's pages show for an entity: its profile's display name, title, name. */
function presented(entity: Entity): string {
  const spec = entity.spec as
    | { profile?: { displayName?: string } }
    | undefined;
  return (
    spec?.profile?.displayName || entity.metadata.title || entity.metadata.name
  );
}

/**
 * People's and teams' names as the catalog presents them, for the texts sent to people
 * (notifications). A ref the catalog does not hold, or cannot be asked about, stays a ref: the
 * text still goes out.
 */
export class EntityNames {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
    },
  ) {}

  async of(refs: string[]): Promise<NameOf> {
    const wanted = [...new Set(refs)];
    const names = new Map<string, string>();
    try {
      const { items } = await this.options.catalog.getEntitiesByRefs(
        {
          entityRefs: wanted,
          fields: [
            'kind',
            'metadata.name',
            'metadata.title',
            'spec.profile.displayName',
          ],
        },
        { credentials: await this.options.auth.getOwnServiceCredentials() },
      );
      items.forEach((entity, i) => {
        if (entity) names.set(wanted[i], presented(entity));
      });
    } catch (e) {
      this.options.logger.warn(
        `Names of ${wanted.join(
          ', ',
        )} not read from the catalog, refs used: ${e}`,
      );
    }
    return ref => names.get(ref) ?? ref;
  }
}
