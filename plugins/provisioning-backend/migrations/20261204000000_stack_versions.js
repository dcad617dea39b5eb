// @ts-check

/**
 * Versioned desired state: a provisioning run records the spec it makes real; when it succeeds
 * that spec becomes its stack's next version, with what it changed.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table.text('spec');
  });
  await knex.schema.createTable('stack_versions', table => {
    table.comment(
      'Versions of the desired state of each stack, recorded by the runs that made them real',
    );
    table.string('account_id').notNullable();
    table.string('region').notNullable();
    table.string('stack_id').notNullable();
    table.integer('version').notNullable();
    table.string('run_id').notNullable();
    table.text('spec').notNullable();
    table.text('changes').notNullable();
    table.string('created_by');
    table.timestamp('created_at').notNullable();
    table.primary(['account_id', 'region', 'stack_id', 'version']);
    table.index(['run_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('stack_versions');
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('spec');
  });
};
