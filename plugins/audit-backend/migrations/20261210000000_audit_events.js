// @ts-check

/**
 * The audit trail: one row per audited action that ended (Backstage's auditor events of every
 * plugin, at or above the configured severity), newest found by `at`.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_events', table => {
    table.comment(
      'Audited actions of every plugin: who, when, what, on what, from which request',
    );
    table.increments('id');
    table.timestamp('at').notNullable();
    table.string('plugin').notNullable();
    table.string('event_id').notNullable();
    table.string('action');
    table.string('severity').notNullable();
    table.string('status').notNullable();
    table.string('actor');
    table.string('subject', 1000);
    table.string('request_method');
    table.text('request_url');
    table.text('meta');
    table.text('error');
    table.index(['at']);
    table.index(['actor', 'at']);
    table.index(['plugin', 'event_id', 'at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_events');
};
