/** The stack id of a provisioned resource's entity (and of its stack's System). */
export const ANNOTATION_STACK = 'konductor.dev/stack';
/** The resource's name in its stack (`database`), on a provisioned resource's entity. */
export const ANNOTATION_STACK_RESOURCE = 'konductor.dev/stack-resource';
/** The cloud id (an ARN, a VPC id...) of the resource a catalog entity stands for. */
export const ANNOTATION_CLOUD_ID = 'konductor.dev/cloud-id';
/** The AWS account of a provisioned resource's entity. */
export const ANNOTATION_AWS_ACCOUNT = 'konductor.dev/aws-account';
/** The AWS region of a provisioned resource's entity. */
export const ANNOTATION_AWS_REGION = 'konductor.dev/aws-region';
/**
 * Who can reach a Kubernetes cluster's API endpoint: `public` (from the internet, within its
 * allowed ranges) or `private` (from inside its VPC only, so the portal reads it through the
 * platform's Argo CD).
 */
export const ANNOTATION_KUBERNETES_ENDPOINT =
  'konductor.dev/kubernetes-endpoint';
/**
 * The stack a catalog entity belongs to, as `<accountId>/<region>/<stackId>` (its permission
 * resource ref): a generated component names its stack so that its page can show its delivery.
 */
export const ANNOTATION_STACK_REF = 'konductor.dev/stack-ref';
