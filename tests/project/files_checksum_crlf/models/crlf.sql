select 1
from x
