// @ts-check

/**
 * Expiry: when the platform destroys a dev or staging stack, the last notice its owners were
 * sent about it, and the destroy task the expiry started.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('stacks', table => {
    table.timestamp('expires_at');
    table.string('expiry_notice');
    table.string('expiry_task_id');
    table.index(['expires_at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('stacks', table => {
    table.dropIndex(['expires_at']);
    table.dropColumn('expires_at');
    table.dropColumn('expiry_notice');
    table.dropColumn('expiry_task_id');
  });
};
