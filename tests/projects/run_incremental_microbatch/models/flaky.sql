{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts',
          batch_size='day', begin='2024-01-01', unique_key='id',
          pre_hook="insert into hook_log select 'pre {{ model.batch.id }}'",
          post_hook="insert into hook_log select 'post {{ model.batch.id }}'") }}
select id, ts{% if model.batch.id == var('bad', '20240102') %}, no_such_column{% endif %}
from {{ ref('events') }}
