{% macro fail_op() %}{{ exceptions.raise_compiler_error('still refused') }}{% endmacro %}
