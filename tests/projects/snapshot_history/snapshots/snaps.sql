{% snapshot ts_snap %}
{{ config(strategy='timestamp', unique_key='id', updated_at='updated_at', target_schema='main') }}
select * from {{ ref('src') }}
{% endsnapshot %}

{% snapshot del_snap %}
{{ config(strategy='timestamp', unique_key=['id', 'k'], updated_at='updated_at', hard_deletes='invalidate') }}
select * from {{ ref('src') }}
{% endsnapshot %}
