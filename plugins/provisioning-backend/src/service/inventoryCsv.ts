import {
  csvLine,
  type StackInventoryItem,
} from '@konductor/plugin-provisioning-common';

const COLUMNS: [header: string, value: (s: StackInventoryItem) => unknown][] = [
  ['stack', s => s.stackId],
  ['name', s => s.name],
  ['environment', s => s.environment],
  ['account', s => s.accountId],
  ['region', s => s.region],
  ['owner', s => s.owner],
  ['template', s => s.templateRef],
  ['state', s => s.state],
  ['monthly_cost_usd', s => s.monthlyCost?.toFixed(2)],
  ['created_by', s => s.createdBy],
  ['created_at', s => s.createdAt],
  ['changed_by', s => s.changedBy],
  ['changed_at', s => s.changedAt],
  ['expires_at', s => s.expiresAt],
];

/** The CSV export's header line. */
export const INVENTORY_CSV_HEADER = csvLine(COLUMNS.map(([h]) => h));

/** The CSV lines of `items`, one per stack. */
export function inventoryCsvLines(items: StackInventoryItem[]): string {
  return items
    .map(item => csvLine(COLUMNS.map(([, value]) => value(item))))
    .join('');
}
