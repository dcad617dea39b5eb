// @ts-check

/**
 * An exemption request may be rejected, with the approver's words: who, when and why.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('compliance_exemptions', table => {
    table.string('rejected_by');
    table.timestamp('rejected_at');
    table.text('rejection_comment');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('compliance_exemptions', table => {
    table.dropColumn('rejected_by');
    table.dropColumn('rejected_at');
    table.dropColumn('rejection_comment');
  });
};
