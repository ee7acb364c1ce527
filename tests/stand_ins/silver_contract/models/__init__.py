from . import product_template, silver_contract
