import type { StackInventoryItem } from '@konductor/plugin-provisioning-common';

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

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A text that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is prefixed with `'`.
 */
function field(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text))
    text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV export's header line. */
export const INVENTORY_CSV_HEADER = `${COLUMNS.map(([h]) => h).join(',')}\r\n`;

/** The CSV lines of `items`, one per stack. */
export function inventoryCsvLines(items: StackInventoryItem[]): string {
  return items
    .map(
      item => `${COLUMNS.map(([, value]) => field(value(item))).join(',')}\r\n`,
    )
    .join('');
}
