"""What the pipeline keeps under its storage root (a folder or an `s3://` URL), each file written one way.

atomic.py          the one atomic write (and compare-and-swap) for a folder and for an object store
parquet.py         every asset's DataFrame as one Parquet file (the default IO manager)
snapshot_table.py  a source table as snapshot + overlay, committed by its manifest
exports.py         the CSV exports for people and other systems
"""
