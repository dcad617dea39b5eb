// @ts-check

/**
 * Stack ownership: a stack (account, region, stack id) belongs to the owner that first claimed
 * it. Runs record their stack's account and region, so each run maps to its stack.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('stacks', table => {
    table.comment(
      'Who owns each stack: claimed by its first run, released when it is destroyed',
    );
    table.string('account_id').notNullable();
    table.string('region').notNullable();
    table.string('stack_id').notNullable();
    table.string('name').notNullable();
    table.string('environment').notNullable();
    table.string('owner').notNullable();
    table.string('created_by');
    table.timestamp('created_at').notNullable();
    table.primary(['account_id', 'region', 'stack_id']);
    table.index(['owner']);
  });
  await knex.schema.alterTable('runs', table => {
    table.string('account_id');
    table.string('region');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('account_id');
    table.dropColumn('region');
  });
  await knex.schema.dropTable('stacks');
};
