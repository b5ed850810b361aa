select 1 as id, {{ double('2') }} as two
