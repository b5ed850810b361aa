{% snapshot chk %}
{{ config(strategy='check', unique_key='id', check_cols='all') }}
select * from {{ ref('src') }}
{% endsnapshot %}

{% snapshot chk_name %}
{{ config(strategy='check', unique_key='id', check_cols=['name']) }}
select * from {{ ref('src') }}
{% endsnapshot %}
