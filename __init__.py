# Odoo imports addons as odoo.addons.<name>.  pytest, collecting the plain
# Python suites of drivers/ and simulator/, imports this package under another
# name and must not load Odoo models then.
if __name__.startswith("odoo.addons."):
    from . import models, wizards
