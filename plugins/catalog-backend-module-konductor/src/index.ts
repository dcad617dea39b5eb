/**
 * Konductor's catalog module: the `ServiceDefinition` kind (konductor.dev/v1alpha1), validated,
 * related to its owner and dependencies, with a scaffolder Template generated from each.
 *
 * @packageDocumentation
 */
export { catalogModuleKonductor as default } from './module';
export { ServiceDefinitionProcessor } from './ServiceDefinitionProcessor';
export { TemplateFormWordsProcessor } from './TemplateFormWordsProcessor';
export {
  SERVICE_DEFINITION_API_VERSION,
  SERVICE_DEFINITION_KIND,
  SERVICE_TYPES,
  serviceDefinitionJsonSchema,
  serviceDefinitionSpecSchema,
  validateServiceDefinitionSpec,
} from './serviceDefinition/schema';
export type {
  DefinitionProblem,
  ServiceDefinitionSpec,
} from './serviceDefinition/schema';
export {
  ANNOTATION_SERVICE_DEFINITION,
  generateTemplate,
} from './serviceDefinition/generateTemplate';
export { EksClusterProvider } from './EksClusterProvider';
