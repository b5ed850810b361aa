{% macro count_rows(rel) %}
  {% set t = run_query('select count(*) as n from ' ~ rel) %}
  {% if execute %}{{ return(t.columns[0].values()[0]) }}{% else %}{{ return(0) }}{% endif %}
{% endmacro %}
