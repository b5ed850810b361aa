{#- Whether an incremental model builds on its existing table: only when running (not parsing),
    the relation exists as a table, the model is incremental and no full refresh was asked. -#}
{% macro is_incremental() %}
    {%- if not execute -%}
        {{ return(false) }}
    {%- else -%}
        {%- set relation = adapter.get_relation(this.database, this.schema, this.table) -%}
        {{ return(relation is not none
                  and relation.type == 'table'
                  and model.config.materialized == 'incremental'
                  and not should_full_refresh()) }}
    {%- endif -%}
{% endmacro %}

{#- config.full_refresh when the model sets it, else the --full-refresh flag -#}
{% macro should_full_refresh() %}
    {#- a microbatch model's batches after the first merge into the table the first one built -#}
    {%- if __silt_microbatch_incremental is defined and __silt_microbatch_incremental -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set config_full_refresh = config.get('full_refresh') -%}
    {%- if config_full_refresh is none -%}
        {%- set config_full_refresh = flags.FULL_REFRESH -%}
    {%- endif -%}
    {{ return(config_full_refresh) }}
{% endmacro %}

{#- on_schema_change: ignore (default), fail, append_new_columns, sync_all_columns. -#}
{% macro incremental_validate_on_schema_change(on_schema_change, default='ignore') -%}
    {%- if on_schema_change not in ['sync_all_columns', 'append_new_columns', 'fail', 'ignore'] -%}
        {%- if on_schema_change is not none -%}
            {%- do log("Invalid value for on_schema_change (" ~ on_schema_change ~ ") specified. Setting default value of " ~ default ~ ".", info=true) -%}
        {%- endif -%}
        {{ return(default) }}
    {%- else -%}
        {{ return(on_schema_change) }}
    {%- endif -%}
{%- endmacro %}

{#- Compares the new rows' columns with the table's and acts as on_schema_change says. Returns the
    columns to insert (none when nothing changed: the caller reads the table's). -#}
{% macro process_schema_changes(on_schema_change, source_relation, target_relation) -%}
    {%- if on_schema_change == 'ignore' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set source_columns = adapter.get_columns_in_relation(source_relation) -%}
    {%- set target_columns = adapter.get_columns_in_relation(target_relation) -%}
    {%- set source_names = source_columns | map(attribute='name') | map('lower') | list -%}
    {%- set target_names = target_columns | map(attribute='name') | map('lower') | list -%}
    {%- set add = [] -%}
    {%- for c in source_columns if c.name | lower not in target_names -%}
        {%- do add.append(c) -%}
    {%- endfor -%}
    {%- set remove = [] -%}
    {%- for c in target_columns if c.name | lower not in source_names -%}
        {%- do remove.append(c) -%}
    {%- endfor -%}
    {%- if not add and not remove -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if on_schema_change == 'fail' -%}
        {%- do exceptions.raise_compiler_error("The source and target schemas on this incremental model are out of sync!\n  They can be reconciled in several ways:\n    - set the `on_schema_change` config to either append_new_columns or sync_all_columns, depending on your situation.\n    - Re-run the incremental model with `full_refresh: True` to update the target schema.\n    - update the schema manually and re-run the process.\n\n  Additional troubleshooting context:\n     Source columns not in target: " ~ (add | map(attribute='name') | list) ~ "\n     Target columns not in source: " ~ (remove | map(attribute='name') | list)) -%}
    {%- endif -%}
    {%- for c in add -%}
        {%- call statement() -%}
            alter table {{ target_relation }} add column {{ adapter.quote(c.name) }} {{ c.data_type }}
        {%- endcall -%}
    {%- endfor -%}
    {%- if on_schema_change == 'sync_all_columns' -%}
        {%- for c in remove -%}
            {%- call statement() -%}
                alter table {{ target_relation }} drop column {{ adapter.quote(c.name) }}
            {%- endcall -%}
        {%- endfor -%}
        {{ return(source_columns) }}
    {%- endif -%}
    {{ return(adapter.get_columns_in_relation(target_relation)) }}
{%- endmacro %}

{#- A column's type changed in place (dbt's default): a new column of the type, the values copied
    over, the old column dropped (cascade) and the new one renamed to its name. -#}
{% macro alter_column_type(relation, column_name, new_column_type) -%}
    {{ return(adapter.dispatch('alter_column_type', 'dbt')(relation, column_name, new_column_type)) }}
{%- endmacro %}

{% macro default__alter_column_type(relation, column_name, new_column_type) -%}
    {%- set tmp_column = column_name + "__dbt_alter" -%}
    {%- call statement('alter_column_type') %}
    alter table {{ relation }} add column {{ adapter.quote(tmp_column) }} {{ new_column_type }};
    update {{ relation }} set {{ adapter.quote(tmp_column) }} = {{ adapter.quote(column_name) }};
    alter table {{ relation }} drop column {{ adapter.quote(column_name) }} cascade;
    alter table {{ relation }} rename column {{ adapter.quote(tmp_column) }} to {{ adapter.quote(column_name) }}
    {%- endcall %}
{%- endmacro %}

{#- The strategies. Each returns the SQL that merges temp_relation's rows into target_relation. -#}
{% macro get_incremental_default_sql(arg_dict) -%}
    {{ return(adapter.dispatch('get_incremental_default_sql', 'dbt')(arg_dict)) }}
{%- endmacro %}

{% macro default__get_incremental_default_sql(arg_dict) -%}
    {%- if arg_dict['unique_key'] -%}
        {{ return(get_incremental_delete_insert_sql(arg_dict)) }}
    {%- else -%}
        {{ return(get_incremental_append_sql(arg_dict)) }}
    {%- endif -%}
{%- endmacro %}

{% macro get_incremental_append_sql(arg_dict) -%}
    {{ return(get_insert_into_sql(arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['dest_columns'])) }}
{%- endmacro %}

{% macro get_insert_into_sql(target_relation, temp_relation, dest_columns) -%}
    {%- set cols = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    insert into {{ target_relation }} ({{ cols }})
    select {{ cols }}
    from {{ temp_relation }}
{%- endmacro %}

{% macro get_incremental_delete_insert_sql(arg_dict) -%}
    {{ return(get_delete_insert_merge_sql(arg_dict['target_relation'], arg_dict['temp_relation'],
                                          arg_dict['unique_key'], arg_dict['dest_columns'],
                                          arg_dict['incremental_predicates'])) }}
{%- endmacro %}

{% macro get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) -%}
    {{ adapter.dispatch('get_delete_insert_merge_sql', 'dbt')(target, source, unique_key, dest_columns, incremental_predicates) }}
{%- endmacro %}

{#- microbatch (dbt 1.9): each batch's rows (model.batch, the window [event_time_start,
    event_time_end) of the model's event_time) merged into the table. dbt-core leaves the SQL to
    the adapter; silt's default, which SQLite uses, deletes the table's rows of the window and
    inserts the batch's (SQLite compares its text timestamps with 'YYYY-MM-DD HH:MM:SS'). -#}
{% macro get_incremental_microbatch_sql(arg_dict) -%}
    {{ return(adapter.dispatch('get_incremental_microbatch_sql', 'dbt')(arg_dict)) }}
{%- endmacro %}

{% macro default__get_incremental_microbatch_sql(arg_dict) -%}
    {%- set event_time = config.get('event_time') -%}
    {%- set batch = model.get('batch') -%}
    {%- if not event_time or not batch -%}
        {%- do exceptions.raise_compiler_error("The 'microbatch' strategy runs only in a microbatch model's batches (incremental_strategy 'microbatch' with an event_time)") -%}
    {%- endif -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set cols = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) %}
    delete from {{ target }}
    where {{ event_time }} >= '{{ batch.event_time_start.strftime('%Y-%m-%d %H:%M:%S') }}'
    and {{ event_time }} < '{{ batch.event_time_end.strftime('%Y-%m-%d %H:%M:%S') }}'
    {%- for predicate in arg_dict['incremental_predicates'] or [] %}
    and {{ predicate }}{% endfor %};
    insert into {{ target }} ({{ cols }})
    select {{ cols }}
    from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{#- One key: delete the target's rows whose key the new rows carry. Several keys: the same with
    a correlated EXISTS (SQLite has no DELETE ... USING). Then insert every new row. -#}
{% macro default__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set cols = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    {%- if unique_key -%}
        {%- if unique_key is sequence and unique_key is not string %}
    delete from {{ target }}
    where exists (
        select 1 from {{ source }}
        where {% for key in unique_key %}{{ source }}.{{ key }} = {{ target }}.{{ key }}{{ " and " if not loop.last }}{% endfor %}
    ){% for predicate in incremental_predicates or [] %}
    and {{ predicate }}{% endfor %};
        {%- else %}
    delete from {{ target }}
    where ({{ unique_key }}) in (
        select ({{ unique_key }})
        from {{ source }}
    ){% for predicate in incremental_predicates or [] %}
    and {{ predicate }}{% endfor %};
        {%- endif %}
    {%- endif %}
    insert into {{ target }} ({{ cols }})
    select {{ cols }}
    from {{ source }}
{%- endmacro %}
