"""Order files dropped into the incoming folder, from file to figures, in the order a file travels.

ingest.py   incoming_orders_sensor finds settled files; an ingest_order_file run claims each one,
            validates it, lands its orders in incoming_orders or rejects it with a reason
assets.py   incoming_orders, the landed orders, and its check
refresh.py  landed_orders_refresh: orders_cleaned, the analytics and the exports after a landing
"""
