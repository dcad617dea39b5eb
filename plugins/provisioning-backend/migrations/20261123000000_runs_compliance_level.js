// @ts-check

/**
 * The compliance level the stack was provisioned at, so its entities are evaluated at it.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table.string('compliance_level');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('compliance_level');
  });
};
