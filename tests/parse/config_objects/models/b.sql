{{ config(meta={'up': ref('a'), 'n': [1, 'x']}, tags=['t']) }}select * from {{ ref('a') }}
