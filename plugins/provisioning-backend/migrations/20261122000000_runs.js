// @ts-check

/**
 * Runs, their resource graph and their append-only event log.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('runs', table => {
    table.comment(
      'One provisioning run: one stack action of one scaffolder task',
    );
    table.string('id').primary();
    table.string('task_id').notNullable();
    table.string('stack_id').notNullable();
    table.string('stack_name').notNullable();
    table.string('environment').notNullable();
    table.string('template_ref');
    table.string('entity_ref');
    table.string('owner');
    table.string('created_by');
    table.string('status').notNullable();
    table.timestamp('created_at').notNullable();
    table.timestamp('updated_at').notNullable();
    table.timestamp('finished_at');
    table.integer('last_seq').notNullable().defaultTo(0);
    table.unique(['task_id', 'stack_id']);
    table.index(['created_at']);
  });
  await knex.schema.createTable('run_resources', table => {
    table.comment(
      'The graph of a run: one row per resource, as its events left it',
    );
    table
      .string('run_id')
      .notNullable()
      .references('id')
      .inTable('runs')
      .onDelete('CASCADE');
    table.string('resource').notNullable();
    table.string('status').notNullable();
    table.text('depends_on').notNullable();
    table.text('outputs');
    table.text('error');
    table.text('detail');
    table.timestamp('updated_at').notNullable();
    table.primary(['run_id', 'resource']);
  });
  await knex.schema.createTable('run_events', table => {
    table.comment('Append-only event log of a run; seq is the cursor');
    table
      .string('run_id')
      .notNullable()
      .references('id')
      .inTable('runs')
      .onDelete('CASCADE');
    table.integer('seq').notNullable();
    table.text('event').notNullable();
    table.primary(['run_id', 'seq']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('run_events');
  await knex.schema.dropTable('run_resources');
  await knex.schema.dropTable('runs');
};
