import type { Entity } from '@backstage/catalog-model';
import type {
  AuthService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  CatalogService,
  processingResult,
} from '@backstage/plugin-catalog-node';
import type { LocationSpec } from '@backstage/plugin-catalog-common';
import { SERVICE_DEFINITION_KIND } from '../serviceDefinition/schema';
import type { Publications } from './Publications';

/** The kinds only template authors publish: what becomes a form that provisions. */
export const PUBLISHED_KINDS = [SERVICE_DEFINITION_KIND, 'Template'];

const HOW =
  'a template author (or platform admin) publishes it from Provisioning > Definitions';

/**
 * Who may put a ServiceDefinition or a Template in the catalog. The catalog's rules allow both
 * kinds from any location; this gate lets them in only from a location registered by someone
 * holding `konductor.definition.publish` (a URL in {@link Publications}, as the catalog location
 * it was registered as: the URL registered again by someone else once it was unregistered is not
 * it), from a URL location of the catalog's configuration, or from a file on the backend's disk
 * (which only who deploys the portal can put there). Anyone else's registration of such a file is
 * refused with the way to publish it; what it lists of other kinds is not affected.
 */
export class PublicationGate implements CatalogProcessor {
  private readonly configured: Set<string>;

  constructor(
    private readonly options: {
      publications: Publications;
      config: RootConfigService;
      /** Where the location a URL is registered as is looked up. */
      catalog: Pick<CatalogService, 'getLocationByRef'>;
      auth: AuthService;
    },
  ) {
    this.configured = new Set(
      (options.config.getOptionalConfigArray('catalog.locations') ?? [])
        .filter(l => l.getString('type') === 'url')
        .map(l => l.getString('target')),
    );
  }

  getProcessorName(): string {
    return 'KonductorPublicationGate';
  }

  async preProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
    originLocation: LocationSpec,
  ): Promise<Entity> {
    if (!PUBLISHED_KINDS.includes(entity.kind)) return entity;
    const refusal = await this.refusal(originLocation);
    if (refusal)
      emit(
        processingResult.inputError(
          location,
          `${entity.kind} ${
            entity.metadata.name
          }: only template authors publish ${PUBLISHED_KINDS.join(
            ' and ',
          )} entities, and ${originLocation.target} ${refusal}: ${HOW}`,
        ),
      );
    return entity;
  }

  /** Why entities from `origin` may not be definitions or templates; undefined when they may. */
  private async refusal(origin: LocationSpec): Promise<string | undefined> {
    if (origin.type === 'file') return undefined;
    if (origin.type !== 'url') return 'was not published';
    if (this.configured.has(origin.target)) return undefined;
    const publication = await this.options.publications.get(origin.target);
    if (!publication) return 'was not published';
    // Not bound yet: being published (its preview, or its registration a moment ago).
    if (!publication.locationId) return undefined;
    const registered = await this.options.catalog.getLocationByRef(
      `url:${origin.target}`,
      { credentials: await this.options.auth.getOwnServiceCredentials() },
    );
    // No location: a preview (dry run), which registers nothing.
    if (!registered || registered.id === publication.locationId)
      return undefined;
    return 'was unregistered since it was published, and registered again by someone else';
  }
}
