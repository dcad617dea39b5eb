import type { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { TeamBudget } from '@konductor/plugin-provisioning-common';
import type { TeamBudgets } from './TeamBudgets';
import type { Names } from '@konductor/plugin-provisioning-node';
import { usd } from '@konductor/plugin-provisioning-common';

/**
 * Tells a group when its stacks reach 80 % and then 100 % of its monthly budget in an
 * environment: once per threshold crossed, whichever replica sees the run end.
 */
export class BudgetAlerts {
  constructor(
    private readonly options: {
      budgets: TeamBudgets;
      notifications: NotificationService;
      logger: LoggerService;
      /** Teams' names for the texts, as the catalog presents them. */
      names: Names;
    },
  ) {}

  /**
   * After a run of `owner`'s stack in `environment` ended, or its budget changed: alerts when a
   * threshold is reached. A failure is logged, never thrown: what changed stays changed.
   */
  async check(
    owner: string,
    environment: TeamBudget['environment'],
  ): Promise<80 | 100 | undefined> {
    try {
      return await this.alert(owner, environment);
    } catch (e) {
      this.options.logger.warn(
        `No budget alert checked for ${owner} in ${environment}: ${e}`,
      );
      return undefined;
    }
  }

  private async alert(
    owner: string,
    environment: TeamBudget['environment'],
  ): Promise<80 | 100 | undefined> {
    const budget = await this.options.budgets.get({ owner, environment });
    const level = await this.options.budgets.alertDue(budget);
    if (!level || budget.monthlyCost === null) return undefined;
    const name = await this.options.names([owner]);
    await this.options.notifications.send({
      recipients: { type: 'entity', entityRef: owner },
      payload: {
        title: `${name(
          owner,
        )} has reached ${level} % of its ${environment} budget`,
        description: `Its ${environment} stacks commit ${usd(
          budget.committed,
        )} a month of a budget of ${usd(budget.monthlyCost)}.${
          level === 100
            ? ' Requests that add cost are refused until stacks are made smaller or destroyed, or the budget is raised.'
            : ''
        }`,
        link: `/provisioning/budgets`,
        severity: level === 100 ? 'high' : 'normal',
        topic: 'provisioning-budget',
      },
    });
    this.options.logger.info(
      `Budget alert: ${owner} at ${level} % in ${environment}`,
    );
    return level;
  }
}
