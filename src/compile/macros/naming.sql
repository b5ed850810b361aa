{#- Where a node lands: dbt calls these at parse time for every node with the configured value
    (none when unset) and trims the result. A project or package overrides them by defining a
    macro of the same name; adapters by defining <adapter>__generate_*_name. -#}

{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {{ return(adapter.dispatch('generate_database_name', 'dbt')(custom_database_name, node)) }}
{%- endmacro %}

{% macro default__generate_database_name(custom_database_name=none, node=none) -%}
    {%- if custom_database_name is none -%}
        {{ target.database }}
    {%- else -%}
        {{ custom_database_name | trim }}
    {%- endif -%}
{%- endmacro %}

{% macro generate_schema_name(custom_schema_name=none, node=none) -%}
    {{ return(adapter.dispatch('generate_schema_name', 'dbt')(custom_schema_name, node)) }}
{%- endmacro %}

{#- target.schema, suffixed with the custom schema when one is configured: dev target dbt_alice
    with +schema: marts builds into dbt_alice_marts. -#}
{% macro default__generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{#- The alternative dbt ships for projects that want custom schemas verbatim in production. -#}
{% macro generate_schema_name_for_env(custom_schema_name, node) -%}
    {%- if target.name == 'prod' and custom_schema_name is not none -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}

{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
    {{ return(adapter.dispatch('generate_alias_name', 'dbt')(custom_alias_name, node)) }}
{%- endmacro %}

{#- The configured alias, else the node's name; a versioned model without an alias is
    <name>_v<version> with dots made underscores. -#}
{% macro default__generate_alias_name(custom_alias_name=none, node=none) -%}
    {%- if custom_alias_name -%}
        {{ custom_alias_name | trim }}
    {%- elif node.version -%}
        {{ return(node.name ~ "_v" ~ (node.version | replace(".", "_"))) }}
    {%- else -%}
        {{ node.name }}
    {%- endif -%}
{%- endmacro %}
