// @ts-check

/**
 * Compliance results per entity and check, their history, the facts they read, and exemptions.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('compliance_entities', table => {
    table.comment('Each evaluated catalog entity and its score');
    table.string('entity_ref').primary();
    table.string('kind').notNullable();
    table.string('type');
    table.string('owner');
    table.string('system');
    table.string('environment');
    table.string('level').notNullable();
    table.string('etag');
    table.float('score');
    table.text('counts').notNullable();
    table.timestamp('evaluated_at').notNullable();
    table.index(['owner']);
    table.index(['system']);
  });
  await knex.schema.createTable('compliance_results', table => {
    table.comment('The latest result of each check for each entity');
    table.string('entity_ref').notNullable();
    table.string('check_id').notNullable();
    table.string('status').notNullable();
    table.text('message').notNullable();
    table.text('controls').notNullable();
    table.text('evidence').notNullable();
    table.text('remediation');
    table.text('last_known');
    table.timestamp('evaluated_at').notNullable();
    table.primary(['entity_ref', 'check_id']);
    table.index(['check_id', 'status']);
  });
  await knex.schema.createTable('compliance_history', table => {
    table.comment(
      'Changes over time: a check status (check_id set) or an entity score (check_id null)',
    );
    table.increments('id');
    table.string('entity_ref').notNullable();
    table.string('check_id');
    table.string('status');
    table.float('score');
    table.timestamp('at').notNullable();
    table.index(['entity_ref', 'at']);
    table.index(['at']);
  });
  await knex.schema.createTable('compliance_exemptions', table => {
    table.comment(
      'A check waived for an entity, with a justification, until it expires',
    );
    table.string('id').primary();
    table.string('entity_ref').notNullable();
    table.string('check_id').notNullable();
    table.text('justification').notNullable();
    table.timestamp('expires_at').notNullable();
    table.string('created_by').notNullable();
    table.timestamp('created_at').notNullable();
    table.index(['entity_ref']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('compliance_exemptions');
  await knex.schema.dropTable('compliance_history');
  await knex.schema.dropTable('compliance_results');
  await knex.schema.dropTable('compliance_entities');
};
