{%- set models = silt_utils.nodes_of('model', 'consumer') -%}
{%- set n_tests = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test') | list | length if execute else 0 -%}
{%- set package_tests = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'test' and node.test_metadata is defined and node.test_metadata.namespace == 'silt_utils' -%}
        {%- do package_tests.append(node.test_metadata.name) -%}
    {%- endfor -%}
{%- endif -%}
select
    '{{ models | join(",") }}' as models,
    '{{ silt_utils.nodes_of("seed") | join(",") }}' as seeds,
    {{ n_tests }} as n_tests,
    '{{ package_tests | unique | sort | join(",") }}' as package_tests,
    '{{ (graph.sources.values() | list | length) if execute else -1 }}' as n_sources,
    '{{ graph.nodes["model.consumer.stg_orders"].config.meta.owner if execute else "" }}' as owner
