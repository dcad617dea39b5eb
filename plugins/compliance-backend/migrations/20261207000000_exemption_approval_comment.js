// @ts-check

/**
 * An approver may say something to the requester too (a condition, a reminder): their words.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('compliance_exemptions', table => {
    table.text('approval_comment');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('compliance_exemptions', table => {
    table.dropColumn('approval_comment');
  });
};
