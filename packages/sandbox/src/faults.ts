/** What a fault does to a matching request. */
export type FaultKind =
  /** The service's throttling error (HTTP 429 / ThrottlingException / Throttling / RequestLimitExceeded). */
  | 'throttle'
  /** HTTP 500 with the service's internal error shape. */
  | 'server-error'
  /** The service's quota or limit error. */
  | 'quota'
  /** Adds `latencyMs` before the request is answered (and still answers it). */
  | 'latency'
  /**
   * A create that succeeds but whose long operation ends in a failed state (EKS FAILED, RDS
   * failed), an EKS update that ends `Failed` with its errors and changes nothing, or an RDS
   * modification applied now that ends `available` without its changes.
   */
  | 'fail'
  /**
   * A create that succeeds but whose long operation stays in progress (EKS CREATING, RDS
   * creating) until the rule is removed, then takes its usual duration: lets a test or a demo
   * look at a run in progress for as long as it needs, without guessing a delay.
   */
  | 'hold';

/** A fault rule: which requests it hits, how often, and what it does. */
export interface FaultRule {
  id?: string;
  /** Service name (`sts`, `ec2`, `rds`, `secretsmanager`, `eks`, `github`, `jira`, `kubernetes`) or `*`. */
  service: string;
  /** Operation name such as `CreateCluster`, or omitted for every operation of the service. */
  operation?: string;
  kind: FaultKind;
  /** Chance in [0, 1] that a matching request is hit; default 1. */
  probability?: number;
  /** How many requests the rule hits before it is used up; default unlimited. */
  count?: number;
  /** Milliseconds added by a `latency` rule. */
  latencyMs?: number;
}

/** The effect of the rules on one request. */
export interface FaultOutcome {
  latencyMs: number;
  error?: 'throttle' | 'server-error' | 'quota';
  failLongOperation: boolean;
  /** The `hold` rule that keeps the long operations this request starts in progress. */
  holdBy?: string;
}

/** Deterministic pseudo-random numbers, so a seeded run injects the same faults every time. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Holds the fault rules and decides, per request, what goes wrong. */
export class FaultInjector {
  private rules: (FaultRule & { id: string; hits: number })[] = [];
  private random: () => number;
  private nextId = 1;

  constructor(rules: FaultRule[] = [], seed?: number) {
    this.random = seed === undefined ? Math.random : mulberry32(seed);
    rules.forEach(r => this.add(r));
  }

  add(rule: FaultRule): string {
    const kinds: FaultKind[] = [
      'throttle',
      'server-error',
      'quota',
      'latency',
      'fail',
      'hold',
    ];
    if (
      !rule ||
      typeof rule.service !== 'string' ||
      !kinds.includes(rule.kind)
    ) {
      throw new TypeError(
        `A fault rule needs "service" (a service name or "*") and "kind" (one of ${kinds.join(
          ', ',
        )})`,
      );
    }
    if (
      rule.probability !== undefined &&
      !(rule.probability >= 0 && rule.probability <= 1)
    ) {
      throw new TypeError('"probability" must be a number between 0 and 1');
    }
    const id = rule.id ?? `fault-${this.nextId++}`;
    this.rules.push({ ...rule, id, hits: 0 });
    return id;
  }

  list() {
    return this.rules.map(r => ({ ...r }));
  }

  /** Removes the rule `id`; false when there is none. Releases what a `hold` rule held. */
  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter(r => r.id !== id);
    if (this.rules.length === before) return false;
    this.onRemoved?.(id);
    return true;
  }

  clear() {
    const ids = this.rules.map(r => r.id);
    this.rules = [];
    ids.forEach(id => this.onRemoved?.(id));
  }

  /** Called with the id of each rule removed (the sandbox releases held operations). */
  onRemoved?: (id: string) => void;

  /** Applies the rules to one request of `service`/`operation`. */
  check(service: string, operation: string): FaultOutcome {
    const outcome: FaultOutcome = { latencyMs: 0, failLongOperation: false };
    for (const rule of this.rules) {
      if (rule.service !== '*' && rule.service !== service) continue;
      if (rule.operation && rule.operation !== operation) continue;
      if (rule.count !== undefined && rule.hits >= rule.count) continue;
      if (this.random() >= (rule.probability ?? 1)) continue;
      if (rule.kind === 'latency') {
        rule.hits += 1;
        outcome.latencyMs += rule.latencyMs ?? 0;
      } else if (rule.kind === 'fail') {
        if (!outcome.failLongOperation) {
          rule.hits += 1;
          outcome.failLongOperation = true;
        }
      } else if (rule.kind === 'hold') {
        if (!outcome.holdBy) {
          rule.hits += 1;
          outcome.holdBy = rule.id;
        }
      } else if (!outcome.error) {
        rule.hits += 1;
        outcome.error = rule.kind;
      }
    }
    return outcome;
  }
}
