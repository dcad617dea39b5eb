// @ts-check

/**
 * One active run per stack: the run that holds a stack's lease, until when. A run renews its
 * lease while it lives; a lease whose holder died is taken over once it expires.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('stacks', table => {
    table.string('lease_holder');
    table.timestamp('lease_expires_at');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('stacks', table => {
    table.dropColumn('lease_holder');
    table.dropColumn('lease_expires_at');
  });
};
