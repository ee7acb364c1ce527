# Stand-in for the Silver suite's network inventory module: same technical
# names, model names and field names as the real one (see silver-suite.md),
# only what silver_provisioning and its tests need.
{
    "name": "Silver Network (stand-in)",
    "version": "17.0.1.0.0",
    "summary": "Stand-in of the Silver suite's network inventory, for tests and demo",
    "author": "Silver ISP Suite, Odoo Community Association (OCA)",
    "website": "https://github.com/silver-isp/silver_provisioning",
    "license": "LGPL-3",
    "depends": ["mail"],
    "data": [
        "security/ir.model.access.csv",
        "views/silver_network_views.xml",
    ],
}
