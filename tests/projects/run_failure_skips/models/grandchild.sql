select * from {{ ref('child') }}
