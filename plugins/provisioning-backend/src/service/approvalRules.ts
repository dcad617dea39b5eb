import type { Config } from '@backstage/config';
import { z } from 'zod/v3';
import {
  APPROVAL_OPERATIONS,
  ENVIRONMENTS,
  approverRefSchema,
  type ApprovalOperation,
  type ChangeWindow,
} from '@konductor/plugin-provisioning-common';
import type { ChangeWindows } from './ChangeWindows';
import {
  describeWeeklyWindow,
  inWeeklyWindow,
  weeklyWindowSchema,
} from './weeklyWindow';

const ruleSchema = z
  .object({
    description: z.string().trim().min(1, 'say why the rule asks for approval'),
    environments: z.array(z.enum(ENVIRONMENTS)).min(1).optional(),
    operations: z.array(z.enum(APPROVAL_OPERATIONS)).min(1).optional(),
    overBudget: z.boolean().optional(),
    /** A change window (a freeze): the rule matches only from `from` until `to`. */
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
    /** A change window that comes back every week, such as weekend nights. */
    every: weeklyWindowSchema.optional(),
    approvers: z.array(approverRefSchema).min(1, 'name who may approve'),
  })
  .strict()
  .refine(rule => !rule.from === !rule.to, {
    message: 'a change window needs both from and to',
  })
  .refine(rule => !rule.from || Date.parse(rule.from) < Date.parse(rule.to!), {
    message: 'a change window ends (to) after it starts (from)',
  })
  .refine(rule => !(rule.from && rule.every), {
    message:
      'a rule has one change window: either from and to, or every (a weekly one)',
  });
type Rule = z.infer<typeof ruleSchema>;

/** What a run is, as the rules see it. */
export interface ApprovalSubject {
  environment: string;
  operation: ApprovalOperation;
  owner: string;
  /** Whether the run takes its owner over their budget or stack quota. */
  overBudget: boolean;
}

/** Why a run needs approval and who may give it, when it does. */
export interface ApprovalNeed {
  reasons: string[];
  approvers: string[];
}

const isoOf = (t: string) => new Date(t).toISOString();

/** Until when a rule's change window holds runs, in words, as a request's reason gives it. */
function untilOf(rule: Rule): string {
  return rule.every
    ? describeWeeklyWindow(rule.every)
    : `until ${isoOf(rule.to!)}`;
}

/** When a rule's change window holds runs, in words. */
function periodOf(rule: Rule): string {
  return rule.every
    ? describeWeeklyWindow(rule.every)
    : `${isoOf(rule.from!)} until ${isoOf(rule.to!)}`;
}

/**
 * The platform's approval rules (`konductor.provisioning.approvals`), with the change windows
 * admins declare in the portal: a run needs approval when a rule matches it, from any of the
 * matching rules' approvers.
 */
export class ApprovalRules {
  constructor(
    private readonly rules: Rule[],
    /** How long a request waits before it expires undecided. */
    readonly expiresAfterMs: number,
    /** Between sweeps that expire requests and resume approved ones. */
    readonly intervalSeconds: number,
    private readonly options: {
      /** The freezes declared in the portal. */
      declared?: ChangeWindows;
      now?: () => Date;
    } = {},
  ) {}

  private now() {
    return this.options.now?.() ?? new Date();
  }

  /** Reads and checks the rules: a bad one stops the backend, saying which and what to change. */
  static fromConfig(
    config: Config,
    options: { declared?: ChangeWindows; now?: () => Date } = {},
  ): ApprovalRules {
    const c = config.getOptionalConfig('konductor.provisioning.approvals');
    const rules = (c?.getOptionalConfigArray('rules') ?? []).map((rule, i) => {
      const parsed = ruleSchema.safeParse(rule.get());
      if (!parsed.success)
        throw new Error(
          `konductor.provisioning.approvals.rules[${i}]: ${parsed.error.issues
            .map(issue => `${issue.path.join('.') || 'rule'}: ${issue.message}`)
            .join('; ')}`,
        );
      return parsed.data;
    });
    const hours = c?.getOptionalNumber('expiresAfterHours') ?? 72;
    if (!(hours > 0))
      throw new Error(
        'konductor.provisioning.approvals.expiresAfterHours: must be a number of hours above 0',
      );
    return new ApprovalRules(
      rules,
      hours * 3_600_000,
      c?.getOptionalNumber('intervalSeconds') ?? 30,
      options,
    );
  }

  /** Whether `rule`'s window, if it has one, is open at `now`. */
  private open(rule: Rule, now: Date) {
    const at = now.getTime();
    return (
      (!rule.from ||
        (Date.parse(rule.from) <= at && at < Date.parse(rule.to!))) &&
      (!rule.every || inWeeklyWindow(rule.every, now))
    );
  }

  private matches(
    rule: Rule,
    subject: Omit<ApprovalSubject, 'owner'>,
    now: Date,
  ) {
    return (
      this.open(rule, now) &&
      (!rule.environments ||
        (rule.environments as string[]).includes(subject.environment)) &&
      (!rule.operations || rule.operations.includes(subject.operation)) &&
      (!rule.overBudget || subject.overBudget)
    );
  }

  /**
   * Whether, and from whom, `subject` needs approval. In a change window (a freeze), the
   * window's approvers alone may let a run through: the emergency path.
   */
  async need(subject: ApprovalSubject): Promise<ApprovalNeed | undefined> {
    const now = this.now();
    const declared = (await this.options.declared?.current()) ?? [];
    const all = [...this.rules, ...(declared as Rule[])].filter(rule =>
      this.matches(rule, subject, now),
    );
    const windows = all.filter(rule => rule.from || rule.every);
    const matching = windows.length ? windows : all;
    if (!matching.length) return undefined;
    const approvers = matching.flatMap(rule =>
      rule.approvers.map(a => (a === 'owner' ? subject.owner : a)),
    );
    return {
      reasons: [
        ...new Set(
          matching.map(rule =>
            rule.from || rule.every
              ? `${rule.description} (${untilOf(
                  rule,
                )}: an emergency change only)`
              : rule.description,
          ),
        ),
      ],
      approvers: [...new Set(approvers)],
    };
  }

  /** Whether a run over budget goes to approval instead of being refused. */
  approvesOverBudget(subject: Omit<ApprovalSubject, 'owner' | 'overBudget'>) {
    const now = this.now();
    return this.rules.some(
      rule =>
        rule.overBudget &&
        this.matches(rule, { ...subject, overBudget: true }, now),
    );
  }

  /**
   * Every change window that has not ended, config's (a rule with a window) then the portal's,
   * saying whether it holds runs now.
   */
  async windows(): Promise<ChangeWindow[]> {
    const now = this.now();
    const configured = this.rules.flatMap((rule, i): ChangeWindow[] =>
      (rule.from || rule.every) &&
      !(rule.to && Date.parse(rule.to) <= now.getTime())
        ? [
            {
              id: `config-${i}`,
              source: 'config',
              description: rule.description,
              ...(rule.environments ? { environments: rule.environments } : {}),
              ...(rule.operations ? { operations: rule.operations } : {}),
              when: periodOf(rule),
              ...(rule.from
                ? { from: isoOf(rule.from), to: isoOf(rule.to!) }
                : {}),
              approvers: rule.approvers,
              active: this.open(rule, now),
            },
          ]
        : [],
    );
    const declared = (await this.options.declared?.current()) ?? [];
    return [
      ...configured,
      ...declared.map(
        (w): ChangeWindow => ({
          ...w,
          source: 'portal',
          when: periodOf(w),
          active: this.open(w, now),
        }),
      ),
    ];
  }
}
