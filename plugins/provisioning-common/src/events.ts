/** Where a resource of a run is. */
export type ResourceStatus =
  | 'queued'
  | 'creating'
  | 'waiting'
  | 'ready'
  | 'failed'
  | 'rolling-back'
  | 'deleting'
  | 'deleted'
  | 'retained'
  | 'skipped';

/** One state change of one resource (or of the run, without `resource`). */
export interface ProvisioningEvent {
  /** The run's own sequence number, assigned by the reporter: 1, 2, 3... */
  seq?: number;
  at: string;
  resource?: string;
  status:
    | ResourceStatus
    | 'run-started'
    | 'run-succeeded'
    | 'run-failed'
    | 'run-cancelled';
  /** A readable line, mirrored into the task log. */
  message: string;
  /** Milliseconds since the resource started, for waits. */
  elapsedMs?: number;
  /** Provider-specific progress detail, such as the cloud state being waited on. */
  detail?: string;
  /** Outputs of a ready resource; never secret values. */
  outputs?: Record<string, unknown>;
  error?: string;
}
