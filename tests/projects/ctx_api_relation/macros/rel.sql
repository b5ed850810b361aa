{% macro audit_relation(name) %}
  {% do return(api.Relation.create(database=target.database, schema=target.schema ~ '_audit', identifier=name)) %}
{% endmacro %}
