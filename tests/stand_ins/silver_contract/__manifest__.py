# Stand-in for the Silver suite's contract module: same technical names,
# model names and field names as the real one (see silver-suite.md), only
# what silver_provisioning and its tests need.
{
    "name": "Silver Contract (stand-in)",
    "version": "17.0.1.0.0",
    "summary": "Stand-in of the Silver suite's customer contracts, for tests and demo",
    "author": "Silver ISP Suite, Odoo Community Association (OCA)",
    "website": "https://github.com/silver-isp/silver_provisioning",
    "license": "LGPL-3",
    "depends": ["mail", "product", "silver_network"],
    "data": [
        "security/ir.model.access.csv",
        "views/silver_contract_views.xml",
    ],
}
