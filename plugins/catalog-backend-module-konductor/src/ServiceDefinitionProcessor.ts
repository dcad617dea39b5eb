import {
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  RELATION_DEPENDENCY_OF,
  RELATION_DEPENDS_ON,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import type { LocationSpec } from '@backstage/plugin-catalog-common';
import type { ResourceKinds } from '@konductor/plugin-provisioning-common';
import type { DefinitionDependencies } from './serviceDefinition/DefinitionDependencies';
import {
  SERVICE_DEFINITION_API_VERSION,
  SERVICE_DEFINITION_KIND,
  validateServiceDefinitionSpec,
} from './serviceDefinition/schema';
import { generateTemplate } from './serviceDefinition/generateTemplate';

const isDefinition = (entity: Entity) =>
  entity.kind === SERVICE_DEFINITION_KIND &&
  entity.apiVersion === SERVICE_DEFINITION_API_VERSION;

/**
 * Konductor's `ServiceDefinition` kind: validates each definition (every problem at once, naming
 * the document and the field), looks up the definitions it depends on, relates it to its owner
 * and to them in both directions, and emits the scaffolder Template generated from it. A
 * definition that fails validation, or depends on one the catalog lacks, emits nothing, so the
 * catalog keeps its last valid Template and shows the errors on the definition's page.
 */
export class ServiceDefinitionProcessor implements CatalogProcessor {
  constructor(
    private readonly options: {
      /** The portal's URL (`app.baseUrl`): the definition and its form link to each other. */
      appBaseUrl?: string;
      /** The resource kinds a definition's stack may use; the built-in ones by default. */
      kinds?: ResourceKinds;
      /**
       * Where the definitions it depends on are looked up: a definition whose `dependsOn` names one
       * the catalog lacks is refused. Without it, dependencies are not looked up.
       */
      dependencies?: DefinitionDependencies;
    } = {},
  ) {}

  getProcessorName(): string {
    return 'KonductorServiceDefinitionProcessor';
  }

  async validateEntityKind(entity: Entity): Promise<boolean> {
    if (entity.kind !== SERVICE_DEFINITION_KIND) return false;
    if (entity.apiVersion !== SERVICE_DEFINITION_API_VERSION)
      throw new InputError(
        `${SERVICE_DEFINITION_KIND} ${entity.metadata.name}: apiVersion must be ${SERVICE_DEFINITION_API_VERSION}, not ${entity.apiVersion}`,
      );
    const result = validateServiceDefinitionSpec(
      entity.spec,
      this.options.kinds,
    );
    if (!result.valid)
      throw new InputError(
        `${SERVICE_DEFINITION_KIND} ${stringifyEntityRef(
          entity,
        )} is invalid: ${result.problems
          .map(p => `${p.path}: ${p.message}`)
          .join('; ')}`,
      );
    return true;
  }

  async postProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (!isDefinition(entity)) return entity;
    const result = validateServiceDefinitionSpec(
      entity.spec,
      this.options.kinds,
    );
    if (!result.valid) return entity; // validateEntityKind has reported it
    const self = getCompoundEntityRef(entity);
    const dependsOn = (result.spec.dependsOn ?? []).map(ref =>
      stringifyEntityRef(
        parseEntityRef(ref, {
          defaultKind: SERVICE_DEFINITION_KIND,
          defaultNamespace: self.namespace,
        }),
      ),
    );
    const missing =
      (await this.options.dependencies?.missing(
        stringifyEntityRef(self),
        dependsOn,
      )) ?? [];
    if (missing.length) {
      // Refused like an invalid definition: the catalog keeps its last valid Template.
      for (const ref of missing)
        emit(
          processingResult.inputError(
            location,
            `${SERVICE_DEFINITION_KIND} ${stringifyEntityRef(
              self,
            )} is invalid: spec.dependsOn: ${ref} is not in the catalog: register that definition, or remove it from spec.dependsOn`,
          ),
        );
      return entity;
    }
    const related = (
      ref: string,
      defaultKind: string,
      outgoing: string,
      incoming: string,
    ) => {
      const target = parseEntityRef(ref, {
        defaultKind,
        defaultNamespace: self.namespace,
      });
      emit(processingResult.relation({ source: self, type: outgoing, target }));
      emit(
        processingResult.relation({
          source: target,
          type: incoming,
          target: self,
        }),
      );
    };
    related(result.spec.owner, 'group', RELATION_OWNED_BY, RELATION_OWNER_OF);
    for (const dependency of dependsOn)
      related(
        dependency,
        SERVICE_DEFINITION_KIND,
        RELATION_DEPENDS_ON,
        RELATION_DEPENDENCY_OF,
      );
    const template = generateTemplate(entity, result.spec);
    const base = this.options.appBaseUrl;
    if (!base) {
      emit(processingResult.entity(location, template));
      return entity;
    }
    // Each page links to the other: the definition to its form, the form to its definition.
    const path = `${self.namespace}/${encodeURIComponent(self.name)}`;
    template.metadata.links = [
      {
        url: `${base}/catalog/${
          self.namespace
        }/servicedefinition/${encodeURIComponent(self.name)}`,
        title: 'Service definition',
      },
    ];
    emit(processingResult.entity(location, template));
    return {
      ...entity,
      metadata: {
        ...entity.metadata,
        links: [
          ...(entity.metadata.links ?? []),
          {
            url: `${base}/create/templates/${path}`,
            title: 'Request it (form)',
          },
        ],
      },
    };
  }
}
