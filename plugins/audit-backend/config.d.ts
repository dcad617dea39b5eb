export interface Config {
  konductor?: {
    /** The audit trail (`@konductor/plugin-audit-backend`). */
    audit?: {
      /** How long an audited action is kept, in days (default 365). */
      retentionDays?: number;
      /**
       * The least severity kept (default `medium`: creates, changes, destroys, cancels, retries,
       * claims, exemptions; `low` adds every read, which Backstage audits too).
       */
      minimumSeverity?: 'low' | 'medium' | 'high' | 'critical';
      /**
       * The config keys that are policy: at each start, a change of one since the last start is
       * recorded as a `policy-change` (default: konductor.permissions,
       * konductor.provisioning.approvals, konductor.provisioning.budgets,
       * konductor.provisioning.expiry and konductor.compliance).
       */
      policyKeys?: string[];
    };
  };
}
