import { z } from 'zod/v3';
import type { ComplianceCheck } from '@konductor/plugin-compliance-common';
import { cents, defineKind } from '@konductor/plugin-provisioning-common';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ZONE = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** ACM certificates name at most 64 characters in their subject (the CN). */
const MAX_NAME = 64;
/** Route 53's price per million standard queries (us-east-1); the hosted zone is the platform's. */
const QUERIES_MONTHLY = 0.4;

/** What a template author writes for a domain (`resources.<name>: { kind: domain }`). */
export const domainSchema = z
  .object({
    zone: z
      .string()
      .regex(ZONE, 'must be a DNS name such as example.com, in lower case')
      .describe(
        "A public Route 53 hosted zone of the stack's AWS account, such as example.com.",
      ),
    host: z
      .string()
      .regex(
        LABEL,
        'must be one DNS label: lower-case letters, digits and hyphens, 1 to 63 characters',
      )
      .describe('The name under the zone: the app is served at <host>.<zone>.'),
  })
  .strict();

/**
 * A DNS name of the app's own with a TLS certificate: a CNAME `<host>.<zone>` in a public Route 53
 * hosted zone to the app's ingress host, owned through a TXT record beside it, and an ACM
 * certificate for the name, validated through DNS. The app names it in `domain` and is served at
 * the name with the certificate.
 */
export const domain = defineKind({
  kind: 'domain',
  title: 'a DNS name with a TLS certificate',
  schema: domainSchema,
  outputs: z.object({
    fqdn: z.string(),
    url: z.string(),
    /** The ACM certificate's ARN. */
    arn: z.string(),
    hostedZoneId: z.string(),
  }),
  validate({ spec }, problem) {
    const fqdn = `${spec.host}.${spec.zone}`;
    if (fqdn.length > MAX_NAME)
      problem(
        'host',
        `${fqdn} is ${fqdn.length} characters; a certificate's name holds at most ${MAX_NAME}: shorten host`,
      );
  },
  plan: d => ({
    summary: `${d.host}.${d.zone}, with an ACM certificate validated through DNS`,
    creates: [
      'Route 53 CNAME and ownership TXT records',
      'ACM certificate',
      'Route 53 validation record',
    ],
    monthlyCost: cents(QUERIES_MONTHLY),
  }),
  // ACM validates a DNS record within minutes once Route 53 serves it.
  typicalCreateSeconds: 300,
  catalogType: 'dns-domain',
  plannedFacts: () => ({
    // Konductor requests certificates with DNS validation only, so ACM renews them unattended.
    'acm.validationMethod': { value: 'DNS', field: '' },
    'acm.keyAlgorithm': { value: 'RSA-2048', field: '' },
  }),
});

const DOMAIN = { kinds: ['Resource'], types: ['dns-domain'] };
/** Key algorithms of at least 112 bits of security (NIST SP 800-57 part 1). */
const STRONG_KEYS = [
  'RSA-2048',
  'RSA-3072',
  'RSA-4096',
  'EC-prime256v1',
  'EC-secp384r1',
  'EC-secp521r1',
];

/** The compliance checks of domains, mapped to NIST SP 800-53 rev 5 controls. */
export const DOMAIN_CHECKS: ComplianceCheck[] = [
  {
    id: 'domain-certificate-valid',
    title: 'Certificate issued and in date',
    controls: ['SC-17', 'SC-8'],
    appliesTo: DOMAIN,
    facts: ['acm.status', 'acm.daysToExpiry'],
    remediation:
      'Keep the validation record in the zone so ACM issues and renews the certificate.',
    evaluate: v => {
      if (v['acm.status'] !== 'ISSUED')
        return {
          status: 'fail',
          message: `The certificate is ${String(
            v['acm.status'],
          ).toLowerCase()}: clients get no trusted TLS.`,
        };
      const days = Number(v['acm.daysToExpiry']);
      return days >= 30
        ? { status: 'pass', message: `Issued; valid ${days} more days.` }
        : { status: 'fail', message: `Expires in ${days} days.` };
    },
  },
  {
    id: 'domain-certificate-renewal',
    title: 'Certificate renews unattended',
    controls: ['SC-12'],
    appliesTo: DOMAIN,
    facts: ['acm.validationMethod'],
    remediation:
      'Request the certificate with DNS validation (Konductor does), not by email.',
    evaluate: v =>
      v['acm.validationMethod'] === 'DNS'
        ? {
            status: 'pass',
            message: 'Validated through DNS: ACM renews it itself.',
          }
        : {
            status: 'fail',
            message: `Validated by ${String(
              v['acm.validationMethod'],
            )}: each renewal waits for a person.`,
          },
  },
  {
    id: 'domain-certificate-key',
    title: 'Certificate key strong enough',
    controls: ['SC-13'],
    appliesTo: DOMAIN,
    facts: ['acm.keyAlgorithm'],
    remediation: 'Request RSA 2048 bits or more, or an ECDSA P-256 key.',
    evaluate: v =>
      STRONG_KEYS.includes(String(v['acm.keyAlgorithm']))
        ? { status: 'pass', message: `${v['acm.keyAlgorithm']} key.` }
        : {
            status: 'fail',
            message: `${String(
              v['acm.keyAlgorithm'],
            )} is below 112 bits of security.`,
          },
  },
];
