import type { Entity } from '@backstage/catalog-model';
import type { CatalogProcessor } from '@backstage/plugin-catalog-node';
import type { JsonValue } from '@backstage/types';
import { formInWords } from '@konductor/plugin-provisioning-common';

/**
 * Every scaffolder Template's form tells a developer in words what a refused value must be
 * ("must be a whole number from 1 to 20", not AJV's `must be <= 20`): the hand-written ones, the
 * ones authors publish and the ones generated from service definitions alike. A field's own
 * `errorMessage` stays.
 */
export class TemplateFormWordsProcessor implements CatalogProcessor {
  getProcessorName(): string {
    return 'KonductorTemplateFormWordsProcessor';
  }

  async preProcessEntity(entity: Entity): Promise<Entity> {
    if (
      entity.kind !== 'Template' ||
      entity.apiVersion !== 'scaffolder.backstage.io/v1beta3' ||
      !entity.spec?.parameters
    )
      return entity;
    return {
      ...entity,
      spec: {
        ...entity.spec,
        parameters: formInWords(
          entity.spec.parameters as JsonValue | undefined,
        ),
      },
    };
  }
}
