select * from {{ source('shop', 'orders') }}
-- {{ this }} | {{ this.schema }} | {{ this.identifier }} | {{ this.name }} | {{ this.database }}
