{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts',
          batch_size='hour', begin='2024-01-01 04:30', unique_key='id') }}
select id, ts, '{{ model.batch.event_time_start.strftime('%H') }}-{{ model.batch.event_time_end.strftime('%H') }}' as win
from {{ ref('events') }}
