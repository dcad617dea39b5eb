// @ts-check

/**
 * The run reconciler looks for runs still `running` that have not changed for a while.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table.index(['status', 'updated_at'], 'runs_status_updated_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('runs', table => {
    table.dropIndex(['status', 'updated_at'], 'runs_status_updated_idx');
  });
};
