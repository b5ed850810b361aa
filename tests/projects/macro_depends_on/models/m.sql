select {{ shout('1') }} as s, {{ ping(1) }} as r
