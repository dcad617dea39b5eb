// @ts-check

/**
 * Change windows (freezes) declared by platform admins in the portal: while one lasts, runs in its
 * environments wait for its approvers (config's windows live in config).
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('change_windows', table => {
    table.string('id').primary();
    table.string('description', 200).notNullable();
    /** JSON arrays: the environments and operations it holds (operations null: all). */
    table.text('environments').notNullable();
    table.text('operations');
    table.timestamp('starts_at').notNullable();
    table.timestamp('ends_at').notNullable().index();
    /** JSON array of entity refs (or `owner`). */
    table.text('approvers').notNullable();
    table.string('declared_by').notNullable();
    table.timestamp('declared_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('change_windows');
};
