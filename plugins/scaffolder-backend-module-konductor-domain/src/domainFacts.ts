import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import type { Entity } from '@backstage/catalog-model';
import type { FactSource } from '@konductor/plugin-compliance-node';
import {
  ANNOTATION_AWS_ACCOUNT,
  ANNOTATION_AWS_REGION,
  ANNOTATION_CLOUD_ID,
} from '@konductor/plugin-provisioning-common';
import type { AwsClientFactory } from '@konductor/plugin-provisioning-node';
import { domain } from './domain';

const DAY_MS = 86400_000;

/** The certificate an entity stands for (`arn:aws:acm:<region>:<account>:certificate/<id>`). */
function locate(entity: Entity) {
  const annotations = entity.metadata.annotations ?? {};
  const arn = annotations[ANNOTATION_CLOUD_ID] ?? '';
  const accountId = annotations[ANNOTATION_AWS_ACCOUNT];
  const region = annotations[ANNOTATION_AWS_REGION];
  if (
    !/^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\//.test(arn) ||
    !accountId ||
    !region
  )
    throw new Error(
      `${entity.metadata.name} names no ACM certificate ARN, AWS account and region`,
    );
  return { arn, accountId, region };
}

/**
 * Live state of the certificates of the domains the catalog holds, named as the domain checks read
 * them (and as the kind's planned facts name them).
 */
export function domainFacts(clients: AwsClientFactory): FactSource {
  return {
    id: 'aws:acm',
    facts: [
      'acm.status',
      'acm.daysToExpiry',
      'acm.validationMethod',
      'acm.keyAlgorithm',
    ],
    appliesTo: e =>
      e.kind === 'Resource' &&
      (e.spec as { type?: string } | undefined)?.type === domain.catalogType &&
      !!e.metadata.annotations?.[ANNOTATION_CLOUD_ID],
    async read(entity) {
      const { arn, accountId, region } = locate(entity);
      // A reading that fails is reported (with the last one known) rather than waited for.
      const acm = await clients.client(
        ACMClient,
        { accountId, region },
        { maxAttempts: 2 },
      );
      const c = (
        await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))
      ).Certificate!;
      return {
        'acm.status': c.Status ?? 'UNKNOWN',
        'acm.daysToExpiry': c.NotAfter
          ? Math.floor((c.NotAfter.getTime() - Date.now()) / DAY_MS)
          : 0,
        'acm.validationMethod':
          c.DomainValidationOptions?.[0]?.ValidationMethod ?? 'NONE',
        'acm.keyAlgorithm': c.KeyAlgorithm ?? 'UNKNOWN',
      };
    },
  };
}
