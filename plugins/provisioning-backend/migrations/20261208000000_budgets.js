// @ts-check

/**
 * Budgets and quotas: the limits admins set in the portal per group and environment (config's
 * apply where there is none), and the budget alert each group was last sent, so that each
 * threshold crossed notifies once.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('budgets', table => {
    table.string('owner').notNullable();
    table.string('environment').notNullable();
    table.double('monthly_cost');
    table.integer('stack_quota');
    table.string('updated_by');
    table.timestamp('updated_at').notNullable();
    table.primary(['owner', 'environment']);
  });
  await knex.schema.createTable('budget_alerts', table => {
    table.string('owner').notNullable();
    table.string('environment').notNullable();
    /** The percentage of the budget last notified: 0 (none), 80 or 100. */
    table.integer('level').notNullable();
    table.primary(['owner', 'environment']);
  });
  await knex.schema.alterTable('stacks', table => {
    table.index(['owner', 'environment']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('stacks', table => {
    table.dropIndex(['owner', 'environment']);
  });
  await knex.schema.dropTable('budget_alerts');
  await knex.schema.dropTable('budgets');
};
