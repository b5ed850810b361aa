{% macro cents(x) %}{{ x }} * 100{% endmacro %}
{% macro wrap(x) %}({{ cents(x) }}){% endmacro %}
{% macro region_tag() %}'{{ var("region") }}'{% endmacro %}
{% macro uses_many(x) %}
  {%- set parts = [] -%}
  {%- do parts.append(wrap(x)) -%}
  {{ log('x') }}{{ return(proj.cents(x) ~ region_tag()) }}
{% endmacro %}
{% macro shout(x) %}{{ return(adapter.dispatch('shout', 'proj')(x)) }}{% endmacro %}
{% macro default__shout(x) %}upper({{ x }}){% endmacro %}
{% macro sqlite__shout(x) %}upper({{ wrap(x) }}){% endmacro %}
{% macro ping(n) %}{% if n > 0 %}{{ pong(n - 1) }}{% endif %}{% endmacro %}
{% macro pong(n) %}{{ ping(n) }}{{ region_tag() }}{% endmacro %}
{% macro with_ref() %}{{ ref('m') }} {{ config(x=1) }} {{ source('a', 'b') }}{% endmacro %}
{% macro calls_dbt() %}{{ dbt.current_timestamp() }} {{ run_query('select 1') }}{% endmacro %}
