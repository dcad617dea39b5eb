// @ts-check

/**
 * Stacks name their resources (`orders-db`), so a resource's name no longer says its kind: each
 * run resource records its kind, the catalog type it becomes and its kind's typical creation time,
 * which the run page and the catalog read without knowing every registered kind. Rows recorded
 * before have none: their name is their kind.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('run_resources', table => {
    table.string('kind').nullable();
    table.string('catalog_type').nullable();
    table.integer('typical_create_seconds').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('run_resources', table => {
    table.dropColumn('kind');
    table.dropColumn('catalog_type');
    table.dropColumn('typical_create_seconds');
  });
};
