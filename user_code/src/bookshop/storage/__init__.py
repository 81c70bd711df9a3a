"""What the pipeline keeps under its storage root, each file written one way: atomically."""
