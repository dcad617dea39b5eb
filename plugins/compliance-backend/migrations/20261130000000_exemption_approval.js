// @ts-check

/**
 * Exemptions are requested, then approved by someone else: status, approver and time. The
 * exemptions created before approvals existed were created by authorized users and stay in force.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('compliance_exemptions', table => {
    table.string('status').notNullable().defaultTo('approved');
    table.string('approved_by');
    table.timestamp('approved_at');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('compliance_exemptions', table => {
    table.dropColumn('status');
    table.dropColumn('approved_by');
    table.dropColumn('approved_at');
  });
};
