{#- Snapshots: a type-2 history of a query's rows. The first run creates the table with the
    query's rows and four columns dbt adds (dbt_scd_id, dbt_updated_at, dbt_valid_from,
    dbt_valid_to; dbt_is_deleted with hard_deletes: new_record). Later runs build a staging
    table of changes (insert: new or changed rows; update: the current versions they replace;
    delete: current rows gone from the query) and merge it: close the replaced versions
    (dbt_valid_to), insert the new ones. The names of the four columns follow
    snapshot_meta_column_names. -#}

{#- The meta column names: dbt's defaults, renamed by snapshot_meta_column_names. -#}
{% macro get_snapshot_table_column_names() -%}
    {%- set names = config.get('snapshot_meta_column_names') or {} -%}
    {{ return({
        'dbt_valid_to': names.get('dbt_valid_to') or 'dbt_valid_to',
        'dbt_valid_from': names.get('dbt_valid_from') or 'dbt_valid_from',
        'dbt_scd_id': names.get('dbt_scd_id') or 'dbt_scd_id',
        'dbt_updated_at': names.get('dbt_updated_at') or 'dbt_updated_at',
        'dbt_is_deleted': names.get('dbt_is_deleted') or 'dbt_is_deleted',
    }) }}
{%- endmacro %}

{#- hard_deletes (ignore | invalidate | new_record), or the legacy invalidate_hard_deletes. -#}
{% macro silt_snapshot_hard_deletes(config) -%}
    {%- set legacy = config.get('invalidate_hard_deletes') -%}
    {%- set hard_deletes = config.get('hard_deletes') -%}
    {%- if legacy is not none and hard_deletes is not none -%}
        {%- do exceptions.raise_compiler_error("You cannot set both the invalidate_hard_deletes and hard_deletes config properties on the same snapshot.") -%}
    {%- endif -%}
    {%- if legacy or hard_deletes == 'invalidate' -%}
        {{ return('invalidate') }}
    {%- elif hard_deletes == 'new_record' -%}
        {{ return('new_record') }}
    {%- elif hard_deletes is none or hard_deletes == 'ignore' -%}
        {{ return('ignore') }}
    {%- endif -%}
    {%- do exceptions.raise_compiler_error("Invalid setting for property hard_deletes.") -%}
{%- endmacro %}

{#- Whether a unique_key is several columns. -#}
{% macro silt_is_key_list(unique_key) -%}
    {{ return(unique_key is not string and unique_key is iterable) }}
{%- endmacro %}

{#- strategy by name: snapshot_<name>_strategy, optionally package-qualified. -#}
{% macro strategy_dispatch(name) -%}
    {%- set original_name = name -%}
    {%- if '.' in name -%}
        {%- set package_name, name = name.split('.', 1) -%}
    {%- else -%}
        {%- set package_name = none -%}
    {%- endif -%}
    {%- if package_name is none -%}
        {%- set package_context = context -%}
    {%- elif package_name in context -%}
        {%- set package_context = context[package_name] -%}
    {%- else -%}
        {%- do exceptions.raise_compiler_error("Could not find package '" ~ package_name ~ "', called with '" ~ original_name ~ "'") -%}
    {%- endif -%}
    {%- set search_name = 'snapshot_' ~ name ~ '_strategy' -%}
    {#- the render context holds no macros here: dbt's two strategies are named directly -#}
    {%- if package_name is none and name == 'timestamp' -%}
        {{ return(snapshot_timestamp_strategy) }}
    {%- elif package_name is none and name == 'check' -%}
        {{ return(snapshot_check_strategy) }}
    {%- endif -%}
    {%- if search_name not in package_context -%}
        {%- do exceptions.raise_compiler_error("The specified strategy macro '" ~ name ~ "' was not found in package '" ~ package_name ~ "'") -%}
    {%- endif -%}
    {{ return(package_context[search_name]) }}
{%- endmacro %}

{#- md5 of the arguments cast to text, '|'-separated, a missing one as ''. -#}
{% macro snapshot_hash_arguments(args) -%}
    {{ adapter.dispatch('snapshot_hash_arguments', 'dbt')(args) }}
{%- endmacro %}

{% macro default__snapshot_hash_arguments(args) -%}
    md5({%- for arg in args -%}
        coalesce(cast({{ arg }} as varchar ), '')
        {% if not loop.last %} || '|' || {% endif %}
    {%- endfor -%})
{%- endmacro %}

{% macro snapshot_get_time() -%}
    {{ adapter.dispatch('snapshot_get_time', 'dbt')() }}
{%- endmacro %}

{% macro default__snapshot_get_time() -%}
    {{ current_timestamp() }}
{%- endmacro %}

{#- The arguments dbt_scd_id hashes: the key column(s), then updated_at. -#}
{% macro silt_scd_args(primary_key, updated_at) -%}
    {%- if silt_is_key_list(primary_key) -%}
        {{ return(primary_key | list + [updated_at]) }}
    {%- endif -%}
    {{ return([primary_key, updated_at]) }}
{%- endmacro %}

{% macro snapshot_timestamp_strategy(node, snapshotted_rel, current_rel, model_config, target_exists) %}
    {%- set primary_key = config.get('unique_key') -%}
    {%- set updated_at = config.get('updated_at') -%}
    {%- set hard_deletes = silt_snapshot_hard_deletes(config) -%}
    {%- set columns = get_snapshot_table_column_names() -%}
    {#- compared with the snapshot's own dbt_valid_from, not the user's column, which a table that
        began with the check strategy may lack -#}
    {%- set row_changed_expr -%}
        ({{ snapshotted_rel }}.{{ columns.dbt_valid_from }} < {{ current_rel }}.{{ updated_at }})
    {%- endset -%}
    {%- set scd_id_expr = snapshot_hash_arguments(silt_scd_args(primary_key, updated_at)) -%}
    {{ return({
        "unique_key": primary_key,
        "updated_at": updated_at,
        "row_changed": row_changed_expr,
        "scd_id": scd_id_expr,
        "invalidate_hard_deletes": hard_deletes == 'invalidate',
        "hard_deletes": hard_deletes
    }) }}
{% endmacro %}

{#- The column names of a query's result, without reading its rows. -#}
{% macro get_columns_in_query(select_sql) -%}
    {%- set probe -%}
        select * from (
            {{ select_sql }}
        ) as __dbt_sbq
        where false
        limit 0
    {%- endset -%}
    {{ return(run_query(probe).column_names | list) }}
{%- endmacro %}

{#- check_cols ('all' or a list) as they exist in the snapshot table; [column added, columns]. -#}
{% macro snapshot_check_all_get_existing_columns(node, target_exists, check_cols_config) -%}
    {%- if check_cols_config == 'all' -%}
        {%- set query_columns = get_columns_in_query(node['compiled_code']) -%}
    {%- elif check_cols_config is iterable and (check_cols_config | length) > 0 -%}
        {%- set select_check_cols -%}
            select {{ check_cols_config | join(', ') }} from (
                {{ node['compiled_code'] }}
            ) subq
        {%- endset -%}
        {%- set query_columns = get_columns_in_query(select_check_cols) -%}
    {%- else -%}
        {%- do exceptions.raise_compiler_error("Invalid value for 'check_cols': " ~ check_cols_config) -%}
    {%- endif -%}
    {%- if not target_exists -%}
        {{ return([false, query_columns]) }}
    {%- endif -%}
    {%- set target_relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- set existing_cols = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | list -%}
    {%- set ns = namespace(column_added=false) -%}
    {%- set intersection = [] -%}
    {%- for col in query_columns -%}
        {%- if col in existing_cols -%}
            {%- do intersection.append(adapter.quote(col)) -%}
        {%- else -%}
            {%- set ns.column_added = true -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return([ns.column_added, intersection]) }}
{%- endmacro %}

{% macro snapshot_check_strategy(node, snapshotted_rel, current_rel, model_config, target_exists) %}
    {%- set check_cols_config = config.get('check_cols') -%}
    {%- set primary_key = config.get('unique_key') -%}
    {%- set hard_deletes = silt_snapshot_hard_deletes(config) -%}
    {%- set updated_at = config.get('updated_at') or snapshot_get_time() -%}
    {%- set column_added, check_cols = snapshot_check_all_get_existing_columns(node, target_exists, check_cols_config) -%}
    {%- set row_changed_expr -%}
    (
    {%- if column_added -%}
        TRUE
    {%- else -%}
    {%- for col in check_cols -%}
        {{ snapshotted_rel }}.{{ col }} != {{ current_rel }}.{{ col }}
        or
        (
            (({{ snapshotted_rel }}.{{ col }} is null) and not ({{ current_rel }}.{{ col }} is null))
            or
            ((not {{ snapshotted_rel }}.{{ col }} is null) and ({{ current_rel }}.{{ col }} is null))
        )
        {%- if not loop.last %} or {% endif -%}
    {%- endfor -%}
    {%- endif -%}
    )
    {%- endset -%}
    {%- set scd_id_expr = snapshot_hash_arguments(silt_scd_args(primary_key, updated_at)) -%}
    {{ return({
        "unique_key": primary_key,
        "updated_at": updated_at,
        "row_changed": row_changed_expr,
        "scd_id": scd_id_expr,
        "invalidate_hard_deletes": hard_deletes == 'invalidate',
        "hard_deletes": hard_deletes
    }) }}
{% endmacro %}

{#- ---- the key columns the staging query joins on ---- -#}

{% macro unique_key_fields(unique_key) -%}
    {%- if silt_is_key_list(unique_key) -%}
        {%- for key in unique_key -%}
            {{ key }} as dbt_unique_key_{{ loop.index }}
            {%- if not loop.last %}, {% endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ unique_key }} as dbt_unique_key
    {%- endif -%}
{%- endmacro %}

{% macro unique_key_join_on(unique_key, identifier, from_identifier) -%}
    {%- if silt_is_key_list(unique_key) -%}
        {%- for key in unique_key -%}
            {{ equals(identifier ~ '.dbt_unique_key_' ~ loop.index, from_identifier ~ '.dbt_unique_key_' ~ loop.index) }}
            {%- if not loop.last %} and {% endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ identifier }}.dbt_unique_key = {{ from_identifier }}.dbt_unique_key
    {%- endif -%}
{%- endmacro %}

{% macro unique_key_is_null(unique_key, identifier) -%}
    {%- if silt_is_key_list(unique_key) -%}
        {{ identifier }}.dbt_unique_key_1 is null
    {%- else -%}
        {{ identifier }}.dbt_unique_key is null
    {%- endif -%}
{%- endmacro %}

{% macro unique_key_is_not_null(unique_key, identifier) -%}
    {%- if silt_is_key_list(unique_key) -%}
        {{ identifier }}.dbt_unique_key_1 is not null
    {%- else -%}
        {{ identifier }}.dbt_unique_key is not null
    {%- endif -%}
{%- endmacro %}

{#- dbt_valid_to of a current row: null, or the dbt_valid_to_current literal. -#}
{% macro get_dbt_valid_to_current(strategy, columns) -%}
    {%- set dbt_valid_to_current = config.get('dbt_valid_to_current') or 'null' -%}
    coalesce(nullif({{ strategy.updated_at }}, {{ strategy.updated_at }}), {{ dbt_valid_to_current }})
    as {{ columns.dbt_valid_to }}
{%- endmacro %}

{#- The rows of the first run. -#}
{% macro build_snapshot_table(strategy, sql) -%}
    {{ adapter.dispatch('build_snapshot_table', 'dbt')(strategy, sql) }}
{%- endmacro %}

{% macro default__build_snapshot_table(strategy, sql) -%}
    {%- set columns = get_snapshot_table_column_names() -%}
    select *,
        {{ strategy.scd_id }} as {{ columns.dbt_scd_id }},
        {{ strategy.updated_at }} as {{ columns.dbt_updated_at }},
        {{ strategy.updated_at }} as {{ columns.dbt_valid_from }},
        {{ get_dbt_valid_to_current(strategy, columns) }}
        {%- if strategy.hard_deletes == 'new_record' %},
        'False' as {{ columns.dbt_is_deleted }}
        {%- endif %}
    from (
        {{ sql }}
    ) sbq
{%- endmacro %}

{#- The changes of a later run: insert, update and delete rows. -#}
{% macro snapshot_staging_table(strategy, source_sql, target_relation) -%}
    {{ adapter.dispatch('snapshot_staging_table', 'dbt')(strategy, source_sql, target_relation) }}
{%- endmacro %}

{% macro default__snapshot_staging_table(strategy, source_sql, target_relation) -%}
    {%- set columns = get_snapshot_table_column_names() -%}
    {%- set valid_to_current = config.get('dbt_valid_to_current') -%}
    {%- set new_record = strategy.hard_deletes == 'new_record' -%}
    {%- set track_deletes = strategy.hard_deletes in ['invalidate', 'new_record'] -%}
    {%- if new_record -%}
        {%- set source_cols = get_columns_in_query(source_sql) -%}
        {%- set new_scd_id = snapshot_hash_arguments([columns.dbt_scd_id, snapshot_get_time()]) -%}
    {%- endif %}
    with snapshot_query as (

        {{ source_sql }}

    ),

    snapshotted_data as (

        select *, {{ unique_key_fields(strategy.unique_key) }}
        from {{ target_relation }}
        where
            {% if valid_to_current -%}
            ( {{ equals(columns.dbt_valid_to, valid_to_current) }} or {{ columns.dbt_valid_to }} is null )
            {%- else -%}
            {{ columns.dbt_valid_to }} is null
            {%- endif %}

    ),

    insertions_source_data as (

        select *, {{ unique_key_fields(strategy.unique_key) }},
            {{ strategy.updated_at }} as {{ columns.dbt_updated_at }},
            {{ strategy.updated_at }} as {{ columns.dbt_valid_from }},
            {{ get_dbt_valid_to_current(strategy, columns) }},
            {{ strategy.scd_id }} as {{ columns.dbt_scd_id }}
        from snapshot_query
    ),

    updates_source_data as (

        select *, {{ unique_key_fields(strategy.unique_key) }},
            {{ strategy.updated_at }} as {{ columns.dbt_updated_at }},
            {{ strategy.updated_at }} as {{ columns.dbt_valid_from }},
            {{ strategy.updated_at }} as {{ columns.dbt_valid_to }}
        from snapshot_query
    ),

    {%- if track_deletes %}

    deletes_source_data as (

        select *, {{ unique_key_fields(strategy.unique_key) }}
        from snapshot_query
    ),
    {%- endif %}

    insertions as (

        select
            'insert' as dbt_change_type,
            source_data.*
            {%- if new_record -%},
            'False' as {{ columns.dbt_is_deleted }}
            {%- endif %}
        from insertions_source_data as source_data
        left outer join snapshotted_data
            on {{ unique_key_join_on(strategy.unique_key, 'snapshotted_data', 'source_data') }}
        where {{ unique_key_is_null(strategy.unique_key, 'snapshotted_data') }}
            or ({{ unique_key_is_not_null(strategy.unique_key, 'snapshotted_data') }} and (
               {{ strategy.row_changed }}
               {%- if new_record %} or snapshotted_data.{{ columns.dbt_is_deleted }} = 'True'{% endif %}
            ))

    ),

    updates as (

        select
            'update' as dbt_change_type,
            source_data.*,
            snapshotted_data.{{ columns.dbt_scd_id }}
            {%- if new_record -%},
            snapshotted_data.{{ columns.dbt_is_deleted }}
            {%- endif %}
        from updates_source_data as source_data
        join snapshotted_data
            on {{ unique_key_join_on(strategy.unique_key, 'snapshotted_data', 'source_data') }}
        where (
            {{ strategy.row_changed }}
            {%- if new_record %} or snapshotted_data.{{ columns.dbt_is_deleted }} = 'True'{% endif %}
        )
    )

    {%- if track_deletes -%},

    deletes as (

        select
            'delete' as dbt_change_type,
            source_data.*,
            {{ snapshot_get_time() }} as {{ columns.dbt_valid_from }},
            {{ snapshot_get_time() }} as {{ columns.dbt_updated_at }},
            {{ snapshot_get_time() }} as {{ columns.dbt_valid_to }},
            snapshotted_data.{{ columns.dbt_scd_id }}
            {%- if new_record -%},
            snapshotted_data.{{ columns.dbt_is_deleted }}
            {%- endif %}
        from snapshotted_data
        left join deletes_source_data as source_data
            on {{ unique_key_join_on(strategy.unique_key, 'snapshotted_data', 'source_data') }}
        where {{ unique_key_is_null(strategy.unique_key, 'source_data') }}
        {%- if new_record %}
            and not (
                snapshotted_data.{{ columns.dbt_is_deleted }} = 'True'
                and
                {% if valid_to_current -%}
                snapshotted_data.{{ columns.dbt_valid_to }} = {{ valid_to_current }}
                {%- else -%}
                snapshotted_data.{{ columns.dbt_valid_to }} is null
                {%- endif %}
            )
        {%- endif %}
    )
    {%- endif %}

    {%- if new_record -%},

    deletion_records as (

        select
            'insert' as dbt_change_type,
            {%- for col in source_cols %}
            snapshotted_data.{{ adapter.quote(col) }},
            {%- endfor %}
            {%- if silt_is_key_list(strategy.unique_key) -%}
            {%- for key in strategy.unique_key %}
            snapshotted_data.{{ key }} as dbt_unique_key_{{ loop.index }},
            {%- endfor -%}
            {%- else %}
            snapshotted_data.dbt_unique_key as dbt_unique_key,
            {%- endif %}
            {{ snapshot_get_time() }} as {{ columns.dbt_valid_from }},
            {{ snapshot_get_time() }} as {{ columns.dbt_updated_at }},
            snapshotted_data.{{ columns.dbt_valid_to }} as {{ columns.dbt_valid_to }},
            {{ new_scd_id }} as {{ columns.dbt_scd_id }},
            'True' as {{ columns.dbt_is_deleted }}
        from snapshotted_data
        left join deletes_source_data as source_data
            on {{ unique_key_join_on(strategy.unique_key, 'snapshotted_data', 'source_data') }}
        where {{ unique_key_is_null(strategy.unique_key, 'source_data') }}
            and not (
                snapshotted_data.{{ columns.dbt_is_deleted }} = 'True'
                and
                {% if valid_to_current -%}
                snapshotted_data.{{ columns.dbt_valid_to }} = {{ valid_to_current }}
                {%- else -%}
                snapshotted_data.{{ columns.dbt_valid_to }} is null
                {%- endif %}
            )
    )
    {%- endif %}

    select * from insertions
    union all
    select * from updates
    {%- if track_deletes %}
    union all
    select * from deletes
    {%- endif %}
    {%- if new_record %}
    union all
    select * from deletion_records
    {%- endif %}
{%- endmacro %}

{#- The staging table of a later run, beside the snapshot (a temporary table where the adapter
    has them). -#}
{% macro build_snapshot_staging_table(strategy, sql, target_relation) -%}
    {%- set temp_relation = make_temp_relation(target_relation) -%}
    {{- drop_relation_if_exists(load_cached_relation(temp_relation)) -}}
    {%- set select = snapshot_staging_table(strategy, sql, target_relation) -%}
    {%- call statement('build_snapshot_staging_relation') -%}
        {{ create_table_as(True, temp_relation, select) }}
    {%- endcall -%}
    {{ return(temp_relation) }}
{%- endmacro %}

{% macro create_columns(relation, columns) -%}
    {{ adapter.dispatch('create_columns', 'dbt')(relation, columns) }}
{%- endmacro %}

{% macro default__create_columns(relation, columns) -%}
    {%- for column in columns -%}
        {%- call statement() -%}
            alter table {{ relation }} add column {{ adapter.quote(column.name) }} {{ column.data_type }};
        {%- endcall -%}
    {%- endfor -%}
{%- endmacro %}

{#- Closes the versions the staging table replaces and inserts the new ones. SQLite has no MERGE:
    an update, then an insert, in one statement list (one transaction). -#}
{% macro snapshot_merge_sql(target, source, insert_cols) -%}
    {{ adapter.dispatch('snapshot_merge_sql', 'dbt')(target, source, insert_cols) }}
{%- endmacro %}

{% macro default__snapshot_merge_sql(target, source, insert_cols) -%}
    {%- set insert_cols_csv = insert_cols | join(', ') -%}
    {%- set columns = get_snapshot_table_column_names() -%}
    {%- set valid_to_current = config.get('dbt_valid_to_current') -%}
    update {{ target }}
    set {{ columns.dbt_valid_to }} = (
        select DBT_INTERNAL_SOURCE.{{ columns.dbt_valid_to }}
        from {{ source }} as DBT_INTERNAL_SOURCE
        where DBT_INTERNAL_SOURCE.{{ columns.dbt_scd_id }} = {{ target }}.{{ columns.dbt_scd_id }}
          and DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')
    )
    where {{ columns.dbt_scd_id }} in (
        select DBT_INTERNAL_SOURCE.{{ columns.dbt_scd_id }}
        from {{ source }} as DBT_INTERNAL_SOURCE
        where DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')
    )
    {% if valid_to_current -%}
      and ({{ columns.dbt_valid_to }} = {{ valid_to_current }} or {{ columns.dbt_valid_to }} is null);
    {%- else -%}
      and {{ columns.dbt_valid_to }} is null;
    {%- endif %}

    insert into {{ target }} ({{ insert_cols_csv }})
    select {% for column in insert_cols -%}
        DBT_INTERNAL_SOURCE.{{ column }} {%- if not loop.last %}, {%- endif %}
    {%- endfor %}
    from {{ source }} as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_change_type = 'insert';
{%- endmacro %}

{#- After the merge: the staging table goes. -#}
{% macro post_snapshot(staging_relation) -%}
    {{ adapter.dispatch('post_snapshot', 'dbt')(staging_relation) }}
{%- endmacro %}

{% macro default__post_snapshot(staging_relation) -%}
    {%- do adapter.drop_relation(staging_relation) -%}
{%- endmacro %}

{#- The staging table's columns the merge leaves out. -#}
{% macro silt_snapshot_internal_column(name) -%}
    {%- set n = name | lower -%}
    {{ return(n == 'dbt_change_type' or n == 'dbt_unique_key' or n.startswith('dbt_unique_key_')) }}
{%- endmacro %}

{% materialization snapshot, default %}
    {%- set strategy_name = config.get('strategy') -%}
    {%- set grant_config = config.get('grants') -%}
    {%- set existing = adapter.get_relation(database=model.database, schema=model.schema, identifier=model.alias) -%}
    {%- set target_relation_exists = existing is not none -%}
    {%- set target_relation = existing if target_relation_exists else this.incorporate(type='table') -%}
    {%- if not target_relation.is_table -%}
        {%- do exceptions.raise_compiler_error("Trying to create table " ~ target_relation ~ ", but it currently exists as a " ~ target_relation.type ~ ". Either drop " ~ target_relation ~ " manually, or run dbt with `--full-refresh` and dbt will drop it for you.") -%}
    {%- endif -%}
    {{- run_hooks(pre_hooks, inside_transaction=False) -}}
    {{- run_hooks(pre_hooks, inside_transaction=True) -}}
    {%- set strategy_macro = strategy_dispatch(strategy_name) -%}
    {%- set strategy = strategy_macro(model, 'snapshotted_data', 'source_data', model['config'], target_relation_exists) -%}
    {%- set columns = get_snapshot_table_column_names() -%}
    {%- if not target_relation_exists -%}
        {%- set build_sql = build_snapshot_table(strategy, model['compiled_code']) -%}
        {%- set final_sql = create_table_as(False, target_relation, build_sql) -%}
    {%- else -%}
        {%- set existing_names = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | map('lower') | list -%}
        {%- set needed = [columns.dbt_scd_id, columns.dbt_valid_from, columns.dbt_valid_to] -%}
        {%- if strategy.hard_deletes == 'new_record' -%}
            {%- do needed.append(columns.dbt_is_deleted) -%}
        {%- endif -%}
        {%- set missing = [] -%}
        {%- for c in needed if c | lower not in existing_names -%}
            {%- do missing.append(c) -%}
        {%- endfor -%}
        {%- if missing -%}
            {%- do exceptions.raise_compiler_error("Snapshot target is missing configured columns: " ~ missing ~ ". See https://docs.getdbt.com/docs/build/snapshots#snapshot-meta-fields for more information.") -%}
        {%- endif -%}
        {%- set staging_table = build_snapshot_staging_table(strategy, sql, target_relation) -%}
        {%- do adapter.expand_target_column_types(from_relation=staging_table, to_relation=target_relation) -%}
        {%- set missing_columns = [] -%}
        {%- for c in adapter.get_missing_columns(staging_table, target_relation) if not silt_snapshot_internal_column(c.name) -%}
            {%- do missing_columns.append(c) -%}
        {%- endfor -%}
        {%- do create_columns(target_relation, missing_columns) -%}
        {%- set quoted_source_columns = [] -%}
        {%- for c in adapter.get_columns_in_relation(staging_table) if not silt_snapshot_internal_column(c.name) -%}
            {%- do quoted_source_columns.append(adapter.quote(c.name)) -%}
        {%- endfor -%}
        {%- set final_sql = snapshot_merge_sql(target=target_relation, source=staging_table, insert_cols=quoted_source_columns) -%}
    {%- endif -%}
    {%- call statement('main') -%}
        {{ final_sql }}
    {%- endcall -%}
    {%- do apply_grants(target_relation, grant_config, should_revoke(target_relation_exists, full_refresh_mode=False)) -%}
    {%- do persist_docs(target_relation, model) -%}
    {%- if not target_relation_exists -%}
        {%- do create_indexes(target_relation) -%}
    {%- endif -%}
    {{- run_hooks(post_hooks, inside_transaction=True) -}}
    {%- do adapter.commit() -%}
    {%- if staging_table is defined -%}
        {%- do post_snapshot(staging_table) -%}
    {%- endif -%}
    {{- run_hooks(post_hooks, inside_transaction=False) -}}
    {{- return({'relations': [target_relation]}) -}}
{% endmaterialization %}
