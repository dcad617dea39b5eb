/**
 * On-demand list prices in USD (us-east-1, Linux, no discounts), from AWS's public price lists
 * for RDS for PostgreSQL, EC2, EKS and Secrets Manager. Estimates use them for every region;
 * they are for comparing options before anything is created, not for billing.
 */
export const PRICES = {
  hoursPerMonth: 730,
  rdsInstanceHourly: {
    'db.t4g.micro': 0.016,
    'db.t4g.small': 0.032,
    'db.t4g.medium': 0.065,
    'db.t4g.large': 0.129,
    'db.m6g.large': 0.152,
    'db.m6g.xlarge': 0.304,
    'db.r6g.large': 0.225,
    'db.r6g.xlarge': 0.45,
  } as Record<string, number>,
  rdsStorageGbMonthly: 0.115,
  ec2InstanceHourly: {
    't3.small': 0.0208,
    't3.medium': 0.0416,
    't3.large': 0.0832,
    'm6i.large': 0.096,
    'm6i.xlarge': 0.192,
    'c6i.large': 0.085,
    'r6i.large': 0.126,
  } as Record<string, number>,
  eksClusterHourly: 0.1,
  secretMonthly: 0.4,
  natGatewayHourly: 0.045,
};

/** An amount in USD as every page and log writes it: `$1,234.50`. */
export const usd = (amount: number): string =>
  amount.toLocaleString('en-US', { style: 'currency', currency: 'USD' });

/** A monthly cost as every page and log writes it: `$1,234.50/month`. */
export const perMonth = (amount: number): string => `${usd(amount)}/month`;
