/** Annotation: the compliance level an entity is held to (else the configured default). */
export const ANNOTATION_COMPLIANCE_LEVEL = 'konductor.dev/compliance-level';
/** Annotation: the environment (dev, staging, prod) an entity runs in. */
export const ANNOTATION_ENVIRONMENT = 'konductor.dev/environment';

/** The FISMA impact levels; a stack's `complianceLevel` names one. */
export const LEVELS = ['low', 'moderate', 'high'] as const;
export type Level = (typeof LEVELS)[number];

/** A NIST SP 800-53 rev 5 control (or control enhancement) that Konductor's checks evidence. */
export interface Control {
  /** As NIST writes it: `CM-8`, `IA-5(1)`. */
  id: string;
  title: string;
  /** The control family, such as `Configuration Management`. */
  family: string;
  /** The SP 800-53B baselines that select it. */
  baselines: Level[];
  /** ISO/IEC 27001:2022 Annex A controls it maps to. */
  iso27001: string[];
}

/**
 * Where the catalog's data comes from. Titles and families: NIST SP 800-53 Rev. 5 (Security and
 * Privacy Controls for Information Systems and Organizations, doi:10.6028/NIST.SP.800-53r5).
 * Baselines: NIST SP 800-53B (Control Baselines, doi:10.6028/NIST.SP.800-53B), the FISMA Low,
 * Moderate and High baselines. ISO/IEC 27001:2022 Annex A: NIST's mapping "SP 800-53 Rev. 5 to
 * ISO/IEC 27001:2022" (Online Informative References). Only the controls the checks evidence are
 * listed.
 */
export const CONTROL_CATALOG_SOURCE =
  'NIST SP 800-53 Rev. 5; NIST SP 800-53B baselines; NIST mapping of SP 800-53 Rev. 5 to ISO/IEC 27001:2022';

const ALL: Level[] = ['low', 'moderate', 'high'];
const MODERATE_UP: Level[] = ['moderate', 'high'];

/** The controls, by id. */
export const CONTROLS: Record<string, Control> = Object.fromEntries(
  (
    [
      [
        'AC-3',
        'Access Enforcement',
        'Access Control',
        ALL,
        ['A.5.15', 'A.8.3'],
      ],
      ['AU-2', 'Event Logging', 'Audit and Accountability', ALL, ['A.8.15']],
      [
        'AU-12',
        'Audit Record Generation',
        'Audit and Accountability',
        ALL,
        ['A.8.15'],
      ],
      [
        'CM-3',
        'Configuration Change Control',
        'Configuration Management',
        MODERATE_UP,
        ['A.8.32'],
      ],
      [
        'CM-5',
        'Access Restrictions for Change',
        'Configuration Management',
        ALL,
        ['A.8.4', 'A.8.32'],
      ],
      [
        'CM-6',
        'Configuration Settings',
        'Configuration Management',
        ALL,
        ['A.8.9'],
      ],
      [
        'CM-8',
        'System Component Inventory',
        'Configuration Management',
        ALL,
        ['A.5.9'],
      ],
      ['CP-9', 'System Backup', 'Contingency Planning', ALL, ['A.8.13']],
      [
        'CP-10',
        'System Recovery and Reconstitution',
        'Contingency Planning',
        ALL,
        ['A.5.30'],
      ],
      [
        'IA-5',
        'Authenticator Management',
        'Identification and Authentication',
        ALL,
        ['A.5.17'],
      ],
      [
        'IA-5(1)',
        'Authenticator Management | Password-based Authentication',
        'Identification and Authentication',
        ALL,
        ['A.5.17'],
      ],
      [
        'RA-5',
        'Vulnerability Monitoring and Scanning',
        'Risk Assessment',
        ALL,
        ['A.8.8'],
      ],
      [
        'SA-5',
        'System Documentation',
        'System and Services Acquisition',
        ALL,
        ['A.5.37'],
      ],
      [
        'SC-7',
        'Boundary Protection',
        'System and Communications Protection',
        ALL,
        ['A.8.20', 'A.8.22'],
      ],
      [
        'SC-8',
        'Transmission Confidentiality and Integrity',
        'System and Communications Protection',
        MODERATE_UP,
        ['A.5.14', 'A.8.24'],
      ],
      [
        'SC-12',
        'Cryptographic Key Establishment and Management',
        'System and Communications Protection',
        ALL,
        ['A.8.24'],
      ],
      [
        'SC-13',
        'Cryptographic Protection',
        'System and Communications Protection',
        ALL,
        ['A.8.24'],
      ],
      [
        'SC-17',
        'Public Key Infrastructure Certificates',
        'System and Communications Protection',
        MODERATE_UP,
        ['A.8.24'],
      ],
      [
        'SC-28',
        'Protection of Information at Rest',
        'System and Communications Protection',
        MODERATE_UP,
        ['A.8.24'],
      ],
      [
        'SI-2',
        'Flaw Remediation',
        'System and Information Integrity',
        ALL,
        ['A.8.8'],
      ],
      [
        'SI-4',
        'System Monitoring',
        'System and Information Integrity',
        ALL,
        ['A.8.16'],
      ],
    ] as [string, string, string, Level[], string[]][]
  ).map(([id, title, family, baselines, iso27001]) => [
    id,
    { id, title, family, baselines, iso27001 },
  ]),
);

/** Whether the level's baseline selects at least one of `controls`. */
export function inBaseline(controls: string[], level: Level): boolean {
  return controls.some(id => CONTROLS[id]?.baselines.includes(level));
}
