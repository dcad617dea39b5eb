// @ts-check

/**
 * Approval requests: a stack run that needs a person's approval waits here, not in a scaffolder
 * worker; approved, its task is resumed (`resumed_at` says when, so a sweep resumes any the
 * decision could not).
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('approval_requests', table => {
    table.string('id').primary();
    table.string('task_id').notNullable();
    table.string('operation').notNullable();
    table.string('account_id').notNullable();
    table.string('region').notNullable();
    table.string('stack_id').notNullable();
    table.string('environment').notNullable();
    table.string('owner').notNullable();
    table.double('monthly_cost').notNullable();
    table.text('summary').notNullable();
    table.text('compliance');
    table.text('reasons').notNullable();
    table.text('approvers').notNullable();
    table.string('requested_by').notNullable();
    table.timestamp('requested_at').notNullable();
    table.timestamp('expires_at').notNullable();
    table.string('state').notNullable();
    table.string('decided_by');
    table.timestamp('decided_at');
    table.text('comment');
    table.timestamp('resumed_at');
    table.unique(['task_id', 'account_id', 'region', 'stack_id', 'operation']);
    table.index(['state', 'expires_at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('approval_requests');
};
