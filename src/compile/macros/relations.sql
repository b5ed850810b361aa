{#- Relation helpers the materializations share: the names of the relations a build goes
    through, lookups through the relation cache, and the DDL that creates tables and views. -#}

{% macro make_intermediate_relation(base_relation, suffix='__dbt_tmp') -%}
    {{ return(base_relation.incorporate(path={"identifier": base_relation.identifier ~ suffix})) }}
{%- endmacro %}

{% macro make_temp_relation(base_relation, suffix='__dbt_tmp') -%}
    {{ return(adapter.dispatch('make_temp_relation', 'dbt')(base_relation, suffix)) }}
{%- endmacro %}

{% macro default__make_temp_relation(base_relation, suffix) -%}
    {{ return(base_relation.incorporate(path={"identifier": base_relation.identifier ~ suffix})) }}
{%- endmacro %}

{% macro make_backup_relation(base_relation, backup_relation_type, suffix='__dbt_backup') -%}
    {{ return(base_relation.incorporate(path={"identifier": base_relation.identifier ~ suffix},
                                        type=backup_relation_type)) }}
{%- endmacro %}

{% macro load_cached_relation(relation) -%}
    {{ return(adapter.get_relation(database=relation.database, schema=relation.schema,
                                   identifier=relation.identifier)) }}
{%- endmacro %}

{% macro load_relation(relation) -%}
    {{ return(load_cached_relation(relation)) }}
{%- endmacro %}

{% macro drop_relation_if_exists(relation) -%}
    {%- if relation is not none -%}
        {%- do adapter.drop_relation(relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro get_create_table_as_sql(temporary, relation, sql) -%}
    {{ adapter.dispatch('get_create_table_as_sql', 'dbt')(temporary, relation, sql) }}
{%- endmacro %}

{% macro default__get_create_table_as_sql(temporary, relation, sql) -%}
    {{ return(create_table_as(temporary, relation, sql)) }}
{%- endmacro %}

{% macro create_table_as(temporary, relation, compiled_code, language='sql') -%}
    {{ adapter.dispatch('create_table_as', 'dbt')(temporary, relation, compiled_code) }}
{%- endmacro %}

{% macro default__create_table_as(temporary, relation, sql) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {{ sql_header if sql_header is not none }}
    create {% if temporary -%}temporary{%- endif %} table
      {{ relation.include(database=(not temporary), schema=(not temporary)) }}
    as (
      {{ sql }}
    );
{%- endmacro %}

{#- SQLite: no parentheses around the query; temporary tables would live outside the schema
    prefixes, so the temporary relation is an ordinary table the materialization drops. -#}
{% macro sqlite__create_table_as(temporary, relation, sql) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {{ sql_header if sql_header is not none }}
    create table {{ relation }}
    as
    {{ sql }}
{%- endmacro %}

{% macro get_create_view_as_sql(relation, sql) -%}
    {{ adapter.dispatch('get_create_view_as_sql', 'dbt')(relation, sql) }}
{%- endmacro %}

{% macro default__get_create_view_as_sql(relation, sql) -%}
    {{ return(create_view_as(relation, sql)) }}
{%- endmacro %}

{% macro create_view_as(relation, sql) -%}
    {{ adapter.dispatch('create_view_as', 'dbt')(relation, sql) }}
{%- endmacro %}

{% macro default__create_view_as(relation, sql) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {{ sql_header if sql_header is not none }}
    create view {{ relation }} as (
      {{ sql }}
    );
{%- endmacro %}

{% macro sqlite__create_view_as(relation, sql) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {{ sql_header if sql_header is not none }}
    create view {{ relation }} as
    {{ sql }}
{%- endmacro %}

{#- The `indexes` config of a table: one statement per index, from the adapter's
    get_create_index_sql (none by default: SQLite models take no indexes config). -#}
{% macro create_indexes(relation) -%}
    {{ adapter.dispatch('create_indexes', 'dbt')(relation) }}
{%- endmacro %}

{% macro default__create_indexes(relation) -%}
    {%- for index_dict in config.get('indexes', default=[]) or [] -%}
        {%- set create_index_sql = get_create_index_sql(relation, index_dict) -%}
        {%- if create_index_sql and create_index_sql | trim -%}
            {%- do run_query(create_index_sql) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro get_create_index_sql(relation, index_dict) -%}
    {{ return(adapter.dispatch('get_create_index_sql', 'dbt')(relation, index_dict)) }}
{%- endmacro %}

{% macro default__get_create_index_sql(relation, index_dict) -%}
    {{ return(none) }}
{%- endmacro %}

{#- Column names quoted and joined with ", ". -#}
{% macro get_quoted_csv(column_names) -%}
    {%- set quoted = [] -%}
    {%- for col in column_names -%}
        {%- do quoted.append(adapter.quote(col)) -%}
    {%- endfor -%}
    {{ return(quoted | join(', ')) }}
{%- endmacro %}

{#- Hooks of one phase: the ones inside the model's transaction, or (after committing) the ones
    outside it. Each hook's SQL is rendered now, in the node's context. -#}
{% macro run_hooks(hooks, inside_transaction=True) -%}
    {%- for hook in hooks | selectattr('transaction', 'equalto', inside_transaction) -%}
        {%- if not inside_transaction and loop.first -%}
            {%- do adapter.commit() -%}
        {%- endif -%}
        {%- set rendered = render(hook.get('sql')) | trim -%}
        {%- if rendered | length > 0 -%}
            {%- call statement(auto_begin=inside_transaction) -%}
                {{ rendered }}
            {%- endcall -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro in_transaction(sql) -%}{{ sql }}{%- endmacro %}
{% macro before_begin(sql) -%}{{ sql }}{%- endmacro %}
{% macro after_commit(sql) -%}{{ sql }}{%- endmacro %}

{% macro should_store_failures() -%}
    {%- set config_store_failures = config.get('store_failures') -%}
    {%- if config_store_failures is none -%}
        {%- set config_store_failures = flags.STORE_FAILURES -%}
    {%- endif -%}
    {{ return(config_store_failures) }}
{%- endmacro %}

{#- grants: {privilege: [grantee, ...]} applied to a relation after it is built. A relation
    built beside the old one starts without grants (nothing to revoke); an incremental table
    keeps its grants, so what the config no longer names is revoked. The default does nothing
    (SQLite has no GRANT); postgres__ forms are in postgres.sql. -#}
{% macro should_revoke(existing_relation, full_refresh_mode=True) -%}
    {%- if not existing_relation -%}
        {{ return(false) }}
    {%- elif full_refresh_mode -%}
        {{ return(copy_grants()) }}
    {%- else -%}
        {{ return(true) }}
    {%- endif -%}
{%- endmacro %}

{% macro copy_grants() -%}
    {{ return(adapter.dispatch('copy_grants', 'dbt')()) }}
{%- endmacro %}

{% macro default__copy_grants() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro apply_grants(relation, grant_config, should_revoke=True) -%}
    {{ adapter.dispatch('apply_grants', 'dbt')(relation, grant_config, should_revoke) }}
{%- endmacro %}

{% macro default__apply_grants(relation, grant_config, should_revoke=True) -%}
{%- endmacro %}

{#- persist_docs: {relation: bool, columns: bool} writes the model's descriptions as comments.
    Nothing by default (SQLite has no comments). -#}
{% macro persist_docs(relation, model, for_relation=true, for_columns=true) -%}
    {{ adapter.dispatch('persist_docs', 'dbt')(relation, model, for_relation, for_columns) }}
{%- endmacro %}

{% macro default__persist_docs(relation, model, for_relation, for_columns) -%}
{%- endmacro %}
