// @ts-check

/**
 * Tasks that wait for a Jira ticket to be done: the task ends (holding no worker), and the
 * module's sweep retries it once the ticket is done, or gives up at its deadline. In the
 * scaffolder's database, under the module's own migrations table.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('konductor_manual_waits', table => {
    table.string('task_id').notNullable();
    table.string('issue_key').notNullable();
    /** waiting, resumed (its task retried once the ticket was done) or expired. */
    table.string('state').notNullable();
    table.timestamp('created_at').notNullable();
    table.timestamp('deadline').notNullable();
    table.timestamp('ended_at');
    table.primary(['task_id', 'issue_key']);
    table.index(['state']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('konductor_manual_waits');
};
