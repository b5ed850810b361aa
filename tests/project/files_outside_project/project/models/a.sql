select 'a'
