{{ config(alias='people', schema='staging') }}
select * from {{ source('shop', 'people') }} join {{ source('ext', 'events') }} using (id)
-- {{ this }} | {{ this.schema }} | {{ this.identifier }} | {{ this.table }}
