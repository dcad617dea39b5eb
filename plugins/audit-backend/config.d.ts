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
    };
  };
}
