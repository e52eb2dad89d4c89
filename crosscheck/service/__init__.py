"""The on-demand service: the API (token roles: viewer, reviewer), the Chinese
dashboard over the published snapshot, and the official's roster-upload page."""
