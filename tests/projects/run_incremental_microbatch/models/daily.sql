{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts',
          batch_size='day', begin='2024-01-01', unique_key='id') }}
select id, ts, v, '{{ model.batch.id }}' as batch_id, {{ 'true' if is_incremental() else 'false' }} as incr
from {{ ref('events') }}
