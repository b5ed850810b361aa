{#- The materializations: how a node's compiled SELECT becomes a relation. Each builds the new
    relation beside the old one and swaps it in inside one transaction, so a reader sees the old
    relation or the new one, never a half-built one, and a failure leaves the old one. -#}

{#- table, and view through the same steps: build <name>__dbt_tmp, move the old relation to
    <name>__dbt_backup, move the new one in, commit, drop the backup. -#}
{% macro silt_replace_relation(kind) -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type=kind) -%}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {%- set backup_type = kind if existing_relation is none else existing_relation.type -%}
    {%- set backup_relation = make_backup_relation(target_relation, backup_type) -%}
    {{- drop_relation_if_exists(load_cached_relation(intermediate_relation)) -}}
    {{- drop_relation_if_exists(load_cached_relation(backup_relation)) -}}
    {{- run_hooks(pre_hooks, inside_transaction=False) -}}
    {{- run_hooks(pre_hooks, inside_transaction=True) -}}
    {%- call statement('main') -%}
        {%- if kind == 'view' -%}
            {{ get_create_view_as_sql(intermediate_relation, sql) }}
        {%- else -%}
            {{ get_create_table_as_sql(False, intermediate_relation, sql) }}
        {%- endif -%}
    {%- endcall -%}
    {%- if kind == 'table' -%}
        {%- do create_indexes(intermediate_relation) -%}
    {%- endif -%}
    {%- if existing_relation is not none -%}
        {%- do adapter.rename_relation(existing_relation, backup_relation) -%}
    {%- endif -%}
    {%- do adapter.rename_relation(intermediate_relation, target_relation) -%}
    {{- run_hooks(post_hooks, inside_transaction=True) -}}
    {%- do apply_grants(target_relation, config.get('grants'), should_revoke(existing_relation, full_refresh_mode=True)) -%}
    {%- do persist_docs(target_relation, model) -%}
    {%- do adapter.commit() -%}
    {%- if existing_relation is not none -%}
        {%- do adapter.drop_relation(backup_relation) -%}
    {%- endif -%}
    {{- run_hooks(post_hooks, inside_transaction=False) -}}
    {{- return({'relations': [target_relation]}) -}}
{%- endmacro %}

{% materialization table, default %}
    {{- return(silt_replace_relation('table')) -}}
{% endmaterialization %}

{% materialization view, default %}
    {{- return(silt_replace_relation('view')) -}}
{% endmaterialization %}

{#- incremental: the first run (or --full-refresh) builds the table; later runs build the new rows
    into <name>__dbt_tmp and merge them with the strategy (append, delete+insert). -#}
{% materialization incremental, default %}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set temp_relation = make_temp_relation(target_relation) -%}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {%- set backup_relation = make_backup_relation(target_relation, 'table') -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set full_refresh_mode = should_full_refresh() -%}
    {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'), default='ignore') -%}
    {{- drop_relation_if_exists(load_cached_relation(intermediate_relation)) -}}
    {{- drop_relation_if_exists(load_cached_relation(backup_relation)) -}}
    {{- run_hooks(pre_hooks, inside_transaction=False) -}}
    {{- run_hooks(pre_hooks, inside_transaction=True) -}}
    {%- set swap = false -%}
    {%- if existing_relation is none -%}
        {%- set build_sql = get_create_table_as_sql(False, target_relation, sql) -%}
    {%- elif existing_relation.is_view or full_refresh_mode -%}
        {%- set build_sql = get_create_table_as_sql(False, intermediate_relation, sql) -%}
        {%- set swap = true -%}
    {%- else -%}
        {%- do run_query(get_create_table_as_sql(True, temp_relation, sql)) -%}
        {%- set contract = config.get('contract') -%}
        {%- if not contract or not contract.enforced -%}
            {%- do adapter.expand_target_column_types(from_relation=temp_relation, to_relation=target_relation) -%}
        {%- endif -%}
        {%- set dest_columns = process_schema_changes(on_schema_change, temp_relation, existing_relation) -%}
        {%- if not dest_columns -%}
            {%- set dest_columns = adapter.get_columns_in_relation(existing_relation) -%}
        {%- endif -%}
        {%- set strategy = config.get('incremental_strategy') or 'default' -%}
        {%- set strategy_macro = adapter.get_incremental_strategy_macro(context, strategy) -%}
        {%- set build_sql = strategy_macro({'target_relation': target_relation,
                                            'temp_relation': temp_relation,
                                            'unique_key': unique_key,
                                            'dest_columns': dest_columns,
                                            'incremental_predicates': config.get('incremental_predicates')}) -%}
    {%- endif -%}
    {%- call statement('main') -%}
        {{ build_sql }}
    {%- endcall -%}
    {%- if existing_relation is none or swap -%}
        {%- do create_indexes(intermediate_relation if swap else target_relation) -%}
    {%- endif -%}
    {%- if swap -%}
        {%- do adapter.rename_relation(existing_relation, backup_relation) -%}
        {%- do adapter.rename_relation(intermediate_relation, target_relation) -%}
    {%- endif -%}
    {{- run_hooks(post_hooks, inside_transaction=True) -}}
    {%- do apply_grants(target_relation, config.get('grants'), should_revoke(existing_relation, full_refresh_mode or swap)) -%}
    {%- do persist_docs(target_relation, model) -%}
    {%- do adapter.commit() -%}
    {%- if swap -%}
        {%- do adapter.drop_relation(backup_relation) -%}
    {%- endif -%}
    {%- do adapter.drop_relation(temp_relation) -%}
    {{- run_hooks(post_hooks, inside_transaction=False) -}}
    {{- return({'relations': [target_relation]}) -}}
{% endmaterialization %}

{#- test: the test's query wrapped to count failures and compare with warn_if/error_if; with
    store_failures, the failing rows are kept in a table of the audit schema first. -#}
{% materialization test, default %}
    {%- set relations = [] -%}
    {%- if should_store_failures() -%}
        {%- set identifier = model['alias'] -%}
        {%- set target_relation = api.Relation.create(identifier=identifier, schema=schema,
                                                      database=database, type='table') -%}
        {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
        {{- drop_relation_if_exists(old_relation) -}}
        {%- call statement(auto_begin=True) -%}
            {{ get_create_table_as_sql(False, target_relation, sql) }}
        {%- endcall -%}
        {%- do relations.append(target_relation) -%}
        {%- set main_sql -%}
            select * from {{ target_relation }}
        {%- endset -%}
        {%- do adapter.commit() -%}
    {%- else -%}
        {%- set main_sql = sql -%}
    {%- endif -%}
    {%- set limit = config.get('limit') -%}
    {%- set fail_calc = config.get('fail_calc') -%}
    {%- set warn_if = config.get('warn_if') -%}
    {%- set error_if = config.get('error_if') -%}
    {%- call statement('main', fetch_result=True) -%}
        {{ get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) }}
    {%- endcall -%}
    {{- return({'relations': relations}) -}}
{% endmaterialization %}

{% macro get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    {{ adapter.dispatch('get_test_sql', 'dbt')(main_sql, fail_calc, warn_if, error_if, limit) }}
{%- endmacro %}

{% macro default__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    select
      {{ fail_calc }} as failures,
      {{ fail_calc }} {{ warn_if }} as should_warn,
      {{ fail_calc }} {{ error_if }} as should_error
    from (
      {{ main_sql }}
      {{ "limit " ~ limit if limit != none }}
    ) dbt_internal_test
{%- endmacro %}
