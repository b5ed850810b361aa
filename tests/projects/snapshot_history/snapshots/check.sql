{% snapshot check_snap %}
{{ config(strategy='check', unique_key='id', check_cols=['name'], target_schema='main') }}
select id, name from {{ ref('src') }}
{% endsnapshot %}

{% snapshot all_snap %}
{{ config(strategy='check', unique_key='id', check_cols='all', invalidate_hard_deletes=true, target_schema='main') }}
select id, k, name from {{ ref('src') }}
{% endsnapshot %}
