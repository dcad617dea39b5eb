/**
 * The domain resource kind for Konductor stacks: a DNS name in a Route 53 hosted zone for the
 * stack's app, with an ACM certificate validated through DNS, as a module of the scaffolder, with
 * its checks and fact source for the compliance backend.
 *
 * @packageDocumentation
 */
export { konductorDomain as default } from './module';
export {
  domainKind,
  catalogModuleKonductorDomain,
  complianceModuleKonductorDomain,
  scaffolderModuleKonductorDomain,
} from './module';
export { domainFacts } from './domainFacts';
export { domain, domainSchema, DOMAIN_CHECKS } from './domain';
export { DomainHandler } from './DomainHandler';
