select '{{ env_var("SHOP_REGION") }}' as region, '{{ env_var("SHOP_TIER", "free") }}' as tier
