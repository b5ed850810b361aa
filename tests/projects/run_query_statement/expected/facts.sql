select 3 as n,
       3 as mx,
       'a,b,c' as names,
       'id,name' as cols,
       'True' as found,
       'n,mx' as colnames,
       'True' as missing