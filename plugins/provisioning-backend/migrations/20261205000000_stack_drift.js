// @ts-check

/**
 * Drift: what the last scan of each stack found (its resources as the cloud has them, against a
 * version of the desired state), and whether someone has asked for a scan since.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('stack_drift', table => {
    table.comment(
      'The last drift scan of each stack, and the scan someone asked for that has not reported',
    );
    table.string('account_id').notNullable();
    table.string('region').notNullable();
    table.string('stack_id').notNullable();
    table.integer('version');
    table.timestamp('scanned_at');
    table.text('resources');
    table.timestamp('scan_requested_at');
    table.primary(['account_id', 'region', 'stack_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('stack_drift');
};
