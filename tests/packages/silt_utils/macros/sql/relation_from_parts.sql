{#- A relation in the target database built with api.Relation.create, for tables a project
    knows only by name (dbt_utils' get_relations_by_pattern returns the same kind of object). -#}
{% macro relation_from_parts(schema, identifier, database=none) -%}
    {{ return(api.Relation.create(database=database or target.database, schema=schema, identifier=identifier, type='table')) }}
{%- endmacro %}
