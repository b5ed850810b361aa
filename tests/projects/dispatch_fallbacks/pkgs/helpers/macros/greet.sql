{% macro greet() %}{{ return(adapter.dispatch('greet', 'helpers')()) }}{% endmacro %}
{% macro default__greet() %}'helpers default'{% endmacro %}
{% macro farewell() %}{{ return(adapter.dispatch('farewell', 'helpers')()) }}{% endmacro %}
{% macro default__farewell() %}'helpers farewell'{% endmacro %}
{% macro sqlite__farewell() %}'helpers sqlite farewell'{% endmacro %}
