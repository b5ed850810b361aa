{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts',
          batch_size='day', unique_key='id') }}
select id from {{ ref('events') }}
