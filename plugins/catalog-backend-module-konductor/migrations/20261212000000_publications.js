// @ts-check

/**
 * URLs that template authors published to the catalog (the catalog's own database, beside its
 * tables; this module's migrations are tracked in their own table).
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('konductor_publications', table => {
    table.string('target', 1024).primary();
    /** The catalog location it was registered as: another registration of the URL is not it. */
    table.string('location_id');
    table.string('published_by').notNullable();
    table.timestamp('published_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('konductor_publications');
};
