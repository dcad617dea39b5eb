/**
 * Backstage's Kubernetes plugin, for clusters whose API endpoint is private: read through the
 * platform's Argo CD.
 */
export { kubernetesModuleKonductor as default } from './module';
export { ArgoCdFetcher, labelSelector } from './ArgoCdFetcher';
export { PrivateClusters } from './PrivateClusters';
