import type { Entity } from '@backstage/catalog-model';
import type { Config } from '@backstage/config';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import type { LocationSpec } from '@backstage/plugin-catalog-common';
import { SERVICE_DEFINITION_KIND } from '../serviceDefinition/schema';
import type { Publications } from './Publications';

/** The kinds only template authors publish: what becomes a form that provisions. */
export const PUBLISHED_KINDS = [SERVICE_DEFINITION_KIND, 'Template'];

/**
 * Who may put a ServiceDefinition or a Template in the catalog. The catalog's rules allow both
 * kinds from any location; this gate lets them in only from a location registered by someone
 * holding `konductor.definition.publish` (a URL in {@link Publications}), from a URL location of
 * the catalog's configuration, or from a file on the backend's disk (which only who deploys the
 * portal can put there). Anyone else's registration of such a file is refused with the way to
 * publish it; what it lists of other kinds is not affected.
 */
export class PublicationGate implements CatalogProcessor {
  private readonly configured: Set<string>;

  constructor(
    private readonly options: { publications: Publications; config: Config },
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
    if (
      originLocation.type === 'file' ||
      (originLocation.type === 'url' &&
        (this.configured.has(originLocation.target) ||
          (await this.options.publications.has(originLocation.target))))
    )
      return entity;
    emit(
      processingResult.inputError(
        location,
        `${entity.kind} ${
          entity.metadata.name
        }: only template authors publish ${PUBLISHED_KINDS.join(
          ' and ',
        )} entities, and ${
          originLocation.target
        } was not published: a template author (or platform admin) publishes it from Provisioning > Definitions`,
      ),
    );
    return entity;
  }
}
