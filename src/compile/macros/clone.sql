{#- dbt clone: each selected model, seed or snapshot that the state has built gets a relation in
    the current target that points at the state's (defer_relation). A warehouse that clones
    tables without copying (can_clone_table) makes a table clone; others, SQLite and PostgreSQL
    among them, a view `select * from <state relation>` made by the view materialization, with
    `sql` set to that select (cli/cmd_clone.c). An existing relation is kept unless
    --full-refresh. -#}

{% macro can_clone_table() -%}
    {{ return(adapter.dispatch('can_clone_table', 'dbt')()) }}
{%- endmacro %}

{% macro default__can_clone_table() -%}
    {{ return(False) }}
{%- endmacro %}

{% macro create_or_replace_clone(this_relation, defer_relation) -%}
    {{ return(adapter.dispatch('create_or_replace_clone', 'dbt')(this_relation, defer_relation)) }}
{%- endmacro %}

{% macro default__create_or_replace_clone(this_relation, defer_relation) -%}
    create or replace table {{ this_relation }} clone {{ defer_relation }}
{%- endmacro %}

{% materialization clone, default %}
    {%- set relations = {'relations': []} -%}
    {%- if not defer_relation -%}
        {{ log("No relation found in state manifest for " ~ model.unique_id, info=True) }}
        {{ return(relations) }}
    {%- endif -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- if existing_relation and not flags.FULL_REFRESH -%}
        {{ log("Relation " ~ existing_relation ~ " already exists", info=True) }}
        {{ return(relations) }}
    {%- endif -%}
    {%- set other_existing_relation = load_cached_relation(defer_relation) -%}
    {#- silt: a state relation missing from the warehouse is an error here, as creating the view
        is on PostgreSQL (SQLite would make a view that only fails when read) -#}
    {%- if other_existing_relation is none -%}
        {{ exceptions.raise_compiler_error("The state's relation " ~ defer_relation ~ " for " ~ model.unique_id ~ " does not exist in the warehouse") }}
    {%- endif -%}
    {%- if other_existing_relation and other_existing_relation.type == 'table' and can_clone_table() -%}
        {%- set target_relation = this.incorporate(type='table') -%}
        {%- if existing_relation is not none and not existing_relation.is_table -%}
            {{ drop_relation_if_exists(existing_relation) }}
        {%- endif -%}
        {%- call statement('main') -%}
            {{ create_or_replace_clone(target_relation, defer_relation) }}
        {%- endcall -%}
        {{ return({'relations': [target_relation]}) }}
    {%- else -%}
        {#- the view materialization of this adapter, else the default one (silt keeps
            materializations in the dbt namespace, not in `context`) -#}
        {%- set ns = namespace(found=none) -%}
        {%- for search_name in ["materialization_view_" ~ adapter.type(), "materialization_view_default"] -%}
            {%- if ns.found is none and context.get(search_name) is not none -%}
                {%- set ns.found = context.get(search_name) -%}
            {%- elif ns.found is none and dbt[search_name] is defined -%}
                {%- set ns.found = dbt[search_name] -%}
            {%- endif -%}
        {%- endfor -%}
        {{ return(ns.found()) }}
    {%- endif -%}
{% endmaterialization %}
