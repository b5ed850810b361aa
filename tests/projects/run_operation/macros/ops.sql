{% macro make_table(name, n=3) %}
  {% do run_query("create table " ~ name ~ " as select " ~ n ~ " as n") %}
  {% do log("made " ~ name ~ " with " ~ n, info=true) %}
  {{ return("ignored") }}
{% endmacro %}

{% macro count_rows() %}
  {% set r = run_query("select count(*) as c from " ~ ref('m')) %}
  {% do log("rows in m: " ~ r.columns[0].values()[0], info=true) %}
{% endmacro %}

{% macro fail_op() %}
  {{ exceptions.raise_compiler_error("operation refused") }}
{% endmacro %}

{% macro check_rel() %}
  {% set r = adapter.get_relation(database=target.database, schema=target.schema, identifier='m') %}
  {% do log("relation: " ~ r ~ " on dbt " ~ dbt_version, info=true) %}
{% endmacro %}
