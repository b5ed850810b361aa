{#- lowercase, runs of anything but letters and digits made one '_', no '_' at either end -#}
{% macro slugify(text) -%}
    {{ return(modules.re.sub('[^a-z0-9]+', '_', text | string | lower).strip('_')) }}
{%- endmacro %}

{#- A log line prefixed with the wall-clock time, as dbt_utils' log_info does. -#}
{% macro pretty_time(format='%H:%M:%S') -%}
    {{ return(modules.datetime.datetime.now().strftime(format)) }}
{%- endmacro %}
{% macro pretty_log(message) -%}
    {%- do log(silt_utils.pretty_time() ~ ' + ' ~ message, info=true) -%}
{%- endmacro %}

{#- The sorted names of the graph's nodes of one resource type (execute phase only). -#}
{% macro nodes_of(resource_type, package=none) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set found = graph.nodes.values() | selectattr('resource_type', 'equalto', resource_type) -%}
    {%- if package is not none -%}
        {%- set found = found | selectattr('package_name', 'equalto', package) -%}
    {%- endif -%}
    {{ return(found | map(attribute='name') | sort | list) }}
{%- endmacro %}
