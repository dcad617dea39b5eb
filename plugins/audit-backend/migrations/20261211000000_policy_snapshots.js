// @ts-check

/**
 * The platform's policy configuration as last recorded, one row per config key (the permission
 * policy, approval rules, budgets, expiry, compliance): a backend that starts with a different one
 * records a `policy-change` in the audit trail, once, whichever replica sees it first.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('policy_snapshots', table => {
    table.string('key').primary();
    /** The key's value as canonical JSON (object keys sorted); `null` when it is not set. */
    table.text('value').notNullable();
    table.timestamp('recorded_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('policy_snapshots');
};
