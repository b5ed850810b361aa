select {{ concat_cols("'a'", "'b'") }} as ab,
       {{ only_default('null') }} as zero,
       {{ helpers.greet() }} as greeting,
       {{ helpers.farewell() }} as farewell
