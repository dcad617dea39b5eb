/** The cloud id (an ARN, a VPC id...) of the resource a catalog entity stands for. */
export const ANNOTATION_CLOUD_ID = 'konductor.dev/cloud-id';
/** The AWS account of a provisioned resource's entity. */
export const ANNOTATION_AWS_ACCOUNT = 'konductor.dev/aws-account';
/** The AWS region of a provisioned resource's entity. */
export const ANNOTATION_AWS_REGION = 'konductor.dev/aws-region';
