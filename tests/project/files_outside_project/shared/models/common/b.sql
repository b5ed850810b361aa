select 'b'
