// @ts-check

/**
 * The stack inventory: each stack keeps what the inventory lists, filters and sorts by (its
 * template, its monthly cost, who changed it last and when, its last run and whether the last
 * drift scan found drift), written with the runs and scans that change them. Stacks recorded
 * before this migration get theirs from their runs, versions and scans.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table.double('monthly_cost');
  });
  await knex.schema.alterTable('stacks', table => {
    table.string('template_ref');
    table.double('monthly_cost');
    table.string('changed_by');
    table.timestamp('changed_at');
    table.string('last_run_id');
    table.string('last_run_status');
    table.boolean('drifted').notNullable().defaultTo(false);
    table.index(['environment']);
    table.index(['monthly_cost']);
    table.index(['last_run_id']);
  });
  const stacks = await knex('stacks').select(
    'account_id',
    'region',
    'stack_id',
  );
  for (const key of stacks) {
    const last = await knex('runs')
      .where(key)
      .orderBy('created_at', 'desc')
      .first();
    const made = await knex('runs')
      .where({ ...key, status: 'succeeded' })
      .whereNotNull('template_ref')
      .orderBy('created_at', 'desc')
      .first();
    const version = await knex('stack_versions')
      .where(key)
      .orderBy('version', 'desc')
      .first();
    const drift = await knex('stack_drift').where(key).first();
    /** @type {{ state: string }[]} */
    const resources = drift?.resources ? JSON.parse(drift.resources) : [];
    await knex('stacks')
      .where(key)
      .update({
        template_ref: made?.template_ref ?? null,
        changed_by: version?.created_by ?? null,
        changed_at: version?.created_at ?? null,
        last_run_id: last?.id ?? null,
        last_run_status: last?.status ?? null,
        drifted: resources.some(
          r => r.state === 'drifted' || r.state === 'missing',
        ),
      });
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('stacks', table => {
    table.dropIndex(['environment']);
    table.dropIndex(['monthly_cost']);
    table.dropIndex(['last_run_id']);
    for (const column of [
      'template_ref',
      'monthly_cost',
      'changed_by',
      'changed_at',
      'last_run_id',
      'last_run_status',
      'drifted',
    ])
      table.dropColumn(column);
  });
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('monthly_cost');
  });
};
