// @ts-check

/**
 * The inventory's sorts read a page from an index instead of sorting every stack: by name,
 * template, creation and last change (owner, environment and monthly cost have theirs).
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('stacks', table => {
    table.index(['name']);
    table.index(['template_ref']);
    table.index(['created_at']);
    table.index(['changed_at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('stacks', table => {
    table.dropIndex(['name']);
    table.dropIndex(['template_ref']);
    table.dropIndex(['created_at']);
    table.dropIndex(['changed_at']);
  });
};
