{#- PostgreSQL: the postgres__ forms adapter.dispatch picks before default__, writing the SQL that
    dbt-postgres writes. The table, view and incremental materializations are the default ones
    (build beside, rename in, commit, drop the backup — dbt-postgres' own sequence); what differs
    is below. -#}

{#- A temporary table for an incremental run's new rows: <name>__dbt_tmp<HHMMSSffffff>, the
    base name cut so the whole stays within PostgreSQL's 63 characters, rendered without
    database and schema (temporary tables live in the session's pg_temp schema). -#}
{% macro postgres__make_temp_relation(base_relation, suffix) -%}
    {%- set dtstring = modules.datetime.datetime.now().strftime("%H%M%S%f") -%}
    {%- set suffix_length = (suffix | length) + (dtstring | length) -%}
    {%- if suffix_length > 63 -%}
        {%- do exceptions.raise_compiler_error("Relation suffix is too long (" ~ suffix_length ~ " characters). Maximum length is 63 characters.") -%}
    {%- endif -%}
    {%- set identifier = base_relation.identifier[:63 - suffix_length] ~ suffix ~ dtstring -%}
    {{ return(base_relation.incorporate(path={"identifier": identifier}).include(database=False, schema=False)) }}
{%- endmacro %}

{% macro postgres__create_table_as(temporary, relation, sql) -%}
    {%- set unlogged = config.get('unlogged', default=false) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {{ sql_header if sql_header is not none }}
    create {% if temporary -%}
        temporary
    {%- elif unlogged -%}
        unlogged
    {%- endif %} table {{ relation.include(database=(not temporary), schema=(not temporary)) }}
    as (
      {{ sql }}
    );
{%- endmacro %}

{#- indexes: [{columns: [...], unique: bool, type: btree|hash|gist|...}] on tables. The index name
    is a hash of its definition, the relation and the time, so that a rebuild beside the old
    table never meets the old table's index names. -#}
{% macro postgres__get_create_index_sql(relation, index_dict) -%}
    {%- if index_dict is not mapping or not index_dict.get('columns') -%}
        {%- do exceptions.raise_compiler_error("Invalid index config: " ~ index_dict ~ " (expected {columns: [...], unique: bool, type: str})") -%}
    {%- endif -%}
    {%- set columns = index_dict['columns'] -%}
    {%- if columns is string -%}{%- set columns = [columns] -%}{%- endif -%}
    {%- set unique = index_dict.get('unique', false) -%}
    {%- set type = index_dict.get('type') -%}
    {%- set name = local_md5((columns | join('_')) ~ '_' ~ relation ~ '_' ~ unique ~ '_' ~ type ~ '_' ~ modules.datetime.datetime.utcnow().isoformat()) -%}
    create {% if unique -%}unique {% endif -%}index if not exists
    "{{ name }}"
    on {{ relation }} {% if type -%}using {{ type }} {% endif -%}
    ({{ columns | join(', ') }});
{%- endmacro %}

{#- delete+insert: rows of the target whose key the new rows carry go, then every new row comes
    in. A list of keys compares them as a row. -#}
{% macro postgres__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set cols = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    {%- if unique_key -%}
        {%- set keys = unique_key if (unique_key is sequence and unique_key is not string) else [unique_key] %}
    delete from {{ target }} as DBT_INTERNAL_DEST
    where ({{ keys | join(', ') }}) in (
        select distinct {{ keys | join(', ') }}
        from {{ source }} as DBT_INTERNAL_SOURCE
    ){% for predicate in incremental_predicates or [] %}
    and {{ predicate }}{% endfor %};
    {%- endif %}
    insert into {{ target }} ({{ cols }})
    (
        select {{ cols }}
        from {{ source }}
    )
{%- endmacro %}

{#- merge (PostgreSQL 15): matched keys are updated (merge_update_columns, or every column but
    merge_exclude_columns), the others inserted; without a unique_key every row is inserted. -#}
{% macro get_incremental_merge_sql(arg_dict) -%}
    {{ return(adapter.dispatch('get_incremental_merge_sql', 'dbt')(arg_dict)) }}
{%- endmacro %}

{% macro default__get_incremental_merge_sql(arg_dict) -%}
    {{ return(get_merge_sql(arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['unique_key'],
                            arg_dict['dest_columns'], arg_dict['incremental_predicates'])) }}
{%- endmacro %}

{#- microbatch on PostgreSQL is dbt-postgres': each batch merged on the unique_key, which it
    requires. -#}
{% macro postgres__get_incremental_microbatch_sql(arg_dict) -%}
    {%- if arg_dict['unique_key'] -%}
        {{ return(adapter.dispatch('get_incremental_merge_sql', 'dbt')(arg_dict)) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("dbt-postgres 'microbatch' requires a `unique_key` config") }}
    {%- endif -%}
{%- endmacro %}

{#- SQLite has no MERGE: the strategy is refused as an unknown one is. -#}
{% macro sqlite__get_incremental_merge_sql(arg_dict) -%}
    {%- do exceptions.raise_compiler_error("Invalid incremental strategy provided: merge\n    Expected one of: 'append', 'delete+insert'") -%}
{%- endmacro %}

{% macro get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) -%}
    {{ adapter.dispatch('get_merge_sql', 'dbt')(target, source, unique_key, dest_columns, incremental_predicates) }}
{%- endmacro %}

{% macro default__get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set predicates = [] + (incremental_predicates or []) -%}
    {%- set cols = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    {%- set update_columns = get_merge_update_columns(config.get('merge_update_columns'), config.get('merge_exclude_columns'), dest_columns) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {%- if unique_key -%}
        {%- set keys = unique_key if (unique_key is sequence and unique_key is not mapping and unique_key is not string) else [unique_key] -%}
        {%- for key in keys -%}
            {%- do predicates.append(equals(("DBT_INTERNAL_SOURCE." ~ key) | trim, ("DBT_INTERNAL_DEST." ~ key) | trim) | trim) -%}
        {%- endfor -%}
    {%- else -%}
        {%- do predicates.append('FALSE') -%}
    {%- endif %}
    {{ sql_header if sql_header is not none }}
    merge into {{ target }} as DBT_INTERNAL_DEST
        using {{ source }} as DBT_INTERNAL_SOURCE
        on ({{ predicates | join(') and (') }})
    {% if unique_key and update_columns -%}
    when matched then update set
        {% for column_name in update_columns -%}
        {{ column_name }} = DBT_INTERNAL_SOURCE.{{ column_name }}{{ ", " if not loop.last }}
        {% endfor %}
    {%- endif %}
    when not matched then insert
        ({{ cols }})
    values
        ({{ cols }})
{%- endmacro %}

{#- The columns a merge updates: merge_update_columns as given, else every destination column
    not in merge_exclude_columns (compared case-insensitively), quoted. -#}
{% macro get_merge_update_columns(merge_update_columns, merge_exclude_columns, dest_columns) -%}
    {%- if merge_update_columns and merge_exclude_columns -%}
        {%- do exceptions.raise_compiler_error("Model cannot specify merge_update_columns and merge_exclude_columns. Please update model to use only one config") -%}
    {%- elif merge_update_columns -%}
        {{ return(merge_update_columns) }}
    {%- else -%}
        {%- set excluded = (merge_exclude_columns or []) | map('lower') | list -%}
        {%- set update = [] -%}
        {%- for column in dest_columns if column.name | lower not in excluded -%}
            {%- do update.append(adapter.quote(column.name)) -%}
        {%- endfor -%}
        {{ return(update) }}
    {%- endif -%}
{%- endmacro %}

{#- Cross-database macros PostgreSQL spells its own way. -#}
{% macro postgres__any_value(expression) -%}min({{ expression }}){%- endmacro %}

{% macro postgres__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ from_date_or_timestamp }} + ((interval '1 {{ datepart }}') * ({{ interval }}))
{%- endmacro %}

{#- Calendar boundaries crossed between the two, counted from date_part. -#}
{% macro postgres__datediff(first_date, second_date, datepart) -%}
    {%- set part = datepart | lower -%}
    {%- if part == 'year' -%}
        (date_part('year', ({{ second_date }})::date) - date_part('year', ({{ first_date }})::date))
    {%- elif part == 'quarter' -%}
        ({{ postgres__datediff(first_date, second_date, 'year') }} * 4 + date_part('quarter', ({{ second_date }})::date) - date_part('quarter', ({{ first_date }})::date))
    {%- elif part == 'month' -%}
        ({{ postgres__datediff(first_date, second_date, 'year') }} * 12 + date_part('month', ({{ second_date }})::date) - date_part('month', ({{ first_date }})::date))
    {%- elif part == 'day' -%}
        (({{ second_date }})::date - ({{ first_date }})::date)
    {%- elif part == 'week' -%}
        ({{ postgres__datediff(first_date, second_date, 'day') }} / 7 + case
            when date_part('dow', ({{ first_date }})::timestamp) <= date_part('dow', ({{ second_date }})::timestamp)
            then case when {{ first_date }} <= {{ second_date }} then 0 else -1 end
            else case when {{ first_date }} <= {{ second_date }} then 1 else 0 end
        end)
    {%- elif part == 'hour' -%}
        ({{ postgres__datediff(first_date, second_date, 'day') }} * 24 + date_part('hour', ({{ second_date }})::timestamp) - date_part('hour', ({{ first_date }})::timestamp))
    {%- elif part == 'minute' -%}
        ({{ postgres__datediff(first_date, second_date, 'hour') }} * 60 + date_part('minute', ({{ second_date }})::timestamp) - date_part('minute', ({{ first_date }})::timestamp))
    {%- elif part == 'second' -%}
        ({{ postgres__datediff(first_date, second_date, 'minute') }} * 60 + floor(date_part('second', ({{ second_date }})::timestamp)) - floor(date_part('second', ({{ first_date }})::timestamp)))
    {%- else -%}
        {%- do exceptions.raise_compiler_error("Unsupported datepart for macro datediff in postgres: " ~ datepart) -%}
    {%- endif -%}
{%- endmacro %}

{% macro postgres__last_day(date, datepart) -%}
    {%- if datepart | lower == 'quarter' -%}
    cast({{ date_trunc('quarter', date) }} + interval '3 month' - interval '1 day' as date)
    {%- else -%}
    cast({{ date_trunc(datepart, date) }} + interval '1 {{ datepart }}' - interval '1 day' as date)
    {%- endif -%}
{%- endmacro %}

{#- grants: the privileges the current role granted on the relation, revoked where the config
    no longer names them, then the missing ones granted. -#}
{% macro postgres__copy_grants() -%}
    {{ return(false) }}
{%- endmacro %}

{% macro postgres__apply_grants(relation, grant_config, should_revoke=True) -%}
    {%- if grant_config -%}
        {%- if grant_config is not mapping -%}
            {%- do exceptions.raise_compiler_error("Invalid grants config: " ~ grant_config ~ " (expected {privilege: [grantee, ...]})") -%}
        {%- endif -%}
        {%- set current = {} -%}
        {%- if should_revoke -%}
            {%- set rows = run_query(postgres__get_show_grant_sql(relation)) -%}
            {%- for row in rows -%}
                {%- do current.setdefault(row[1] | lower, []).append(row[0] | lower) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- set statements = [] -%}
        {%- for privilege, grantees in current.items() -%}
            {%- set wanted = (grant_config.get(privilege) or grant_config.get(privilege | upper) or []) -%}
            {%- set wanted = ([wanted] if wanted is string else wanted) | map('lower') | list -%}
            {%- set gone = [] -%}
            {%- for g in grantees if g not in wanted -%}{%- do gone.append(g) -%}{%- endfor -%}
            {%- if gone -%}
                {%- do statements.append('revoke ' ~ privilege ~ ' on ' ~ relation ~ ' from ' ~ (gone | join(', ')) ~ ';') -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for privilege, grantees in grant_config.items() -%}
            {%- set grantees = [grantees] if grantees is string else grantees -%}
            {%- set have = current.get(privilege | lower, []) -%}
            {%- set missing = [] -%}
            {%- for g in grantees if g | lower not in have -%}{%- do missing.append(g) -%}{%- endfor -%}
            {%- if missing -%}
                {%- do statements.append('grant ' ~ privilege ~ ' on ' ~ relation ~ ' to ' ~ (missing | join(', ')) ~ ';') -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if statements -%}
            {%- call statement('grants') -%}
                {{ statements | join('\n') }}
            {%- endcall -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro postgres__get_show_grant_sql(relation) -%}
    select grantee, privilege_type
    from information_schema.role_table_grants
    where grantor = current_role
      and grantee != current_role
      and table_schema = '{{ relation.schema }}'
      and table_name = '{{ relation.identifier }}'
{%- endmacro %}

{#- persist_docs: the model's description on the relation, each documented column's on the
    column (when the relation has it), as dollar-quoted literals. -#}
{% macro postgres_escape_comment(comment) -%}
    {%- if comment is not string -%}
        {%- do exceptions.raise_compiler_error("cannot escape a non-string: " ~ comment) -%}
    {%- endif -%}
    {%- set magic = '$dbt_comment_literal_block$' -%}
    {%- if magic in comment -%}
        {%- do exceptions.raise_compiler_error("The string " ~ magic ~ " is not allowed in comments.") -%}
    {%- endif -%}
    {{ magic }}{{ comment }}{{ magic }}
{%- endmacro %}

{% macro postgres__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- set cfg = config.get('persist_docs') or {} -%}
    {%- set statements = [] -%}
    {%- if for_relation and cfg.get('relation') and model.get('description') -%}
        {%- set kind = 'materialized view' if relation.type == 'materialized_view' else relation.type -%}
        {%- do statements.append('comment on ' ~ kind ~ ' ' ~ relation ~ ' is ' ~ postgres_escape_comment(model['description']) ~ ';') -%}
    {%- endif -%}
    {%- if for_columns and cfg.get('columns') and model.get('columns') -%}
        {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- for name, column in model['columns'].items() if column.get('description') and name in existing -%}
            {%- set quoted = adapter.quote(name) if column.get('quote') else name -%}
            {%- do statements.append('comment on column ' ~ relation ~ '.' ~ quoted ~ ' is ' ~ postgres_escape_comment(column['description']) ~ ';') -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if statements -%}
        {%- call statement('persist_docs') -%}
            {{ statements | join('\n') }}
        {%- endcall -%}
    {%- endif -%}
{%- endmacro %}

{#- Snapshots (compile/macros/snapshot.sql): dbt-postgres' time, and its merge as an
    update ... from plus an insert. -#}
{% macro postgres__snapshot_get_time() -%}
    {{ current_timestamp() }}::timestamp without time zone
{%- endmacro %}

{% macro postgres__snapshot_merge_sql(target, source, insert_cols) -%}
    {%- set insert_cols_csv = insert_cols | join(', ') -%}
    {%- set columns = get_snapshot_table_column_names() -%}
    update {{ target }}
    set {{ columns.dbt_valid_to }} = DBT_INTERNAL_SOURCE.{{ columns.dbt_valid_to }}
    from {{ source }} as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.{{ columns.dbt_scd_id }}::text = {{ target }}.{{ columns.dbt_scd_id }}::text
      and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text)
      {% if config.get('dbt_valid_to_current') -%}
      and ({{ target }}.{{ columns.dbt_valid_to }} = {{ config.get('dbt_valid_to_current') }} or {{ target }}.{{ columns.dbt_valid_to }} is null);
      {%- else -%}
      and {{ target }}.{{ columns.dbt_valid_to }} is null;
      {%- endif %}

    insert into {{ target }} ({{ insert_cols_csv }})
    select {% for column in insert_cols -%}
        DBT_INTERNAL_SOURCE.{{ column }} {%- if not loop.last %}, {%- endif %}
    {%- endfor %}
    from {{ source }} as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'::text;
{%- endmacro %}
