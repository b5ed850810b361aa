select 'a' || 'b' as ab,
       coalesce(null, 0) as zero,
       'root override' as greeting,
       'helpers sqlite farewell' as farewell