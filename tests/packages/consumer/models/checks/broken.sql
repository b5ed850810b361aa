{{ config(enabled=var('include_broken')) }}
{#- Enabled only with --vars '{include_broken: true}': get_column_values wants a relation, and
    checks it once execute is true, so the error comes at run time. -#}
{%- set statuses = silt_utils.get_column_values('raw_orders', 'status') -%}
select '{{ statuses | join(",") }}' as statuses
