{% snapshot orders_snapshot %}select 1{% endsnapshot %}
