select * from {{ ref('nums') }} where n > 100
