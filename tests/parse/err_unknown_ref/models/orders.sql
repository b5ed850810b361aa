select *
from {{ ref('stg_ordr') }}
